"""Cooperative profiles and the self-assessment, through the real Application."""

from __future__ import annotations

import re
from pathlib import Path

from advisor.kb import load_knowledge
from tests.bot.conftest import ADMIN, MEMBER
from tests.bot.harness import BotHarness, button_data, buttons, settings_for
from tests.conftest import KNOWLEDGE

SECOND = 101


async def register(bot: BotHarness, user: int, name: str = "HTX Tân Phú") -> None:
    await bot.say(user, "/register")
    await bot.say(user, name)
    await bot.say(user, "ben tre")  # an old province name, typed without diacritics
    [sectors] = [m for m in bot.state.messages(user) if "lĩnh vực" in (m.text or "")][-1:]
    await bot.press(user, sectors, "Nông nghiệp")
    await bot.say(user, "25")


async def answer_all(bot: BotHarness, user: int, option: int = 1) -> list:
    """Answer every question with the same option; returns the messages sent at the end."""
    message = bot.last(user)
    for _ in range(40):
        labels = buttons(message)
        answer = [d for _, d in labels if d.split(":")[1] == "a"]
        if not answer:
            return []
        before = len(bot.state.messages(user))
        await bot.press_data(user, message, answer[min(option, len(answer) - 1)])
        new = bot.state.messages(user)[before:]
        if new:
            return new
        message = bot.refreshed(message)
    raise AssertionError("the questionnaire did not end")


async def test_register_validates_and_maps_old_province(bot: BotHarness) -> None:
    await bot.say(MEMBER, "/register")
    [again] = await bot.say(MEMBER, "x" * 250)
    assert "200" in again.text
    await bot.say(MEMBER, "HTX Tân Phú")
    mapped = await bot.say(MEMBER, "Bến Tre")
    assert "Vĩnh Long" in mapped[0].text
    sectors = mapped[-1]
    await bot.press(MEMBER, sectors, "Nông nghiệp")
    [bad] = await bot.say(MEMBER, "không biết")
    assert "số nguyên dương" in bad.text
    [profile] = await bot.say(MEMBER, "khoảng 30 thành viên")
    assert "HTX Tân Phú" in profile.text and "Vĩnh Long" in profile.text and "30" in profile.text
    assert "start=join_" in profile.text


async def test_province_buttons_page_and_pick(bot: BotHarness) -> None:
    await bot.say(MEMBER, "/register")
    [provinces] = await bot.say(MEMBER, "HTX A")
    await bot.press(MEMBER, provinces, "▶")
    page_two = bot.refreshed(provinces)
    label = buttons(page_two)[0][0]
    [sectors] = await bot.press(MEMBER, page_two, label, exact=True)
    assert "lĩnh vực" in sectors.text


async def test_invite_link_joins_the_same_cooperative(bot: BotHarness) -> None:
    await register(bot, MEMBER)
    coop = await bot.runtime.store.coops.of_user(MEMBER)
    [joined] = await bot.say(SECOND, f"/start join_{coop.invite_code}")
    assert "HTX Tân Phú" in joined.text
    assert (await bot.runtime.store.coops.of_user(SECOND)).id == coop.id
    [bad] = await bot.say(SECOND + 1, "/start join_nope")
    assert "không đúng" in bad.text


async def test_assess_without_profile_registers_first_then_starts(bot: BotHarness) -> None:
    replies = await bot.say(MEMBER, "/assess")
    assert "Tên hợp tác xã" in replies[-1].text
    await bot.say(MEMBER, "HTX B")
    [sectors] = (await bot.say(MEMBER, "Ha Noi"))[-1:]
    await bot.press(MEMBER, sectors, "Thương mại")
    [intro] = await bot.say(MEMBER, "12")
    assert "Bắt đầu" in str(buttons(intro))


