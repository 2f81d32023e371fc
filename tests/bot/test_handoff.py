"""'Hỏi cán bộ' through the real Application: a member's declined question reaches only the
officers of their province; one officer claims and answers; the member gets the answer with
the officer's role and province and can rate it; a second officer cannot take it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from advisor.config import Settings
from advisor.handoff import recipients
from advisor.records import Grant
from advisor.telegram import handoff
from tests.bot.conftest import ADMIN, MEMBER
from tests.bot.harness import BotHarness, buttons, settings_for

HUE_OFFICER, HUE_OFFICER_2, HANOI_OFFICER = 701, 702, 703


@pytest.fixture
def bot_database(database: Path | str) -> Path | str:
    """The whole exchange on both backends."""
    return database


async def _officers(bot: BotHarness) -> None:
    for officer, province in ((HUE_OFFICER, "Huế"), (HUE_OFFICER_2, "Huế"), (HANOI_OFFICER, "Hà Nội")):
        await bot.say(officer, "/start")
        await bot.say(ADMIN, f"/grant {officer} officer {province}")


async def _member_of_hue(bot: BotHarness) -> None:
    await bot.say(MEMBER, "/register")
    await bot.say(MEMBER, "HTX Rau sạch Phú Vang")
    await bot.say(MEMBER, "Huế")
    [sectors] = [m for m in bot.state.messages(MEMBER) if "lĩnh vực" in (m.text or "")][-1:]
    await bot.press(MEMBER, sectors, "Nông nghiệp")
    await bot.say(MEMBER, "25")


def _with(bot: BotHarness, user: int, text: str):
    return [m for m in bot.state.messages(user) if text in (m.text or "")]


async def test_a_declined_question_goes_to_the_provinces_officers_and_the_answer_comes_back(
    bot: BotHarness,
) -> None:
    await _officers(bot)
    await _member_of_hue(bot)
    [assessed] = await bot.say(MEMBER, "/history")  # no result yet: officers are told so
    [declined] = await bot.say(MEMBER, "hợp tác xã xin giấy phép xây nhà màng trồng rau ở đâu")
    [confirm] = await bot.press(MEMBER, declined, "Gửi câu hỏi cho cán bộ")
    assert "nhà màng" in confirm.text and "Huế" in confirm.text and "tên bạn" in confirm.text
    [confirm] = await bot.say(MEMBER, "nhà màng 800 m2, trồng dưa lưới")  # one line of context
    assert "dưa lưới" in confirm.text
    await bot.press(MEMBER, confirm, "kèm tên tôi")
    [to_hue] = _with(bot, HUE_OFFICER, "Câu hỏi mới #1")
    assert "HTX Rau sạch Phú Vang" in to_hue.text and "25 thành viên" in to_hue.text
    assert "Chưa làm tự đánh giá" in to_hue.text and "dưa lưới" in to_hue.text
    assert "Người hỏi:" in to_hue.text and "(không nêu tên)" not in to_hue.text
    assert _with(bot, HUE_OFFICER_2, "Câu hỏi mới #1")
    assert not _with(bot, HANOI_OFFICER, "Câu hỏi mới")  # not their province
    assert {label for label, _ in buttons(to_hue)} >= {
        "✍️ Trả lời",
        "↪️ Chuyển tỉnh khác",
        "🚫 Không thuộc phạm vi",
    }

    [prompt] = await bot.press(HUE_OFFICER, to_hue, "Trả lời")
    assert "#1" in prompt.text and "nhà màng" in prompt.text
    [to_second] = _with(bot, HUE_OFFICER_2, "Câu hỏi mới #1")
    assert await bot.press(HUE_OFFICER_2, to_second, "Trả lời") == []
    assert "đang được" in bot.last_answer()  # two officers never answer the same question unknowingly
    [inbox] = await bot.say(HUE_OFFICER_2, "/inbox")
    assert "đang trả lời" in inbox.text and "chờ 0 giờ" in inbox.text

    [preview] = await bot.say(
        HUE_OFFICER, "Nhà màng dưới 500 m² **không cần giấy phép**; hỏi Phòng Kinh tế xã."
    )
    assert "Xem trước" in preview.text and "Cán bộ hỗ trợ – Huế" in preview.text
    assert not _with(bot, MEMBER, "trả lời câu hỏi của bạn")  # nothing sent before the officer says so
    [preview] = await bot.say(
        HUE_OFFICER, "Nhà màng dưới 500 m² **không cần giấy phép xây dựng**; hỏi Phòng Kinh tế xã."
    )
    await bot.press(HUE_OFFICER, preview, "Gửi câu trả lời")
    [answer] = _with(bot, MEMBER, "trả lời câu hỏi của bạn")
    assert "Cán bộ hỗ trợ – Huế" in answer.text and "không cần giấy phép xây dựng" in answer.text
    await bot.press(MEMBER, answer, "👍")
    handoff = await bot.runtime.store.handoffs.get(1)
    assert handoff.status == "answered" and handoff.rating == 1 and handoff.claimed_by == HUE_OFFICER
    assert handoff.signed == "Cán bộ hỗ trợ – Huế" and "**không cần" in handoff.answer_text

    [prompt] = await bot.press(MEMBER, answer, "Hỏi thêm")  # one follow-up, to the same officer
    await bot.say(MEMBER, "Nếu trên 1000 m2 thì sao ạ?")
    [follow] = _with(bot, HUE_OFFICER, "Câu hỏi thêm")
    assert "1000 m2" in follow.text and not _with(bot, HUE_OFFICER_2, "Câu hỏi thêm")
    assert await bot.press(MEMBER, answer, "Hỏi thêm") == []  # once only
    [prompt] = await bot.press(HUE_OFFICER, follow, "Trả lời")
    [preview] = await bot.say(HUE_OFFICER, "Trên 1.000 m² cần xin phép; nộp hồ sơ ở UBND xã.")
    await bot.press(HUE_OFFICER, preview, "Gửi câu trả lời")
    [second] = _with(bot, MEMBER, "trả lời câu hỏi thêm")
    assert "UBND xã" in second.text and not any("Hỏi thêm" in label for label, _ in buttons(second))

    actions = [row["action"] for row in await bot.runtime.store.reports.export("audit")]
    assert {"handoff_ask", "handoff_claim", "handoff_answer", "handoff_view", "handoff_follow_up"} <= set(
        actions
    )
    [stats] = await bot.say(HUE_OFFICER, "/stats")  # figures for the alliance, per province
    assert (
        "Câu hỏi gửi cán bộ" in stats.text
        and "Huế: hỏi 1, đã trả lời 1" in stats.text
        and "👍 100%" in stats.text
    )
    rows = await bot.runtime.store.reports.export("handoffs", "Huế")
    assert rows[0]["province"] == "Huế" and rows[0]["answered"] == 1  # the CSV of /export handoffs


async def test_the_name_is_shared_only_if_the_member_agrees_and_the_choice_is_remembered(
    bot: BotHarness,
) -> None:
    await _officers(bot)
    await _member_of_hue(bot)
    [confirm] = await bot.say(MEMBER, "/ask giấy phép nhà màng")
    await bot.press(MEMBER, confirm, "không kèm tên")
    [to_hue] = _with(bot, HUE_OFFICER, "Câu hỏi mới #1")
    assert "(không nêu tên)" in to_hue.text and (await bot.runtime.store.handoffs.get(1)).asker is None
    await bot.runtime.store.handoffs.out_of_scope(1)
    [confirm] = await bot.say(MEMBER, "/ask vay vốn làm nhà màng")
    assert "không** thấy tên" in confirm.text or "không thấy tên" in confirm.text
    assert buttons(confirm)[0][0].endswith("không kèm tên")  # the remembered choice comes first


async def test_an_officer_releases_or_transfers_a_question(bot: BotHarness) -> None:
    await _officers(bot)
    await _member_of_hue(bot)
    [confirm] = await bot.say(MEMBER, "/ask đăng ký nhãn hiệu cho gạo Hà Nội")
    await bot.press(MEMBER, confirm, "kèm tên tôi")
    [to_hue] = _with(bot, HUE_OFFICER, "Câu hỏi mới #1")
    [prompt] = await bot.press(HUE_OFFICER, to_hue, "Trả lời")
    await bot.press(HUE_OFFICER, prompt, "Trả lại")
    assert (await bot.runtime.store.handoffs.get(1)).status == "open"
    [to_second] = _with(bot, HUE_OFFICER_2, "Câu hỏi mới #1")
    [pick] = await bot.press(HUE_OFFICER_2, to_second, "Chuyển tỉnh khác")
    await bot.press(HUE_OFFICER_2, pick, "Hà Nội")
    moved = await bot.runtime.store.handoffs.get(1)
    assert moved.province == "Hà Nội" and moved.moved_from == "Huế" and moved.status == "open"
    [to_hanoi] = _with(bot, HANOI_OFFICER, "được chuyển từ Huế sang Hà Nội")
    assert "gạo Hà Nội" in to_hanoi.text
    assert _with(bot, MEMBER, "được chuyển cho cán bộ hỗ trợ Hà Nội")
    assert await bot.press(HUE_OFFICER, to_hue, "Trả lời") == []  # no longer Huế's
    [prompt] = await bot.press(HANOI_OFFICER, to_hanoi, "Trả lời")
    assert "#1" in prompt.text


async def test_a_restart_in_the_middle_loses_nothing(tmp_path, database, real_kb) -> None:
    """The question waiting for confirmation, the claim and the typed answer are stored: after
    a restart the member can still send and the officer can still deliver."""
    settings = settings_for(tmp_path, database, admins=frozenset({ADMIN}))
    bot = await BotHarness.start(settings, real_kb)
    await _officers(bot)
    await _member_of_hue(bot)
    [declined] = await bot.say(MEMBER, "hợp tác xã xin giấy phép xây nhà màng trồng rau ở đâu")
    await bot.stop()
    bot = await BotHarness.start(settings, real_kb, bot.state)
    [confirm] = await bot.press(MEMBER, declined, "Gửi câu hỏi cho cán bộ")  # the question, from the log
    assert "nhà màng trồng rau" in confirm.text
    await bot.stop()
    bot = await BotHarness.start(settings, real_kb, bot.state)
    try:
        await bot.press(MEMBER, confirm, "kèm tên tôi")
        [to_hue] = _with(bot, HUE_OFFICER, "Câu hỏi mới #1")
        await bot.press(HUE_OFFICER, to_hue, "Trả lời")
        [preview] = await bot.say(HUE_OFFICER, "Không cần giấy phép dưới 500 m².")
        await bot.stop()
        bot = await BotHarness.start(settings, real_kb, bot.state)
        await bot.press(HUE_OFFICER, preview, "Gửi câu trả lời")
        assert _with(bot, MEMBER, "trả lời câu hỏi của bạn")
    finally:
        await bot.stop()


async def test_one_open_question_per_member_and_the_inbox(bot: BotHarness) -> None:
    await _officers(bot)
    await _member_of_hue(bot)
    for text in ("/ask giấy phép nhà màng", "/ask thêm: nhà màng 800 m²"):
        [confirm] = await bot.say(MEMBER, text)
        await bot.press(MEMBER, confirm, "📨 Gửi")
    handoff = await bot.runtime.store.handoffs.get(1)
    assert "800 m²" in handoff.question and await bot.runtime.store.handoffs.get(2) is None  # merged
    [inbox] = await bot.say(HUE_OFFICER, "/inbox")
    assert "#1" in inbox.text and any("Trả lời #1" in label for label, _ in buttons(inbox))
    [empty] = await bot.say(HANOI_OFFICER, "/inbox")
    assert "Không có câu hỏi" in empty.text
    assert "dành cho cán bộ" in (await bot.say(MEMBER, "/inbox"))[0].text


def test_without_officers_for_the_province_the_question_goes_to_the_wide_ones() -> None:
    grants = [Grant(5, "officer", "Huế", 1, "now"), Grant(6, "officer", None, 1, "now")]
    settings = Settings(admins=frozenset({1}), officers=frozenset({9}))
    assert recipients("Huế", grants, settings) == [5]
    assert recipients("Cà Mau", grants, settings) == [1, 6, 9]
    assert recipients(None, grants, settings) == [1, 6, 9]


async def test_a_waiting_question_reminds_then_escalates_once_each(bot: BotHarness) -> None:
    """With a fake clock: after the configured delay the province's officers are reminded, much
    later the admins; a second check sends nothing twice; the member can see the status."""
    await _officers(bot)
    await _member_of_hue(bot)
    [confirm] = await bot.say(MEMBER, "/ask giấy phép nhà màng")
    await bot.press(MEMBER, confirm, "📨 Gửi")
    app, later = bot.app, dt.datetime.now(dt.UTC)
    assert await handoff.remind(app, later) == 0  # not overdue yet
    assert await handoff.remind(app, later + dt.timedelta(hours=49)) == 2  # both officers of Huế
    assert any("đã chờ hơn 48 giờ" in (m.text or "") for m in bot.state.messages(HUE_OFFICER))
    assert await handoff.remind(app, later + dt.timedelta(hours=50)) == 0  # once
    assert await handoff.remind(app, later + dt.timedelta(hours=121)) == 1  # the admin
    assert any("🚨" in (m.text or "") for m in bot.state.messages(ADMIN))
    [mine] = await bot.say(MEMBER, "/myquestions")
    assert "đang chờ cán bộ" in mine.text
