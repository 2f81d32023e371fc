"""The digital-maturity questionnaire: which question comes next, and what the answers mean.

Pure functions over a `Questionnaire` (loaded from `knowledge/assessment.yaml`) and a
mapping of answers {question id: option index}. No storage and no Telegram here: the
store keeps the append-only answer log, the adapter asks the questions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from advisor.i18n import pick


@dataclass(frozen=True)
class Option:
    text: str
    score: int
    text_en: str = ""

    def label(self, lang: str) -> str:
        return pick(lang, self.text, self.text_en)


@dataclass(frozen=True)
class Condition:
    """Ask a question only if an earlier one got one of these options."""

    question: str
    options: frozenset[int]


@dataclass(frozen=True)
class Question:
    id: str
    pillar: str
    text: str
    options: tuple[Option, ...]
    text_en: str = ""
    only_if: Condition | None = None

    def wording(self, lang: str) -> str:
        return pick(lang, self.text, self.text_en)

    @property
    def max_score(self) -> int:
        return max(option.score for option in self.options)


@dataclass(frozen=True)
class Pillar:
    id: str
    title: str
    advice: str
    title_en: str = ""
    advice_en: str = ""
    entries: tuple[str, ...] = ()
    programmes: tuple[str, ...] = ()

    def name(self, lang: str) -> str:
        return pick(lang, self.title, self.title_en)

    def advice_text(self, lang: str) -> str:
        return pick(lang, self.advice, self.advice_en)


@dataclass(frozen=True)
class Level:
    id: int
    name: str
    min: float
    meaning: str
    name_en: str = ""
    meaning_en: str = ""
    entries: tuple[str, ...] = ()
    programmes: tuple[str, ...] = ()

    def label(self, lang: str) -> str:
        return pick(lang, self.name, self.name_en)

    def meaning_text(self, lang: str) -> str:
        return pick(lang, self.meaning, self.meaning_en)


@dataclass(frozen=True)
class Result:
    """Scores 0-100 per pillar and overall, the level, and the two weakest pillars."""

    pillar_scores: Mapping[str, float]
    overall: float
    level: Level
    weakest: tuple[str, ...]


@dataclass(frozen=True)
class Questionnaire:
    title: str
    intro: str
    pillars: tuple[Pillar, ...]
    levels: tuple[Level, ...]
    questions: tuple[Question, ...]
    version: str
    source: str = ""
    title_en: str = ""
    intro_en: str = ""

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def pillar(self, pillar_id: str) -> Pillar | None:
        return next((p for p in self.pillars if p.id == pillar_id), None)

    def applies(self, question: Question, answers: Mapping[str, int]) -> bool:
        """A question applies when it has no condition or its condition's answer meets it."""
        condition = question.only_if
        return condition is None or answers.get(condition.question) in condition.options

    def may_apply(self, question: Question, answers: Mapping[str, int]) -> bool:
        """Applies, or may still once its condition's question is answered."""
        condition = question.only_if
        return condition is None or condition.question not in answers or self.applies(question, answers)

    def applicable(self, answers: Mapping[str, int]) -> list[Question]:
        return [q for q in self.questions if self.applies(q, answers)]

    def after(self, question_id: str | None, answers: Mapping[str, int]) -> Question | None:
        """The next applicable question after `question_id` (the first if None)."""
        passed = question_id is None
        for question in self.questions:
            if passed and self.applies(question, answers):
                return question
            passed = passed or question.id == question_id
        return None

    def before(self, question_id: str, answers: Mapping[str, int]) -> Question | None:
        """The applicable question before `question_id`, for the Back button."""
        previous = None
        for question in self.questions:
            if question.id == question_id:
                return previous
            if self.applies(question, answers):
                previous = question
        return None

    def progress(self, question_id: str, answers: Mapping[str, int]) -> tuple[int, int]:
        """(position of this question, number of questions that apply or may still), 1-based.

        Counting the questions that may still apply keeps the total from growing midway
        ("Câu 12/18" after "Câu 1/17"); it can only shrink when an answer rules one out."""
        applicable = [q.id for q in self.questions if self.may_apply(q, answers)]
        position = applicable.index(question_id) + 1 if question_id in applicable else len(applicable)
        return position, len(applicable)

    def level_label(self, level_id: int | None, lang: str) -> str | None:
        """The name of a maturity level in the reader's language (None for an unknown level)."""
        return next((level.label(lang) for level in self.levels if level.id == level_id), None)

    def score(self, answers: Mapping[str, int]) -> Result:
        """Score answers; unanswered or skipped questions count 0 of their maximum."""
        earned: dict[str, int] = {p.id: 0 for p in self.pillars}
        possible: dict[str, int] = {p.id: 0 for p in self.pillars}
        for question in self.questions:
            possible[question.pillar] += question.max_score
            option = answers.get(question.id)
            if self.applies(question, answers) and option is not None and 0 <= option < len(question.options):
                earned[question.pillar] += question.options[option].score
        return self.result(
            {p: round(100.0 * earned[p] / possible[p], 1) if possible[p] else 0.0 for p in earned}
        )

    def result(self, pillar_scores: Mapping[str, float]) -> Result:
        """The result of pillar scores (a stored result is shown again from these, so what a
        member sees later is what was stored, whatever happened to the first sending)."""
        pillar_scores = {p.id: float(pillar_scores.get(p.id, 0.0)) for p in self.pillars}
        overall = round(sum(pillar_scores.values()) / len(pillar_scores), 1) if pillar_scores else 0.0
        level = self.levels[0]
        for candidate in self.levels:
            if overall >= candidate.min:
                level = candidate
        order = [p.id for p in self.pillars]
        weakest = tuple(sorted(order, key=lambda p: (pillar_scores[p], order.index(p)))[:2])
        return Result(pillar_scores, overall, level, weakest)