async def test_full_assessment_logs_every_answer_and_shows_result_and_chart(bot: BotHarness) -> None:
    await register(bot, MEMBER)
    [intro] = await bot.say(MEMBER, "/assess")
    [first] = await bot.press(MEMBER, intro, "Bắt đầu")
    assert "Câu 1/" in first.text
    final = await answer_all(bot, MEMBER, option=3)
    result, chart = final[0], final[-1]
    assert "Kết quả" in result.text and " / 100" in result.text
    assert not re.search(r"(?<![\w/])/\w", result.text)  # nothing a Telegram client would turn into a command
    assert chart.kind == "photo" and chart.photo.startswith(b"\x89PNG")
    answers = await bot.runtime.store.reports.export("assessments")
    questions = {row["question_id"] for row in answers}
    assert len(answers) == len(questions) >= 12  # one row per answered question, none twice
    assert {row["province"] for row in answers} == {"Vĩnh Long"}


async def test_double_tap_logs_once_and_old_buttons_are_harmless(bot: BotHarness) -> None:
    await register(bot, MEMBER)
    [intro] = await bot.say(MEMBER, "/assess")
    [question] = await bot.press(MEMBER, intro, "Bắt đầu")
    data = [d for _, d in buttons(question) if ":a:" in d][0]
    await bot.press_data(MEMBER, question, data)
    await bot.press_data(MEMBER, question, data, forge=True)  # the same tap arriving twice
    assert "đã được trả lời" in bot.last_answer()
    assert len(await bot.runtime.store.reports.export("assessments")) == 1
    assert "Câu 2/" in bot.refreshed(question).text


async def test_back_at_first_question_and_back_then_change(bot: BotHarness) -> None:
    await register(bot, MEMBER)
    [intro] = await bot.say(MEMBER, "/assess")
    [question] = await bot.press(MEMBER, intro, "Bắt đầu")
    assert not any("◀" in label for label, _ in buttons(question))
    forged_back = button_data(question, "Tạm dừng").replace(":ap:", ":ab:") + ":" + "strategy_aware"
    await bot.press_data(MEMBER, question, forged_back, forge=True)
    assert bot.last_answer()
    await bot.press_data(MEMBER, question, [d for _, d in buttons(question) if ":a:" in d][0])
    await bot.press(MEMBER, bot.refreshed(question), "◀")
    assert "Câu 1/" in bot.refreshed(question).text
    await bot.press_data(MEMBER, question, [d for _, d in buttons(bot.refreshed(question)) if ":a:" in d][2])
    rows = await bot.runtime.store.reports.export("assessments")
    assert len(rows) == 2 and rows[0]["question_id"] == rows[1]["question_id"]  # append-only log


async def test_pause_and_restart_in_the_middle_resumes(tmp_path: Path, database: Path | str, real_kb) -> None:
    settings = settings_for(tmp_path, database, admins=frozenset({ADMIN}))
    first = await BotHarness.start(settings, real_kb)
    await register(first, MEMBER)
    [intro] = await first.say(MEMBER, "/assess")
    [question] = await first.press(MEMBER, intro, "Bắt đầu")
    for _ in range(3):
        await first.press_data(
            MEMBER, question, [d for _, d in buttons(first.refreshed(question)) if ":a:" in d][1]
        )
    await first.press(MEMBER, first.refreshed(question), "Tạm dừng")
    assert "câu 4/" in first.refreshed(question).text
    await first.stop()

    second = await BotHarness.start(settings, real_kb, first.state)  # a new Application, same database
    [intro] = await second.say(MEMBER, "/assess")
    assert "Làm tiếp" in str(buttons(intro))
    [resumed] = await second.press(MEMBER, intro, "Làm tiếp")
    assert "Câu 4/" in resumed.text
    await second.stop()


