"""The assessment walk as rules, without Telegram, over a real database and the real questionnaire."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.assessment_session import AssessmentSessions
from advisor.kb import load_knowledge
from advisor.storage import Store
from tests.conftest import KNOWLEDGE


@pytest.fixture
async def store(database: Path | str):
    opened = await Store.open(database)
    for user in (1, 2):
        await opened.users.touch(user, user, "vi")
    yield opened
    await opened.close()


@pytest.fixture(scope="module")
def questionnaire():
    return load_knowledge(KNOWLEDGE).kb.assessment


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


async def test_a_stored_result_is_only_the_own_cooperatives(store: Store, questionnaire) -> None:
    sessions = AssessmentSessions(store, questionnaire)
    coop = await _coop(store)
    step = await sessions.begin(1, coop, resume=True)
    raw_id = str(step.assessment.id)
    assert await sessions.stored_result(1, raw_id) is None  # not finished yet
    while step.kind == "question":
        step = await sessions.answer(1, raw_id, step.question.id, "1")
    shown = await sessions.stored_result(1, raw_id)
    assert shown.result == step.result and shown.previous is None
    assert await sessions.last_result(coop) == (await store.assessments.get(int(raw_id)))
    assert await sessions.stored_result(2, raw_id) is None  # user 2 has no cooperative
    assert await sessions.stored_result(1, "x") is None
