"""The questionnaire: scoring, level boundaries, conditions, and its validation."""

from __future__ import annotations

import pytest

from advisor.assessment import Level, Option, Pillar, Question, Questionnaire
from advisor.kb import load_knowledge
from tests.conftest import KNOWLEDGE, make_kb


def _q(qid: str, pillar: str, only_if=None) -> Question:
    options = tuple(Option(str(i), i) for i in range(4))
    return Question(qid, pillar, qid, options, only_if=only_if)


LEVELS = tuple(Level(i, f"L{i}", m, "") for i, m in enumerate((0, 15, 35, 55, 75)))
QUESTIONNAIRE = Questionnaire(
    "t",
    "",
    (Pillar("a", "A", ""), Pillar("b", "B", "")),
    LEVELS,
    (_q("a1", "a"), _q("a2", "a"), _q("b1", "b")),
    "v1",
)


def test_pillar_and_overall_scores() -> None:
    result = QUESTIONNAIRE.score({"a1": 3, "a2": 0, "b1": 3})
    assert result.pillar_scores == {"a": 50.0, "b": 100.0}
    assert result.overall == 75.0 and result.level.id == 4
    assert result.weakest == ("a", "b")


@pytest.mark.parametrize(
    ("answers", "level"),
    [
        ({}, 0),
        ({"b1": 1}, 1),
        ({"a1": 1, "b1": 1}, 1),
        ({"a1": 2, "b1": 2}, 2),
        ({"a1": 3, "a2": 3, "b1": 2}, 4),
    ],
)
def test_level_boundaries(answers: dict[str, int], level: int) -> None:
    assert QUESTIONNAIRE.score(answers).level.id == level


def test_exact_threshold_reaches_the_level() -> None:
    levels = (Level(0, "a", 0, ""), Level(1, "b", 50, ""))
    q = Questionnaire("t", "", (Pillar("a", "A", ""),), levels, (_q("x", "a"), _q("y", "a")), "v")
    assert q.score({"x": 3, "y": 0}).overall == 50.0
    assert q.score({"x": 3, "y": 0}).level.id == 1


def test_conditional_question_skipped_counts_zero_and_navigation() -> None:
    from advisor.assessment import Condition

    q = Questionnaire(
        "t",
        "",
        (Pillar("a", "A", ""),),
        LEVELS,
        (_q("x", "a"), _q("y", "a", Condition("x", frozenset({2, 3}))), _q("z", "a")),
        "v",
    )
    assert q.after("x", {"x": 0}).id == "z"
    assert q.after("x", {"x": 3}).id == "y"
    assert q.progress("z", {"x": 0}) == (2, 2)
    assert q.before("z", {"x": 0}).id == "x"
    assert q.before("x", {}) is None
    assert q.score({"x": 3, "z": 3}).pillar_scores["a"] == round(600 / 9, 1)


def test_real_questionnaire_is_valid_and_versioned() -> None:
    kb = load_knowledge(KNOWLEDGE).kb
    questionnaire = kb.assessment
    assert 6 <= len(questionnaire.pillars) <= 7
    assert 18 <= len(questionnaire.questions) <= 21
    assert all(len(q.options) == 4 for q in questionnaire.questions)
    assert [lv.min for lv in questionnaire.levels] == sorted(lv.min for lv in questionnaire.levels)
    assert len(questionnaire.version) >= 8


ASSESSMENT = (KNOWLEDGE / "assessment.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("    min: 35\n", "    min: 10\n", "must be above the previous level's"),
        ('{text: "Chưa có", text_en: "No", score: 0}', '{text: "Chưa có", text_en: "No"}', "score"),
        (
            "entries: [dx.where_to_start, dx.roadmap, dx.cost_funding]",
            "entries: [dx.nowhere]",
            "'dx.nowhere' points to no entry",
        ),
    ],
)
def test_broken_questionnaire_is_reported(tmp_path, old: str, new: str, message: str) -> None:
    if old not in ASSESSMENT:
        pytest.skip(f"fixture text changed: {old!r}")
    root = make_kb(tmp_path / "kb", extra={"assessment.yaml": ASSESSMENT.replace(old, new, 1)})
    problems = [str(p) for p in load_knowledge(root).problems]
    assert any("assessment.yaml" in p and message in p for p in problems), problems
