"""The members' workflows as rules, without Telegram: the profile flow and the assessment walk
over a real database and the real questionnaire."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.assessment_session import AssessmentSessions
from advisor.kb import load_knowledge
from advisor.profiles import FIELDS, ProfileDraft, Profiles, Saved, read_button, read_field
from advisor.storage import Store
from tests.conftest import KNOWLEDGE


@pytest.fixture
async def store(tmp_path: Path):
    opened = await Store.open(tmp_path / "w.db")
    for user in (1, 2):
        await opened.users.touch(user, user, "vi")
    yield opened
    await opened.close()


@pytest.fixture(scope="module")
def questionnaire():
    return load_knowledge(KNOWLEDGE).kb.assessment


def test_profile_replies_are_checked_field_by_field() -> None:
    assert read_field("name", "  HTX   Rau sạch  ").value == "HTX Rau sạch"
    assert read_field("name", "/assess").problem == "bad_name"
    assert read_field("members", "khoảng 30 thành viên").value == 30
    assert read_field("members", "hai mươi").problem == "bad_members"
    mapped = read_field("province", "tien giang")
    assert (mapped.value, mapped.old_province) == ("Đồng Tháp", "Tiền Giang")
    assert read_field("sector", "nông nghiệp").problem == "choose_from_buttons"
    assert read_button("sector", "agriculture") == "agriculture"
    assert read_button("sector", "gold") is None and read_button("province", "99") is None


async def test_profile_flow_survives_a_restart_and_edits_only_the_own_coop(store: Store) -> None:
    profiles = Profiles(store)
    await profiles.begin(1)
    for value in ("HTX A", "Huế", "agriculture"):
        draft = await Profiles(store).draft(1)  # read back each time, as after a restart
        step = await profiles.give(1, draft, value)
        assert isinstance(step, ProfileDraft)
    saved = await profiles.give(1, await profiles.draft(1), 12)
    assert isinstance(saved, Saved) and saved.created and saved.coop.members == 12
    assert await profiles.draft(1) is None  # the flow ended
    edit = await profiles.begin(1, ("members",))
    again = await profiles.give(1, edit, 15)
    assert not again.created and again.coop.id == saved.coop.id and again.coop.members == 15
    assert await profiles.join(2, "../../etc") is None
    assert (await profiles.join(2, saved.coop.invite_code)).id == saved.coop.id
    assert FIELDS[0] == "name"


async def _coop(store: Store):
    return await store.coops.create(1, "HTX A", "Huế", "agriculture", 12)


async def test_assessment_walk_answers_once_goes_back_and_finishes(store: Store, questionnaire) -> None:
    sessions = AssessmentSessions(store, questionnaire)
    coop = await _coop(store)
    step = await sessions.begin(1, coop, resume=True)
    assert step.kind == "question"
    first = step.question
    raw_id = str(step.assessment.id)
    assert (await sessions.back(1, raw_id, first.id)).kind == "first"
    assert (await sessions.answer(2, raw_id, first.id, "0")).kind == "stale"  # not their assessment
    assert (await sessions.answer(1, raw_id, first.id, "99")).kind == "stale"  # forged option
    second = await sessions.answer(1, raw_id, first.id, "1")
    assert second.kind == "question" and second.question.id != first.id
    assert (await sessions.answer(1, raw_id, first.id, "1")).kind == "double"  # a double tap
    back = await sessions.back(1, raw_id, second.question.id)
    assert back.kind == "question" and back.question.id == first.id
    assert await sessions.progress(1, raw_id) == questionnaire.progress(first.id, back.answers)
    resumed = await sessions.begin(1, coop, resume=True)
    assert resumed.assessment.id == step.assessment.id and resumed.question.id == first.id
    step = resumed
    while step.kind == "question":
        step = await sessions.answer(1, raw_id, step.question.id, "0")
    assert step.kind == "finished" and step.result is not None and step.previous is None
    assert (await store.assessments.get(int(raw_id))).status == "done"
    assert await sessions.progress(1, raw_id) is None


async def test_assessment_on_an_older_questionnaire_is_closed_not_mixed(store: Store, questionnaire) -> None:
    coop = await _coop(store)
    old = await store.assessments.start(1, coop.id, "old-version", questionnaire.after(None, {}).id)
    sessions = AssessmentSessions(store, questionnaire)
    assert await sessions.current(1) == (None, True)
    assert (await store.assessments.get(old.id)).status != "open"
    step = await sessions.begin(1, coop, resume=True)
    assert step.kind == "question" and step.assessment.id != old.id