async def test_two_members_of_one_cooperative_assess_at_once(bot: BotHarness) -> None:
    await register(bot, MEMBER)
    coop = await bot.runtime.store.coops.of_user(MEMBER)
    await bot.say(SECOND, f"/start join_{coop.invite_code}")
    [intro_a] = await bot.say(MEMBER, "/assess")
    [intro_b] = await bot.say(SECOND, "/assess")
    [qa] = await bot.press(MEMBER, intro_a, "Bắt đầu")
    [qb] = await bot.press(SECOND, intro_b, "Bắt đầu")
    await bot.press_data(MEMBER, qa, [d for _, d in buttons(qa) if ":a:" in d][0])
    await bot.press_data(SECOND, qb, [d for _, d in buttons(qb) if ":a:" in d][3])
    rows = await bot.runtime.store.reports.export("assessments")
    assert {(r["user_id"], r["option"]) for r in rows} == {(MEMBER, 0), (SECOND, 3)}
    assert len({r["assessment_id"] for r in rows}) == 2


async def test_retake_shows_change_and_history(bot: BotHarness) -> None:
    await register(bot, MEMBER)
    [intro] = await bot.say(MEMBER, "/assess")
    await bot.press(MEMBER, intro, "Bắt đầu")
    await answer_all(bot, MEMBER, option=0)
    [intro] = await bot.say(MEMBER, "/assess")
    await bot.press(MEMBER, intro, "Bắt đầu")
    final = await answer_all(bot, MEMBER, option=3)
    assert "Lần trước" in final[0].text and "▲" in final[0].text
    [history] = await bot.say(MEMBER, "/history")
    assert history.text.count(" / 100") == 2


async def test_editing_the_questionnaire_between_assessments(tmp_path: Path, real_kb) -> None:
    settings = settings_for(tmp_path)
    first = await BotHarness.start(settings, real_kb)
    await register(first, MEMBER)
    [intro] = await first.say(MEMBER, "/assess")
    await first.press(MEMBER, intro, "Bắt đầu")
    await answer_all(first, MEMBER, option=2)
    [intro] = await first.say(MEMBER, "/assess")
    [question] = await first.press(MEMBER, intro, "Bắt đầu")
    await first.press_data(MEMBER, question, [d for _, d in buttons(question) if ":a:" in d][1])
    await first.stop()

    edited = tmp_path / "knowledge"
    import shutil

    shutil.copytree(KNOWLEDGE, edited)
    path = edited / "assessment.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("18 câu hỏi ngắn", "18 câu hỏi"), encoding="utf-8"
    )
    new_kb = load_knowledge(edited).kb
    assert new_kb.assessment.version != real_kb.assessment.version
    second = await BotHarness.start(settings, new_kb, first.state)
    replies = await second.say(MEMBER, "/assess")
    assert "vừa được cập nhật" in replies[0].text
    coop = await second.runtime.store.coops.of_user(MEMBER)
    done = await second.runtime.store.assessments.history(coop.id)
    assert len(done) == 1 and done[0].version == real_kb.assessment.version  # the past result is intact
    await second.stop()


async def test_a_stored_result_opens_again_from_assess_and_history(bot: BotHarness) -> None:
    """Whatever happened to the first sending, the result is one tap away, chart included."""
    await register(bot, MEMBER)
    [intro] = await bot.say(MEMBER, "/assess")
    await bot.press(MEMBER, intro, "Bắt đầu")
    first_time = await answer_all(bot, MEMBER, option=2)
    [intro] = await bot.say(MEMBER, "/assess")
    again = await bot.press(MEMBER, intro, "Xem lại kết quả")
    assert again[0].text == first_time[0].text and again[-1].kind == "photo"
    [history] = await bot.say(MEMBER, "/history")
    from_history = await bot.press(MEMBER, history, "📊")
    assert from_history[0].text == first_time[0].text
    forged = button_data(history, "📊").rsplit(":", 1)[0] + ":99999"
    await bot.press_data(ADMIN, history, forged, forge=True)  # unknown or not theirs: refused
    assert bot.last_answer()


