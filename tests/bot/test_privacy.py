"""Consent, /privacy, /mydata and /forget through the real Application and the emulated Bot API."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from advisor.answering import Advisor
from advisor.kb import KnowledgeBase
from advisor.records import Audience
from advisor.storage import Store
from tests.bot.conftest import ADMIN, OFFICER
from tests.bot.harness import BotHarness, button_data, buttons, settings_for
from tests.bot.privacy_scan import traces_in
from tests.bot.test_assessment import answer_all, register

PERSON = 4321


async def _fresh(tmp_path: Path, database: Path | str | None, real_kb: KnowledgeBase) -> BotHarness:
    return await BotHarness.start(
        settings_for(
            tmp_path,
            database,
            admins=frozenset({ADMIN}),
            officers=frozenset({OFFICER}),
            operator_name="Liên minh HTX tỉnh Vĩnh Long",
            operator_contact="dulieu@lmhtx.example.vn",
        ),
        real_kb,
        consent=False,
    )


@pytest.fixture
async def fresh(tmp_path: Path, real_kb: KnowledgeBase) -> AsyncIterator[BotHarness]:
    """The bot, with people who have not decided on the privacy notice yet."""
    harness = await _fresh(tmp_path, None, real_kb)
    yield harness
    await harness.stop()


@pytest.fixture
async def fresh_both(
    tmp_path: Path, database: Path | str, real_kb: KnowledgeBase
) -> AsyncIterator[BotHarness]:
    """The same on each backend: withdrawal and erasure, scanned for traces on PostgreSQL too."""
    harness = await _fresh(tmp_path, database, real_kb)
    yield harness
    await harness.stop()


async def agree(bot: BotHarness, user: int) -> None:
    [notice] = await bot.say(user, "/privacy")
    await bot.press(user, notice, "Đồng ý")


async def assess(bot: BotHarness, user: int) -> None:
    [intro] = await bot.say(user, "/assess")
    await bot.press(user, intro, "Bắt đầu")
    assert await answer_all(bot, user)


async def test_start_shows_the_notice_with_consent_buttons_and_stores_nothing(fresh: BotHarness) -> None:
    [greeting] = await fresh.say(PERSON, "/start", first_name="Hoa", username="hoa_htx")
    labels = [label for label, _ in buttons(greeting)]
    assert labels[:3] == ["✅ Đồng ý", "❌ Không đồng ý", "📄 Xem chi tiết"]
    assert "Hoa" in greeting.text and "Liên minh HTX tỉnh Vĩnh Long" in greeting.text
    assert any("Đăng ký nhãn hiệu" in label for label in labels)  # browsing needs no consent
    assert await fresh.runtime.store.users.get(PERSON) is None
    assert await traces_in(fresh.runtime.store.db, PERSON, ("hoa_htx", "Hoa")) == []
    [details] = await fresh.press(PERSON, greeting, "Xem chi tiết")
    assert "91/2025/QH15" in details.text and "dulieu@lmhtx.example.vn" in details.text
    assert "Bạn chưa đồng ý" in details.text


async def test_a_shared_link_to_an_answer_opens_it_before_any_notice(fresh: BotHarness) -> None:
    """A member forwards t.me/<bot>?start=e_tm-fees: the newcomer sees that answer (it needs no
    consent), and is asked later, after a question of their own."""
    [entry] = await fresh.say(PERSON, "/start e_tm-fees")
    assert "1.360.000" in entry.text and "Đồng ý" not in str(buttons(entry))
    assert await fresh.runtime.store.users.get(PERSON) is None


async def test_without_consent_a_question_is_answered_and_logged_unlinked(fresh: BotHarness) -> None:
    answer, notice = await fresh.say(PERSON, "le phi dang ky nhan hieu", username="hoa_htx")
    assert "1.360.000" in answer.text  # the question first, never held back
    assert "Đồng ý" in [label for label, _ in buttons(notice)][0]
    rows = await fresh.runtime.store.reports.export("questions")
    assert [(r["user_id"], r["text"]) for r in rows] == [(None, "le phi dang ky nhan hieu")]
    assert await traces_in(fresh.runtime.store.db, PERSON, ("hoa_htx",)) == []
    [again] = await fresh.say(PERSON, "chu ky so la gi")  # asked once, not at every message
    assert "Đồng ý" not in str(buttons(again))
    await fresh.press(PERSON, answer, "👍")  # a vote counts, nobody named
    assert (await fresh.runtime.store.feedback.disliked()) == []
    assert await traces_in(fresh.runtime.store.db, PERSON) == []


async def test_a_feature_that_keeps_data_asks_for_consent_then_works(fresh: BotHarness) -> None:
    [needed] = await fresh.say(PERSON, "/register")
    assert "cần bạn đồng ý" in needed.text and "Đồng ý" in buttons(needed)[0][0]
    assert await fresh.runtime.store.flows.get(PERSON) is None  # the feature did not start
    [menu] = await fresh.press(PERSON, needed, "Đồng ý")
    assert "Cảm ơn bạn đã đồng ý" in menu.text
    assert not any("Đồng ý" in label for label, _ in buttons(fresh.refreshed(needed)))  # buttons cleared
    history = await fresh.runtime.store.consents.history(PERSON)
    assert [(c.decision, c.version) for c in history] == [("granted", fresh.runtime.kb.privacy.version)]
    assert (await fresh.runtime.store.users.get(PERSON)) is not None
    await register(fresh, PERSON)
    assert (await fresh.runtime.store.coops.of_user(PERSON)).name == "HTX Tân Phú"


async def test_a_join_link_waits_for_consent_then_joins(fresh: BotHarness) -> None:
    await agree(fresh, PERSON)
    await register(fresh, PERSON)
    code = (await fresh.runtime.store.coops.of_user(PERSON)).invite_code
    [needed] = await fresh.say(PERSON + 1, f"/start join_{code}")
    assert "cần bạn đồng ý" in needed.text
    assert await fresh.runtime.store.coops.of_user(PERSON + 1) is None
    replies = await fresh.press(PERSON + 1, needed, "Đồng ý")
    assert "HTX Tân Phú" in replies[-1].text
    assert (await fresh.runtime.store.coops.of_user(PERSON + 1)).name == "HTX Tân Phú"


async def test_refusing_keeps_nothing_and_questions_still_work(fresh: BotHarness) -> None:
    [greeting] = await fresh.say(PERSON, "/start")
    [reply] = await fresh.press(PERSON, greeting, "Không đồng ý")
    assert "vẫn hỏi đáp được" in reply.text
    assert await traces_in(fresh.runtime.store.db, PERSON) == []  # a stranger's refusal is not stored either
    [answer] = await fresh.say(PERSON, "le phi dang ky nhan hieu")  # no prompt again
    assert "1.360.000" in answer.text


async def test_withdrawing_leaves_people_out_of_exports_and_notices(fresh_both: BotHarness) -> None:
    await agree(fresh_both, PERSON)
    await register(fresh_both, PERSON)
    await assess(fresh_both, PERSON)
    rows = await fresh_both.runtime.store.reports.export("assessments")
    assert rows and {r["user_id"] for r in rows} == {PERSON}
    [notice] = await fresh_both.say(PERSON, "/privacy")
    assert "Bạn đã đồng ý" in notice.text
    [reply] = await fresh_both.press(PERSON, notice, "Rút lại")
    assert "rút lại sự đồng ý" in reply.text
    assert [c.decision for c in await fresh_both.runtime.store.consents.history(PERSON)] == [
        "granted",
        "withdrawn",
    ]
    reports = fresh_both.runtime.store.reports
    assert {r["user_id"] for r in await reports.export("assessments")} == {None}
    assert {r["user_id"] for r in await reports.export("results")} == {None}
    assert all(r["id"] != PERSON for r in await reports.export("users"))
    assert await fresh_both.runtime.store.broadcasts.recipients(Audience()) == []
    [officer_doc] = await fresh_both.say(OFFICER, "/export assessments")
    assert str(PERSON) not in officer_doc.document.decode("utf-8-sig")
    [needed] = await fresh_both.say(PERSON, "/assess")  # features need consent again
    assert "cần bạn đồng ý" in needed.text


async def test_mydata_sends_a_document_with_the_persons_own_data(fresh: BotHarness) -> None:
    [empty] = await fresh.say(PERSON, "/mydata")
    assert "không lưu dữ liệu nào" in empty.text
    await agree(fresh, PERSON)
    await register(fresh, PERSON)
    await fresh.say(PERSON, "le phi dang ky nhan hieu")
    await fresh.say(PERSON + 5, "/privacy")  # someone else's data must not appear
    [document] = await fresh.say(PERSON, "/mydata")
    assert document.kind == "document" and document.filename.endswith(".json")
    data = json.loads(document.document)
    assert data["user"]["id"] == PERSON and data["cooperative"]["name"] == "HTX Tân Phú"
    assert data["cooperative"]["created_by_you"] == 1
    assert [q["text"] for q in data["questions"]] == ["le phi dang ky nhan hieu"]
    assert [c["decision"] for c in data["consents"]] == ["granted"]
    assert "Dữ liệu trợ lý lưu về bạn" in document.caption and "HTX Tân Phú" in document.caption


async def test_forget_asks_first_then_erases_everything_but_the_unlinked_answers(
    fresh_both: BotHarness,
) -> None:
    await fresh_both.say(PERSON, "/start", first_name="Hoa", username="hoa_htx")
    await agree(fresh_both, PERSON)
    await register(fresh_both, PERSON)
    await fresh_both.say(PERSON + 1, "/privacy")
    await agree(fresh_both, PERSON + 1)
    code = (await fresh_both.runtime.store.coops.of_user(PERSON)).invite_code
    await fresh_both.say(PERSON + 1, f"/start join_{code}")  # two members: no question about the profile
    await assess(fresh_both, PERSON)
    await fresh_both.say(PERSON, "giá vàng hôm nay")
    [confirm] = await fresh_both.say(PERSON, "/forget")
    assert "Không thể hoàn tác" in confirm.text
    [cancelled] = await fresh_both.press(PERSON, confirm, "Không xóa")
    assert "Không xóa gì" in cancelled.text and await fresh_both.runtime.store.users.get(PERSON) is not None
    [confirm] = await fresh_both.say(PERSON, "/forget")
    [done] = await fresh_both.press(PERSON, confirm, "Xóa dữ liệu của tôi")
    assert "Đã xóa dữ liệu cá nhân" in done.text
    assert await traces_in(fresh_both.runtime.store.db, PERSON, ("hoa_htx",)) == []
    answers = await fresh_both.runtime.store.reports.export("assessments")
    assert answers and {r["user_id"] for r in answers} == {None}  # the cooperative keeps them
    audit = await fresh_both.runtime.store.reports.export("audit")
    assert [(r["action"], r["user_id"]) for r in audit if r["action"] == "erasure"] == [("erasure", None)]
    [again] = await fresh_both.say(PERSON, "le phi dang ky nhan hieu")  # a stranger again, still answered
    assert "1.360.000" in again.text and await traces_in(fresh_both.runtime.store.db, PERSON) == []


async def test_the_only_member_decides_about_the_profile(fresh_both: BotHarness) -> None:
    names = {PERSON: "HTX Một", PERSON + 1: "HTX Hai"}
    for person in (PERSON, PERSON + 1):
        await agree(fresh_both, person)
        await register(fresh_both, person, name=names[person])
        await assess(fresh_both, person)
    for person, choice in ((PERSON, "Xóa cả hồ sơ HTX"), (PERSON + 1, "Giữ hồ sơ HTX")):
        [confirm] = await fresh_both.say(person, "/forget")
        [question] = await fresh_both.press(person, confirm, "Xóa dữ liệu của tôi")
        assert "thành viên duy nhất" in question.text and names[person] in question.text
        await fresh_both.press(person, question, choice)
        assert await traces_in(fresh_both.runtime.store.db, person) == []
    coops = await fresh_both.runtime.store.reports.export("cooperatives")
    assert [c["name"] for c in coops] == ["HTX Hai"]  # kept, without its person
    answers = await fresh_both.runtime.store.reports.export("assessments")
    assert answers and {r["cooperative"] for r in answers} == {"HTX Hai"}


async def test_staff_cannot_forget_while_holding_a_role(fresh: BotHarness) -> None:
    [refused] = await fresh.say(OFFICER, "/forget")
    assert "thu hồi quyền" in refused.text


async def test_a_new_notice_version_asks_again_and_old_buttons_show_the_new_notice(fresh: BotHarness) -> None:
    [greeting] = await fresh.say(PERSON, "/start")
    [details] = await fresh.press(PERSON, greeting, "Xem chi tiết")
    await fresh.press(PERSON, greeting, "Đồng ý")
    rt = fresh.runtime
    kb = rt.kb
    rt.advisor = Advisor(dataclasses.replace(kb, privacy=dataclasses.replace(kb.privacy, version="2027-01")))
    [needed] = await fresh.say(PERSON, "/register")
    assert "cần bạn đồng ý" in needed.text
    [notice] = await fresh.say(PERSON, "/privacy")
    assert "bản cũ" in notice.text
    [fresh_notice] = await fresh.press(PERSON, details, "Đồng ý")  # a button of the old notice
    assert fresh.last_answer() and "cập nhật" in fresh.last_answer()
    await fresh.press(PERSON, fresh_notice, "Đồng ý")
    versions = [c.version for c in await rt.store.consents.history(PERSON)]
    assert versions == [kb.privacy.version, "2027-01"]


async def test_an_existing_user_is_asked_at_their_next_message(
    tmp_path: Path, real_kb: KnowledgeBase
) -> None:
    """Someone stored before consent existed: their question is answered, then they are asked."""
    settings = settings_for(tmp_path)
    before = await BotHarness.start(settings, real_kb, consent=False)
    await before.runtime.store.users.touch(PERSON, PERSON, "vi", "old_user")
    await before.stop()
    bot = await BotHarness.start(settings, real_kb, consent=False)
    try:
        answer, notice = await bot.say(PERSON, "le phi dang ky nhan hieu")
        assert "1.360.000" in answer.text and "Đồng ý" in buttons(notice)[0][0]
        [question] = await bot.runtime.store.reports.export("questions")
        assert question["user_id"] is None  # nothing new linked before they agree
        [reply] = await bot.press(PERSON, notice, "Không đồng ý")
        assert "vẫn hỏi đáp" in reply.text
        assert [c.decision for c in await bot.runtime.store.consents.history(PERSON)] == ["refused"]
        assert all(r["id"] != PERSON for r in await bot.runtime.store.reports.export("users"))
    finally:
        await bot.stop()


async def test_forged_privacy_buttons_are_refused(fresh: BotHarness) -> None:
    [greeting] = await fresh.say(PERSON, "/start")
    version = button_data(greeting, "Đồng ý").split(":")[0]
    for data in (f"{version}:cs:x:1", f"{version}:cs", f"{version}:fg:boom", f"{version}:fg"):
        await fresh.press_data(PERSON, greeting, data, forge=True)
        assert fresh.last_answer() == fresh.runtime.kb.ui.get("button_invalid")
    assert await traces_in(fresh.runtime.store.db, PERSON) == []


async def test_the_running_bot_purges_what_is_past_retention(tmp_path: Path, real_kb: KnowledgeBase) -> None:
    settings = settings_for(tmp_path, retention_months=1)
    store = await Store.open(settings.db_path)
    await store.db.write(
        "INSERT INTO questions (user_id, text, normalised, decision, score, kb_version, asked_at) "
        "VALUES (?, 'q', 'q', 'answer', 1, 'k', '2026-01-01T00:00:00+00:00')",
        (PERSON,),
    )
    await store.close()
    bot = await BotHarness.start(settings, real_kb)
    try:
        for _ in range(200):  # the daily task's first round runs at start
            if (await bot.runtime.store.reports.export("questions"))[0]["user_id"] is None:
                break
            await asyncio.sleep(0.02)
        assert (await bot.runtime.store.reports.export("questions"))[0]["user_id"] is None
        assert any(job.get_name() == "privacy-purge" and not job.done() for job in bot.runtime.jobs)
    finally:
        await bot.stop()
