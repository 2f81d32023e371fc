"""'Hỏi cán bộ' through the real Application: a member's declined question reaches only the
officers of their province; one officer claims and answers; the member gets the answer with
the officer's role and province and can rate it; a second officer cannot take it."""

from __future__ import annotations

import datetime as dt

from advisor.config import Settings
from advisor.handoff import recipients
from advisor.records import Grant
from advisor.telegram import handoff
from tests.bot.conftest import ADMIN, MEMBER
from tests.bot.harness import BotHarness, buttons

HUE_OFFICER, HUE_OFFICER_2, HANOI_OFFICER = 701, 702, 703


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


async def test_a_declined_question_goes_to_the_provinces_officers_and_the_answer_comes_back(
    bot: BotHarness,
) -> None:
    await _officers(bot)
    await _member_of_hue(bot)
    [declined] = await bot.say(MEMBER, "hợp tác xã xin giấy phép xây nhà màng trồng rau ở đâu")
    [confirm] = await bot.press(MEMBER, declined, "Gửi câu hỏi cho cán bộ")
    assert "nhà màng" in confirm.text and "Huế" in confirm.text
    await bot.press(MEMBER, confirm, "📨 Gửi")
    [to_hue] = [m for m in bot.state.messages(HUE_OFFICER) if "Câu hỏi mới #1" in (m.text or "")]
    assert [m for m in bot.state.messages(HUE_OFFICER_2) if "Câu hỏi mới #1" in (m.text or "")]
    assert not [
        m for m in bot.state.messages(HANOI_OFFICER) if "Câu hỏi mới" in (m.text or "")
    ]  # not their province

    [prompt] = await bot.press(HUE_OFFICER, to_hue, "Trả lời")
    assert "#1" in prompt.text
    [to_second] = [m for m in bot.state.messages(HUE_OFFICER_2) if "Câu hỏi mới #1" in (m.text or "")]
    assert await bot.press(HUE_OFFICER_2, to_second, "Trả lời") == []
    assert "cán bộ khác" in bot.last_answer()  # two officers never answer the same question

    await bot.say(HUE_OFFICER, "Nhà màng dưới 500 m² **không cần giấy phép xây dựng**; hỏi Phòng Kinh tế xã.")
    answer = next(
        m for m in reversed(bot.state.messages(MEMBER)) if "trả lời câu hỏi của bạn" in (m.text or "")
    )
    assert "Cán bộ hỗ trợ – Huế" in answer.text and "không cần giấy phép" in answer.text
    await bot.press(MEMBER, answer, "👍")
    handoff = await bot.runtime.store.handoffs.get(1)
    assert handoff.status == "answered" and handoff.rating == 1 and handoff.claimed_by == HUE_OFFICER
    actions = [row["action"] for row in await bot.runtime.store.reports.export("audit")]
    assert "handoff_claim" in actions and "handoff_answer" in actions
    [stats] = await bot.say(HUE_OFFICER, "/stats")  # figures for the alliance, per province
    assert (
        "Câu hỏi gửi cán bộ" in stats.text
        and "Huế: hỏi 1, đã trả lời 1" in stats.text
        and "👍 100%" in stats.text
    )


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
