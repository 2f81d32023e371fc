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


async def _start_bot(tmp_path: Path, state: BotApiState, url: str) -> asyncio.subprocess.Process:
    """`python bot.py` against the emulator at `url`, logging at INFO to its stdout."""
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": state.token,
        "TELEGRAM_API_URL": url,
        "ADVISOR_DB": str(tmp_path / "advisor.db"),
        "ADVISOR_KNOWLEDGE": str(ROOT / "knowledge"),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bot.py"),
        "--log-level",
        "INFO",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def test_bot_process_answers_over_real_http(tmp_path: Path) -> None:
    state = BotApiState()
    async with serve(state) as url:
        process = await _start_bot(tmp_path, state, url)
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


async def test_an_update_the_library_cannot_parse_does_not_wedge_polling(tmp_path: Path) -> None:
    """A poll from an older Bot API server (fields python-telegram-bot 22 requires are missing)
    comes first in the batch; the next user's /help is still answered, and the bad update is
    logged once with its id."""
    state = BotApiState()
    old_poll = {
        "id": "1",
        "question": "?",
        "options": [],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
    }
    async with serve(state) as url:
        bad = state.updates.push("poll", old_poll)
        state.user_says(USER, "/help")
        process = await _start_bot(tmp_path, state, url)
        try:
            help_text = await state.wait_for_message(USER, timeout=30)
            assert "/assess" in help_text.text
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(process.communicate(), 20)
    log = output.decode()
    assert process.returncode == 0, log[-2000:]
    assert log.count(f"skipped unparseable update {bad['update_id']}") == 1, log[-2000:]
