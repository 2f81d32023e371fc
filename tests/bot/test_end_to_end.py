"""`python bot.py` as a real process against the Bot API emulator over HTTP (long polling)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.conftest import ROOT
from tgemu.server import serve
from tgemu.state import BotApiState

USER = 4242


async def test_bot_process_answers_over_real_http(tmp_path: Path) -> None:
    state = BotApiState()
    async with serve(state) as url:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": state.token,
            "TELEGRAM_API_URL": url,
            "ADVISOR_DB": str(tmp_path / "advisor.db"),
            "ADVISOR_KNOWLEDGE": str(ROOT / "knowledge"),
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "bot.py"),
            "--log-level",
            "INFO",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            state.user_says(USER, "/start", first_name="Hoa")
            greeting = await state.wait_for_message(USER, timeout=30)
            assert "Hoa" in greeting.text
            state.user_says(USER, "htx co phai dung hoa don dien tu khong")
            answer = await state.wait_for_message(USER, timeout=10)
            assert "hóa đơn điện tử" in answer.text.lower()
            assert state.commands_for()  # the command menu was set at start-up
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(process.communicate(), 20)
    log = output.decode()
    assert process.returncode == 0, log[-2000:]
    assert "update user=4242 kind=command outcome=start" in log and state.token not in log
