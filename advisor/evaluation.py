"""Accuracy of the answering engine on labelled questions (`advisor eval`).

A labelled question is `{q: text, expect: [ids] | null}`; null means out of scope, so the
right outcome is to decline. Runs are pure: they take an `Advisor` and return numbers.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from advisor.answering import Advisor
from advisor.decision import Decision
from advisor.folding import fold
from advisor.kb.models import KnowledgeBase


@dataclass(frozen=True)
class Labelled:
    question: str
    expect: tuple[str, ...] | None


@dataclass(frozen=True)
class Miss:
    question: str
    expect: tuple[str, ...] | None
    decision: Decision


@dataclass
class Report:
    """What members felt on one set of questions, with latencies.

    For in-scope questions: *direct* (answered at once with an expected entry), *reach*
    (direct, or an expected entry among the buttons offered: "Xem thêm" under an answer, or
    the suggestions), *wrong* (answered at once with another entry); for out-of-scope ones
    the share declined. top-1 and top-3 measure the ranking alone.
    """

    in_scope: int = 0
    out_of_scope: int = 0
    top1: int = 0
    top3: int = 0
    direct: int = 0
    reach: int = 0
    wrong: int = 0
    declined: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    misses: list[Miss] = field(default_factory=list)

    @staticmethod
    def _pct(part: int, whole: int) -> float:
        return 100.0 * part / whole if whole else 100.0

    @property
    def top1_pct(self) -> float:
        return self._pct(self.top1, self.in_scope)

    @property
    def top3_pct(self) -> float:
        return self._pct(self.top3, self.in_scope)

    @property
    def direct_pct(self) -> float:
        return self._pct(self.direct, self.in_scope)

    @property
    def reach_pct(self) -> float:
        return self._pct(self.reach, self.in_scope)

    @property
    def wrong_pct(self) -> float:
        return self._pct(self.wrong, self.in_scope)

    @property
    def reject_pct(self) -> float:
        return self._pct(self.declined, self.out_of_scope)

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else 0.0

    @property
    def p99_ms(self) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


class LabelError(ValueError):
    """A labelled-questions file is malformed; the message says where."""


def read_labelled(path: Path) -> list[Labelled]:
    """Read a YAML list of {q, expect}."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise LabelError(f"{path}: cannot read: {exc}") from None
    if not isinstance(data, list):
        raise LabelError(f"{path}: expected a YAML list of {{q: ..., expect: [...]}}")
    items: list[Labelled] = []
    for number, item in enumerate(data, 1):
        if not isinstance(item, dict) or not isinstance(item.get("q"), str):
            raise LabelError(f"{path}: item {number} needs a text 'q'")
        expect = item.get("expect")
        if expect is not None and not (isinstance(expect, list) and all(isinstance(e, str) for e in expect)):
            raise LabelError(f"{path}: item {number}: 'expect' must be a list of ids or null")
        items.append(Labelled(item["q"], tuple(expect) if expect is not None else None))
    return items


def kb_test_questions(kb: KnowledgeBase) -> list[Labelled]:
    """The curators' own test questions: each must find its entry."""
    return [Labelled(q, (entry.id,)) for entry in kb.entries.values() for q in entry.test_questions]


def evaluate(advisor: Advisor, items: list[Labelled], folded: bool = False) -> Report:
    """Run every question through the engine and count what happened."""
    report = Report()
    for item in items:
        question = fold(item.question) if folded else item.question
        start = time.perf_counter()
        decision = advisor.decide(question)
        report.latencies_ms.append((time.perf_counter() - start) * 1000)
        if item.expect is None:
            report.out_of_scope += 1
            if decision.kind == "decline":
                report.declined += 1
            else:
                report.misses.append(Miss(question, None, decision))
            continue
        report.in_scope += 1
        expected = set(item.expect)
        ranked = [hit.entry_id for hit in decision.hits]
        report.top1 += bool(ranked) and ranked[0] in expected
        report.top3 += bool(expected & set(ranked[:3]))
        direct = decision.kind == "answer" and decision.entry_id in expected
        report.direct += direct
        report.reach += bool(expected & set(decision.reachable))
        report.wrong += decision.kind == "answer" and not direct
        if not direct:
            report.misses.append(Miss(question, item.expect, decision))
    return report
