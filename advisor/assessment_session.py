"""A cooperative's run through the self-assessment: start or resume, answer, go back, pause,
finish. The rules of the walk live here, apart from Telegram and from SQL:

- one open assessment per member; it continues where it stopped, from any device;
- an open assessment on an older questionnaire (the curators changed the questions) is closed
  and the member is told, rather than mixing answers to two versions (`Step.updated`);
- an answer counts only for the current question of the member's own open assessment, so a
  double tap or a button from an old message changes nothing (`stale`, `double`);
- every answer is in the append-only log before the next question is shown, and a finished
  assessment stores its score with the questionnaire's version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from advisor.assessment import Question, Questionnaire, Result
from advisor.records import Assessment, Coop
from advisor.storage import Store

StepKind = Literal["question", "finished", "stale", "double", "first"]


@dataclass(frozen=True)
class Step:
    """What the member sees next."""

    kind: StepKind
    assessment: Assessment | None = None
    question: Question | None = None
    """For "question": the question to show."""
    answers: dict[str, int] = field(default_factory=dict)
    result: Result | None = None
    """For "finished": the scores."""
    previous: Assessment | None = None
    """For "finished": the cooperative's result before this one, to compare with."""
    updated: bool = False
    """An open assessment on an older questionnaire was closed on the way."""


class AssessmentSessions:
    """The assessment walk for one questionnaire version, over the store."""

    def __init__(self, store: Store, questionnaire: Questionnaire) -> None:
        self.store = store
        self.questionnaire = questionnaire

    async def current(self, user_id: int) -> tuple[Assessment | None, bool]:
        """(the member's open assessment if it can continue, whether an outdated one was closed)."""
        open_one = await self.store.assessments.open_of(user_id)
        return await self._usable(open_one)

    async def owned(self, user_id: int, raw_id: str) -> tuple[Assessment | None, bool]:
        """The open assessment a button names, if it is this member's and on today's questions."""
        if not raw_id.isdigit():
            return None, False
        assessment = await self.store.assessments.get(int(raw_id))
        if assessment is None or assessment.user_id != user_id or assessment.status != "open":
            return None, False
        return await self._usable(assessment)

    async def _usable(self, assessment: Assessment | None) -> tuple[Assessment | None, bool]:
        if assessment is not None and assessment.version != self.questionnaire.version:
            await self.store.assessments.abandon(assessment.id)
            return None, True
        return assessment, False

    async def begin(self, user_id: int, coop: Coop, resume: bool) -> Step:
        """Resume the open assessment (when `resume` and there is one) or start a new one."""
        open_one, updated = await self.current(user_id) if resume else (None, False)
        if open_one is None:
            first = self.questionnaire.after(None, {})
            version = self.questionnaire.version
            open_one = await self.store.assessments.start(user_id, coop.id, version, first.id)
        if open_one.current_question is None:
            return await self.finish(open_one, updated)
        question = self.questionnaire.question(open_one.current_question)
        answers = await self.store.assessments.answers(open_one.id)
        return Step("question", open_one, question, answers, updated=updated)

    async def answer(self, user_id: int, raw_id: str, question_id: str, raw_option: str) -> Step:
        """Log one option; the next applicable question, or the result after the last one."""
        assessment, updated = await self.owned(user_id, raw_id)
        question = self.questionnaire.question(question_id) if assessment else None
        option = int(raw_option) if question and raw_option.isdigit() else -1
        if assessment is None or question is None or not 0 <= option < len(question.options):
            return Step("stale", updated=updated)
        answers = {**await self.store.assessments.answers(assessment.id), question.id: option}
        following = self.questionnaire.after(question.id, answers)
        score, next_id = question.options[option].score, following.id if following else None
        recorded = await self.store.assessments.record_answer(assessment, question.id, option, score, next_id)
        if not recorded:
            return Step("double", assessment)
        if following is None:
            return await self.finish(assessment)
        return Step("question", assessment, following, answers)

    async def back(self, user_id: int, raw_id: str, question_id: str) -> Step:
        """The previous applicable question becomes current again (its answer can change)."""
        assessment, updated = await self.owned(user_id, raw_id)
        if assessment is None or assessment.current_question != question_id:
            return Step("stale", updated=updated)
        answers = await self.store.assessments.answers(assessment.id)
        previous = self.questionnaire.before(question_id, answers)
        if previous is None:
            return Step("first", assessment)
        if not await self.store.assessments.move_to(assessment.id, question_id, previous.id):
            return Step("stale")
        return Step("question", assessment, previous, answers)

    async def progress(self, user_id: int, raw_id: str) -> tuple[int, int] | None:
        """(question number, applicable questions) where the member pauses; None if stale."""
        assessment, _ = await self.owned(user_id, raw_id)
        if assessment is None or assessment.current_question is None:
            return None
        answers = await self.store.assessments.answers(assessment.id)
        return self.questionnaire.progress(assessment.current_question, answers)

    async def stored_result(self, user_id: int, raw_id: str) -> Step | None:
        """A finished assessment of the member's cooperative, shown again from what was stored;
        None for another cooperative's, an unfinished one or forged data."""
        coop = await self.store.coops.of_user(user_id)
        assessment = await self.store.assessments.get(int(raw_id)) if raw_id.isdigit() else None
        if coop is None or assessment is None or assessment.coop_id != coop.id or assessment.status != "done":
            return None
        past = await self.store.assessments.history(coop.id)
        older = [
            a for a in past if (a.finished_at or "", a.id) < (assessment.finished_at or "", assessment.id)
        ]
        result = self.questionnaire.result(assessment.pillar_scores)
        return Step("finished", assessment, None, {}, result, older[0] if older else None)

    async def last_result(self, coop: Coop) -> Assessment | None:
        """The cooperative's latest finished assessment, if any."""
        past = await self.store.assessments.history(coop.id, limit=1)
        return past[0] if past else None

    async def finish(self, assessment: Assessment, updated: bool = False) -> Step:
        """Score and store the result with its questionnaire version."""
        answers = await self.store.assessments.answers(assessment.id)
        result = self.questionnaire.score(answers)
        level, scores = result.level, dict(result.pillar_scores)
        stored = self.store.assessments
        await stored.finish(assessment.id, result.overall, level.id, level.label("vi"), scores)
        past = await self.store.assessments.history(assessment.coop_id, limit=2)
        previous = next((a for a in past if a.id != assessment.id), None)
        return Step("finished", assessment, None, answers, result, previous, updated)