async def test_numbering_back_pause_and_the_finished_questions_buttons(bot: BotHarness) -> None:
    await register(bot, MEMBER)
    [intro] = await bot.say(MEMBER, "/assess")
    [question] = await bot.press(MEMBER, intro, "Bắt đầu")
    totals = [int(re.search(r"Câu \d+/(\d+)", question.text).group(1))]
    assert totals[0] == 18 and "18 câu" in intro.text  # the intro and the first question agree
    await bot.press(MEMBER, question, "Thấy rõ, là việc ưu tiên")
    question = bot.refreshed(question)
    assert [label for label, _ in buttons(question) if "Quay lại" in label] == ["◀ Quay lại"]
    await bot.press(MEMBER, question, "Tạm dừng")  # the question becomes the paused message
    [again] = await bot.press(MEMBER, bot.refreshed(question), "Làm tiếp")
    assert "Câu 2/" in again.text
    final = await answer_all(bot, MEMBER, option=3)
    assert final and buttons(bot.refreshed(again)) == []  # the last question's buttons are gone


async def test_a_question_typed_at_the_name_prompt_is_not_saved_as_the_name(bot: BotHarness) -> None:
    await bot.say(MEMBER, "/register")
    [confirm] = await bot.say(MEMBER, "lệ phí đăng ký nhãn hiệu là bao nhiêu?")
    assert "câu hỏi" in confirm.text and await bot.runtime.store.coops.of_user(MEMBER) is None
    replies = await bot.press(MEMBER, confirm, "Đây là câu hỏi")
    assert "nhãn hiệu" in replies[0].text.lower()
    assert await bot.runtime.store.flows.get(MEMBER) is None  # the member left the profile
    await bot.say(MEMBER, "/register")
    [confirm] = await bot.say(MEMBER, "HTX Thế nào cũng được?")
    [ask_province] = await bot.press(MEMBER, confirm, "Đây là tên HTX")
    assert "tỉnh" in ask_province.text.lower()


async def test_commands_and_menu_taps_leave_a_pending_prompt(bot: BotHarness) -> None:
    [menu] = await bot.say(MEMBER, "/menu")
    await bot.say(MEMBER, "/register")
    await bot.press(MEMBER, menu, "Chuyển đổi số")  # a tap elsewhere
    assert await bot.runtime.store.flows.get(MEMBER) is None
    await bot.say(MEMBER, "/register")
    await bot.say(MEMBER, "/help")  # a command
    [answer] = await bot.say(MEMBER, "hóa đơn điện tử")
    assert "hóa đơn" in answer.text.lower() and await bot.runtime.store.coops.of_user(MEMBER) is None


async def test_advice_follows_the_level_reached(bot: BotHarness) -> None:
    """At full marks there is nothing to "work on first": how to stay there instead; and the
    support programmes listed are programmes."""
    await register(bot, MEMBER)
    [intro] = await bot.say(MEMBER, "/assess")
    await bot.press(MEMBER, intro, "Bắt đầu")
    result = (await answer_all(bot, MEMBER, option=3))[0]
    assert "100 / 100" in result.text and "Nên ưu tiên" not in result.text
    assert "giữ vững" in result.text
    assert all(
        data.split(":")[2].startswith("prog.") for label, data in buttons(result) if label.startswith("🤝")
    )
    [intro] = await bot.say(MEMBER, "/assess")
    await bot.press(MEMBER, intro, "Bắt đầu")
    low = (await answer_all(bot, MEMBER, option=0))[0]
    assert "Nên ưu tiên" in low.text and "giữ vững" not in low.text


async def test_programmes_by_sector_start_from_the_profiles_sector(bot: BotHarness) -> None:
    [menu] = await bot.say(MEMBER, "/menu")
    [topic] = await bot.press(MEMBER, menu, "Chương trình")
    [choose] = await bot.press(MEMBER, topic, "lĩnh vực")
    assert "Xem các lĩnh vực khác" not in str(buttons(choose))  # no profile: choose a sector
    await register(bot, MEMBER)
    [own] = await bot.press(MEMBER, topic, "lĩnh vực")
    assert "Nông nghiệp" in own.text and any("Xem các lĩnh vực khác" in label for label, _ in buttons(own))
    [every] = await bot.press(MEMBER, own, "Xem các lĩnh vực khác")
    assert len(buttons(every)) > 5
