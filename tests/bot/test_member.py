"""A member's whole journey through the real Application and the Bot API emulator."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from telegram import Update

from advisor.flood import FloodGuard
from advisor.telegram import callbacks
from tests.bot.conftest import MEMBER
from tests.bot.harness import BotHarness, button_data, buttons


async def test_start_greets_with_the_main_menu(bot: BotHarness) -> None:
    [reply] = await bot.say(MEMBER, "/start", first_name="Lan")
    assert "Lan" in reply.text
    labels = [label for label, _ in buttons(reply)]
    for expected in (
        "Chuyển đổi số",
        "Chương trình hỗ trợ",
        "Đăng ký nhãn hiệu",
        "Hợp tác xã",
        "Tự đánh giá",
        "Thông báo",
        "Trợ giúp",
    ):
        assert any(expected in label for label in labels), expected


async def test_start_in_english_for_english_telegram(bot: BotHarness) -> None:
    [reply] = await bot.say(MEMBER, "/start", language_code="en")
    assert "Hello" in reply.text


async def test_command_menus_are_set_per_language(bot: BotHarness) -> None:
    default = bot.state.commands_for()
    english = bot.state.commands_for(language_code="en")
    assert {"start", "assess", "help"} <= {c["command"] for c in default}
    assert default != english


async def test_question_without_diacritics_gets_answer_with_source_and_votes(bot: BotHarness) -> None:
    [reply] = await bot.say(MEMBER, "le phi dang ky nhan hieu bao nhieu tien")
    assert "Nguồn" in reply.text or "nguồn" in reply.text
    labels = [label for label, _ in buttons(reply)]
    assert "👍" in labels and "👎" in labels
    await bot.press(MEMBER, reply, "👍")
    assert bot.last_answer() and "Cảm ơn" in bot.last_answer()
    rows = await bot.runtime.store.reports.export("feedback")
    assert rows[0]["vote"] == 1


async def test_out_of_scope_question_is_declined_and_logged(bot: BotHarness) -> None:
    [reply] = await bot.say(MEMBER, "giá vàng hôm nay bao nhiêu")
    assert "ngoài phạm vi" in reply.text.lower()
    logged = await bot.runtime.store.reports.export("questions")
    assert logged[-1]["decision"] == "decline"


async def test_browse_topic_entry_and_related(bot: BotHarness) -> None:
    [menu] = await bot.say(MEMBER, "/menu")
    [topic] = await bot.press(MEMBER, menu, "Đăng ký nhãn hiệu")
    entries = [label for label, _ in buttons(topic)]
    assert len(entries) > 3
    assert entries[0].startswith("1. ") and entries[0][3:23] in topic.text  # the full title is above
    [entry] = await bot.press(MEMBER, topic, entries[0], exact=True)
    assert entry.text.startswith(entries[0][3:23])


async def test_topic_pages_edit_in_place(bot: BotHarness) -> None:
    [menu] = await bot.say(MEMBER, "/menu")
    [topic] = await bot.press(MEMBER, menu, "Chuyển đổi số")
    assert await bot.press(MEMBER, topic, "▶") == []
    assert bot.refreshed(topic).edits == 1


async def test_guide_steps_forward_and_back(bot: BotHarness) -> None:
    [menu] = await bot.say(MEMBER, "/start topic_dx")
    [entry] = await bot.say(MEMBER, "/start e_dx-roadmap")
    [guide] = await bot.press(MEMBER, entry, "🧭")
    first = guide.text
    await bot.press(MEMBER, guide, "▶")
    second = bot.refreshed(guide).text
    assert second != first
    await bot.press(MEMBER, bot.refreshed(guide), "◀")
    assert bot.refreshed(guide).text == first


async def test_programmes_by_kind_and_sector(bot: BotHarness) -> None:
    [menu] = await bot.say(MEMBER, "/menu")
    [topic] = await bot.press(MEMBER, menu, "Chương trình hỗ trợ")
    [kinds] = await bot.press(MEMBER, topic, "loại")
    [kind] = await bot.press(MEMBER, kinds, buttons(kinds)[0][0], exact=True)
    assert buttons(kind)
    [sectors] = await bot.press(MEMBER, topic, "lĩnh vực")
    [sector] = await bot.press(MEMBER, sectors, "Nông nghiệp")
    assert len(buttons(sector)) > 2


async def test_lang_switch_is_remembered(bot: BotHarness) -> None:
    [reply] = await bot.say(MEMBER, "/lang en")
    assert "English" in reply.text
    stored = await bot.runtime.store.users.get(MEMBER)
    assert stored.language == "en"
    [menu] = await bot.say(MEMBER, "/menu")
    assert "Pick a topic" in menu.text


async def test_help_about_cancel_and_unknown_command(bot: BotHarness) -> None:
    assert "/assess" in (await bot.say(MEMBER, "/help"))[0].text
    assert str(len(bot.runtime.kb.entries)) in (await bot.say(MEMBER, "/about"))[0].text
    assert "Không có thao tác" in (await bot.say(MEMBER, "/cancel"))[0].text
    assert "/help" in (await bot.say(MEMBER, "/khongcolenhnay abc"))[0].text


async def test_help_shows_officer_tools_only_to_officers(bot: BotHarness) -> None:
    assert "/broadcast" not in (await bot.say(MEMBER, "/help"))[0].text


@pytest.mark.parametrize("forged", ["abcd:entry:tm.fees", "zz", "9999:topic:nope:0", "x" * 64])
async def test_forged_and_stale_callbacks_get_a_polite_answer(bot: BotHarness, forged: str) -> None:
    [menu] = await bot.say(MEMBER, "/menu")
    await bot.press_data(MEMBER, menu, forged, forge=True)
    assert bot.last_answer()  # every callback is answered


async def test_button_from_an_older_knowledge_version_says_menu_updated(bot: BotHarness) -> None:
    [menu] = await bot.say(MEMBER, "/menu")
    data = button_data(menu, "Chuyển đổi số")
    stale = "0000" + data[callbacks.VERSION_CHARS :]
    replies = await bot.press_data(MEMBER, menu, stale, forge=True)
    assert "cập nhật" in bot.last_answer()
    assert replies and buttons(replies[0])


async def test_stickers_edits_and_long_texts_never_crash(bot: BotHarness) -> None:
    sticker = bot.state.send_update(
        "message",
        {
            "from": {"id": MEMBER, "is_bot": False, "first_name": "A"},
            "chat": {"id": MEMBER, "type": "private"},
            "sticker": {
                "file_id": "s",
                "file_unique_id": "s",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            },
        },
    )
    await bot.feed(sticker)
    assert "chữ" in bot.last(MEMBER).text
    reply = await bot.say(MEMBER, "đăng ký nhãn hiệu " * 300)
    assert reply and all(len(m.text) <= 4096 for m in reply)


async def test_queued_questions_are_all_answered_in_order(bot: BotHarness) -> None:
    """A phone back online delivers eight questions and /help at once: all answered, in order."""
    bot.runtime.flood = FloodGuard()  # the real limits
    questions = ["ocop", "le phi nhan hieu", "hoa don dien tu", "chu ky so"] * 2
    replies = []
    for text in [*questions, "/help"]:
        replies.append(await bot.say(MEMBER, text))
    assert all(replies) and "/assess" in replies[-1][-1].text


async def test_a_flood_is_logged_in_full_and_the_skipped_messages_are_listed_once(bot: BotHarness) -> None:
    bot.runtime.flood = FloodGuard(limit=5, quiet_s=1.0)
    for n in range(8):
        await bot.say(MEMBER, f"ocop {n}")
    assert await bot.say(MEMBER, "/help")  # commands always go through
    await asyncio.sleep(1.5)  # the burst is over
    [report] = [m.text for m in bot.state.messages(MEMBER) if "gửi lại từng câu" in m.text]
    assert "3 tin" in report and all(f"ocop {n}" in report for n in (5, 6, 7))
    assert "ocop 4" not in report
    logged = await bot.runtime.store.reports.export("questions")
    assert [row["text"] for row in logged] == [f"ocop {n}" for n in range(8)]
    assert [row["decision"] for row in logged].count("flood") == 3


async def test_group_messages_only_when_addressed(bot: BotHarness) -> None:
    group = -1001
    quiet = await bot.say(MEMBER, "le phi nhan hieu", chat_id=group, chat_type="supergroup", title="HTX")
    assert quiet == []
    spoken = await bot.say(
        MEMBER, "@htx_advisor_bot le phi nhan hieu", chat_id=group, chat_type="supergroup", title="HTX"
    )
    assert spoken


async def test_user_who_blocked_the_bot_is_recorded(bot: BotHarness) -> None:
    await bot.say(MEMBER, "/start")
    await bot.feed(bot.state.block(MEMBER))
    assert (await bot.runtime.store.users.get(MEMBER)).blocked_at is not None


async def test_notices_button_shows_status_and_toggles(bot: BotHarness) -> None:
    [menu] = await bot.say(MEMBER, "/menu")
    [notices] = await bot.press(MEMBER, menu, "Thông báo")
    assert "đang nhận" in notices.text
    [off] = await bot.press(MEMBER, notices, "Tắt thông báo")
    assert "không nhận thông báo nữa" in off.text
    assert (await bot.runtime.store.users.get(MEMBER)).subscribed == 0


async def test_personal_commands_in_a_group_point_to_the_private_chat(bot: BotHarness) -> None:
    [reply] = await bot.say(
        MEMBER, "/assess@htx_advisor_bot", chat_id=-1002, chat_type="supergroup", title="HTX"
    )
    assert "tin nhắn riêng" in reply.text
    assert buttons(reply) == [("💬 Nhắn riêng với trợ lý", "")]


async def test_a_user_who_blocked_the_bot_during_an_edit_is_recorded(bot: BotHarness) -> None:
    [menu] = await bot.say(MEMBER, "/menu")
    [topic] = await bot.press(MEMBER, menu, "Chuyển đổi số")
    pressed = bot.state.press(MEMBER, topic.message_id, button_data(topic, "▶"), chat_id=MEMBER)
    bot.state.block(MEMBER)  # between the tap and the bot's edit
    await bot.feed(pressed)
    assert (await bot.runtime.store.users.get(MEMBER)).blocked_at is not None


async def test_a_question_is_answered_while_another_process_locks_the_database(bot: BotHarness) -> None:
    """The reply does not wait for the lock; the question is logged once the lock is gone."""
    await bot.say(MEMBER, "/start")
    holder = sqlite3.connect(bot.runtime.settings.db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        before = len(bot.state.messages(MEMBER))
        update = bot.state.user_says(MEMBER, "lệ phí đăng ký nhãn hiệu bao nhiêu")
        await bot.app.process_update(Update.de_json(update, bot.app.bot))
        [answer] = bot.state.messages(MEMBER)[before:]
        assert "nhãn hiệu" in answer.text.lower()
        assert len(bot.runtime.writes) == 1  # the log waits for the lock, nothing is lost
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    await bot.runtime.writes.drain(15.0)
    logged = await bot.runtime.store.reports.export("questions")
    assert [row["text"] for row in logged][-1] == "lệ phí đăng ký nhãn hiệu bao nhiêu"


async def test_a_step_the_busy_database_cannot_save_says_so(bot: BotHarness) -> None:
    """Registering needs a write; while another process keeps the lock past the wait, the
    member is told the system is busy (not a bare error), and can try again later."""
    await bot.say(MEMBER, "/start")
    holder = sqlite3.connect(bot.runtime.settings.db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        [reply] = await bot.say(MEMBER, "/register")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "bận" in reply.text
    assert await bot.say(MEMBER, "/register")  # works again once the lock is gone


async def test_menu_topics_one_per_row_and_the_page_counter_is_silent(bot: BotHarness) -> None:
    [menu] = await bot.say(MEMBER, "/menu")
    topic_rows = [row for row in menu.reply_markup["inline_keyboard"] if "topic" in row[0]["callback_data"]]
    assert topic_rows and all(len(row) == 1 for row in topic_rows)
    [topic] = await bot.press(MEMBER, menu, "Chuyển đổi số")
    counter = button_data(topic, "1/")
    assert await bot.press_data(MEMBER, topic, counter) == []
    assert bot.last_answer() in (None, "")  # answered without a word
