"""The calibrated decision: one probability per candidate ranks it and decides what to do.

Ranking and deciding used to be two scales (an entry could rank first yet have a lower
confidence than its runner-up). Now a small logistic model turns each candidate's lexical
evidence (`advisor.kb.index.Candidate`) into the probability that it answers the question;
candidates are ranked by it and the best one's probability decides:

- answer: `probability >= model.answer`; close runners-up are offered below the answer;
- suggest: `probability >= model.suggest`: "Có phải bạn muốn hỏi" with the top candidates;
- decline: otherwise.

The weights and both thresholds are learned from labelled questions by `advisor calibrate`
(`advisor.calibration`), which writes `decision_model.json` beside this module; thresholds
are chosen by cross-validation and the file records the held-out figures it was chosen on.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from advisor.kb.index import Candidate

Kind = Literal["answer", "suggest", "decline"]

MODEL_PATH = Path(__file__).with_name("decision_model.json")

FEATURES = (
    "coverage",
    "fuzzy",
    "whole",
    "lexical",
    "recall",
    "recall_gap",
    "coverage_gap",
    "order",
    "gap",
    "related_runner_up",
    "top",
    "length",
    "sentence",
    "english",
    "domain",
    "posterior",
    "lead",
)
"""What the model weighs for one candidate; `features` computes them in this order."""


def features(
    candidates: Sequence[Candidate],
    related: dict[str, frozenset[str]],
    length: int,
    english: bool,
    domain: bool = False,
) -> list[list[float]]:
    """The feature vector of every candidate (sorted by `order`, best first).

    `gap` is the candidate's `order` minus the best other candidate's: clearly ahead, or one
    of several close ones. `related_runner_up` says whether that other candidate is linked
    to this one (an entry and its neighbour both fit: answer, and offer the neighbour).
    """
    other_recall = _best_of_others([c.recall for c in candidates])
    other_coverage = _best_of_others([c.coverage for c in candidates])
    rows = []
    for i, cand in enumerate(candidates):
        rival = candidates[1 if i == 0 else 0] if len(candidates) > 1 else None
        linked = rival is not None and (
            rival.entry_id in related.get(cand.entry_id, ())
            or cand.entry_id in related.get(rival.entry_id, ())
        )
        rows.append(
            [
                cand.coverage,
                cand.fuzzy / 100,
                cand.whole,
                cand.lexical,
                cand.recall,
                cand.recall - other_recall[i],
                cand.coverage - other_coverage[i],
                cand.order / 100,
                (cand.order - (rival.order if rival else 0.0)) / 100,
                float(linked),
                float(i == 0),
                math.log1p(length) / 5,
                float(cand.view > 0),
                float(english),
                float(domain),
                cand.posterior,
                max(-1.0, min(1.0, cand.lead)),
            ]
        )
    return rows


def _best_of_others(values: list[float]) -> list[float]:
    """For each position, the largest value at any other position (0 when there is none)."""
    if len(values) < 2:
        return [0.0] * len(values)
    first = max(range(len(values)), key=values.__getitem__)
    second = max(v for j, v in enumerate(values) if j != first)
    return [second if i == first else values[first] for i in range(len(values))]


@dataclass(frozen=True)
class Model:
    """Logistic weights over `FEATURES` and the two probability thresholds (0-1)."""

    weights: tuple[float, ...]
    bias: float
    answer: float
    suggest: float
    offer: float
    """Below an answer, other candidates at least this probable are offered as buttons."""
    notes: dict = field(default_factory=dict, compare=False)

    def probability(self, row: Sequence[float]) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, row, strict=True))
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> Model:
        data = json.loads(path.read_text(encoding="utf-8"))
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"{path}: trained on other features; run: advisor calibrate --write")
        return cls(
            tuple(data["weights"]),
            data["bias"],
            data["answer"],
            data["suggest"],
            data["offer"],
            data.get("notes", {}),
        )

    def save(self, path: Path = MODEL_PATH) -> None:
        data = {
            "features": list(FEATURES),
            "weights": [round(w, 5) for w in self.weights],
            "bias": round(self.bias, 5),
            "answer": self.answer,
            "suggest": self.suggest,
            "offer": self.offer,
            "notes": self.notes,
        }
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class Hit:
    """One candidate after calibration: `score` is its probability of being right, 0-100."""

    entry_id: str
    score: float
    evidence: Candidate | None = None


@dataclass(frozen=True)
class Decision:
    """What the engine concluded for one question."""

    kind: Kind
    question: str
    normalised: str
    hits: tuple[Hit, ...]
    """Ranked candidates, most probable first."""
    offers: tuple[Hit, ...] = ()
    """With an answer: other entries that may be what was asked ("Xem thêm")."""
    lang: str = "vi"
    """The language the question was written in."""
    in_domain: bool = True
    """False for a decline of a question about something the bot does not cover at all."""

    @property
    def entry_id(self) -> str | None:
        return self.hits[0].entry_id if self.kind == "answer" else None

    @property
    def score(self) -> float:
        return self.hits[0].score if self.hits else 0.0

    @property
    def suggestions(self) -> tuple[Hit, ...]:
        return self.hits if self.kind == "suggest" else ()

    @property
    def reachable(self) -> tuple[str, ...]:
        return reachable(self.kind, self.hits, self.offers)


def reachable(kind: Kind, hits: Sequence[Hit], offers: Sequence[Hit]) -> tuple[str, ...]:
    """Every entry the member can open from a reply at one tap (or at once)."""
    if kind == "answer":
        return (hits[0].entry_id, *(hit.entry_id for hit in offers))
    return tuple(hit.entry_id for hit in hits) if kind == "suggest" else ()


SHOWN = 3
"""Suggestions and offers shown at most."""


def decide(
    model: Model,
    candidates: Sequence[Candidate],
    related: dict[str, frozenset[str]],
    length: int,
    english: bool,
    domain: bool = False,
) -> tuple[Kind, tuple[Hit, ...], tuple[Hit, ...]]:
    """(kind, ranked hits, offers) for one question's candidates; `domain`: the question
    names something the bot covers (`Advisor.in_domain`)."""
    if not candidates:
        return "decline", (), ()
    rows = features(candidates, related, length, english, domain)
    hits = sorted(
        (
            Hit(c.entry_id, round(100 * model.probability(row), 1), c)
            for c, row in zip(candidates, rows, strict=True)
        ),
        key=lambda hit: hit.score,
        reverse=True,
    )
    best = hits[0].score / 100
    if best >= model.answer:
        offers = tuple(hit for hit in hits[1:] if hit.score / 100 >= model.offer)[:SHOWN]
        return "answer", tuple(hits[:SHOWN]), offers
    if best >= model.suggest:
        return "suggest", tuple(hits[:SHOWN]), ()
    return "decline", tuple(hits[:SHOWN]), ()
