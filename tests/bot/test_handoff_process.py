"""'Hỏi cán bộ' with the real `python bot.py` against the strict Bot API stand-in over HTTP: the
issue's whole exchange, the reminder with a short configured delay, and the draft knowledge
entry that `advisor export answered --yaml` writes and `advisor validate` flags."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.bot.harness import button_data
from tests.bot.test_end_to_end import _start_bot
from tests.conftest import ROOT
from tgemu.server import serve
from tgemu.state import BotApiState
from tgemu.world import SentMessage

ADMIN, MEMBER = 900, 4242
HUE, HUE_2, HANOI = 701, 702, 703


async def _next_with(
    state: BotApiState, chat: int, text: str, timeout: float = 10, after: int = 0
) -> SentMessage:
    """The newest bot message in a chat (from the `after`-th on) containing `text`, waiting for it."""

    def found() -> SentMessage | None:
        return next((m for m in reversed(state.messages(chat)[after:]) if text in (m.text or "")), None)

    return await state.wait_for(found, timeout)


async def _next_with_button(state: BotApiState, chat: int, label: str, timeout: float = 10) -> SentMessage:
    """The newest bot message in a chat with a button labelled with `label`, waiting for it."""

    def found() -> SentMessage | None:
        return next((m for m in reversed(state.messages(chat)) if label in str(m.reply_markup or "")), None)

    return await state.wait_for(found, timeout)


async def _join(state: BotApiState, user: int, first_name: str) -> None:
    """/start and agree to the privacy notice, as a person who uses the bot's features does."""
    state.user_says(user, "/start", first_name=first_name)
    greeting = await _next_with_button(state, user, "Đồng ý")
    answered = len(state.callback_answers)
    await _press(state, user, greeting, "Đồng ý")
    await state.wait_for(lambda: len(state.callback_answers) > answered or None, 10)


async def _press(state: BotApiState, user: int, message: SentMessage, label: str) -> None:
    state.press(user, message.message_id, button_data(message, label))


async def _pick_province(state: BotApiState, user: int, name: str) -> None:
    """Turn the province pages (edited in place) until `name` shows, then tap it."""
    page = await _next_with(state, user, "tỉnh, thành phố")
    for _ in range(4):
        if name in str(page.reply_markup):
            await _press(state, user, page, name)
            return
        shown, message_id = str(page.reply_markup), page.message_id
        await _press(state, user, page, "▶")

        def turned(shown: str = shown, message_id: int = message_id) -> SentMessage | None:
            message = state.find(user, message_id)
            return message if message is not None and str(message.reply_markup) != shown else None

        page = await state.wait_for(turned, 5)
    raise AssertionError(f"{name} not among the provinces")


async def test_the_whole_exchange_with_the_real_bot(tmp_path: Path) -> None:
    state = BotApiState()
    settings = {
        "ADVISOR_ADMINS": str(ADMIN),
        "ADVISOR_HANDOFF_REMIND_HOURS": "0.001",  # 3.6 s
        "ADVISOR_HANDOFF_ESCALATE_HOURS": "100",
    }
    async with serve(state) as url:
        process = await _start_bot(tmp_path, state, url, settings=settings)
        try:
            await _join(state, ADMIN, "Admin")
            await _join(state, MEMBER, "Hoa")
            for officer, province in ((HUE, "Huế"), (HUE_2, "Huế"), (HANOI, "Hà Nội")):
                await _join(state, officer, f"Cán bộ {officer}")
                state.user_says(ADMIN, f"/grant {officer} officer {province}")
                await _next_with(state, officer, "được cấp quyền")

            state.user_says(MEMBER, "hợp tác xã xin giấy phép xây nhà màng trồng rau ở đâu", first_name="Hoa")
            declined = await _next_with_button(state, MEMBER, "Gửi câu hỏi cho cán bộ")
            await _press(state, MEMBER, declined, "Gửi câu hỏi cho cán bộ")
            await _pick_province(state, MEMBER, "Huế")
            confirm = await _next_with(state, MEMBER, "Gửi câu hỏi này")
            await _press(state, MEMBER, confirm, "kèm tên tôi")
            sent = time.monotonic()
            to_hue = await _next_with(state, HUE, "Câu hỏi mới #1", timeout=2)
            await _next_with(state, HUE_2, "Câu hỏi mới #1", timeout=2)
            assert time.monotonic() - sent < 2 and "Hoa" in to_hue.text

            await _press(state, HUE, to_hue, "Trả lời")
            await _next_with(state, HUE, "Gõ câu trả lời")
            to_second = await _next_with(state, HUE_2, "Câu hỏi mới #1")
            await _press(state, HUE_2, to_second, "Trả lời")
            await state.wait_for(lambda: any("đang được" in (a[1] or "") for a in state.callback_answers), 5)
            state.user_says(HUE, "Nhà màng dưới 500 m² **không cần giấy phép xây dựng**.")
            preview = await _next_with(state, HUE, "Xem trước")
            await _press(state, HUE, preview, "Gửi câu trả lời")
            answer = await _next_with(state, MEMBER, "trả lời câu hỏi của bạn")
            assert "Cán bộ hỗ trợ – Huế" in answer.text and "không cần giấy phép" in answer.text
            await _press(state, MEMBER, answer, "👍")
            await state.wait_for(lambda: any("Cảm ơn" in (a[1] or "") for a in state.callback_answers), 5)
            assert not [m for m in state.messages(HANOI) if "Câu hỏi mới" in (m.text or "")]
            assert not [m for m in state.messages(HUE_2) if "trả lời câu hỏi" in (m.text or "")]

            seen = len(state.messages(MEMBER))
            state.user_says(MEMBER, "/ask xin hỗ trợ làm kho lạnh ở đâu", first_name="Hoa")
            confirm = await _next_with(state, MEMBER, "Gửi câu hỏi này", after=seen)
            await _press(state, MEMBER, confirm, "kèm tên tôi")
            await _next_with(state, HUE, "Câu hỏi mới #2")
            reminder = await _next_with(state, HUE, "Câu hỏi #2 (Huế) đã chờ hơn", timeout=15)
            assert "kho lạnh" in reminder.text
            state.user_says(ADMIN, "/gaps")
            answered = await _next_with(state, ADMIN, "Câu hỏi cán bộ đã trả lời")
            await _press(state, ADMIN, answered, "📚 #1")
            await state.wait_for(
                lambda: any("Đã đánh dấu" in (a[1] or "") for a in state.callback_answers), 5
            )
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0, output.decode()[-2000:]

    env = {
        **os.environ,
        "ADVISOR_DB": str(tmp_path / "advisor.db"),
        "ADVISOR_KNOWLEDGE": str(ROOT / "knowledge"),
    }
    exported = subprocess.run(
        [sys.executable, "-m", "advisor", "export", "answered", "--yaml"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "officer_answer_1" in exported.stdout and "không cần giấy phép" in exported.stdout
    knowledge = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    (knowledge / "faq" / "drafts.yaml").write_text(exported.stdout, encoding="utf-8")
    checked = subprocess.run(
        [sys.executable, "-m", "advisor", "validate", str(knowledge)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 1
    assert (
        "drafts.yaml:" in checked.stdout + checked.stderr
        and "unreviewed draft" in checked.stdout + checked.stderr
    )
