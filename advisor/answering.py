"""The answering engine: rank a question against the knowledge base and decide what to do.

Three outcomes, chosen by thresholds tuned on ../shared/eval/dev.yaml (see `THRESHOLDS`):
- answer: the best entry is confident and clearly ahead of the runner-up;
- suggest: plausible candidates, shown as "Có phải bạn muốn hỏi";
- decline: out of scope; the bot says so honestly and logs the question for curators.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from advisor.kb.index import Hit, SearchIndex
from advisor.kb.models import KnowledgeBase

Kind = Literal["answer", "suggest", "decline"]


@dataclass(frozen=True)
class Thresholds:
    """Scores are 0-100 (see `SearchIndex.search`)."""

    answer: float
    """Answer directly when the best score reaches this ..."""
    margin: float
    """... and leads the runner-up by at least this much."""
    suggest: float
    """Below `answer` (or without the margin) but at least this: suggest the top candidates."""


THRESHOLDS = Thresholds(answer=80.0, margin=4.0, suggest=72.0)
"""Tuned with `advisor eval` on the dev set; bench/README.md records the run."""

SUGGESTIONS = 3


@dataclass(frozen=True)
class Decision:
    """What the engine concluded for one question."""

    kind: Kind
    question: str
    normalised: str
    hits: tuple[Hit, ...]

    @property
    def entry_id(self) -> str | None:
        return self.hits[0].entry_id if self.kind == "answer" else None

    @property
    def score(self) -> float:
        return self.hits[0].score if self.hits else 0.0

    @property
    def suggestions(self) -> tuple[Hit, ...]:
        return self.hits[:SUGGESTIONS] if self.kind == "suggest" else ()


class Advisor:
    """A knowledge base with its index; build one per load and share it read-only."""

    def __init__(self, kb: KnowledgeBase, thresholds: Thresholds = THRESHOLDS) -> None:
        self.kb = kb
        self.index = SearchIndex(kb)
        self.thresholds = thresholds

    def decide(self, question: str) -> Decision:
        hits = tuple(self.index.search(question, limit=SUGGESTIONS))
        normalised = self.index.normaliser.normalise(question)
        return Decision(self._kind(hits), question, normalised, hits)

    def _kind(self, hits: tuple[Hit, ...]) -> Kind:
        if not hits:
            return "decline"
        best = hits[0].score
        runner_up = hits[1].score if len(hits) > 1 else 0.0
        t = self.thresholds
        if best >= t.answer and best - runner_up >= t.margin:
            return "answer"
        if best >= t.suggest:
            return "suggest"
        return "decline"
