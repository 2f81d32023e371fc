"""The curators' to-do list: what members asked that the bot could not answer well.

Questions the bot declined or only suggested for are grouped by similarity of their
normalised text, so fifty ways of asking about the weather count as one gap with fifty
askers; answers that got 👎 are listed beside them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from advisor.storage import Store

SIMILAR = 75.0
"""token_set_ratio at or above which two questions are the same gap."""
EXAMPLES = 3


@dataclass
class Gap:
    """A group of similar unanswered questions."""

    key: str
    count: int = 0
    examples: list[str] = field(default_factory=list)
    decisions: dict[str, int] = field(default_factory=dict)
    last_asked: str = ""


def group(questions: Iterable[Mapping[str, str]], limit: int = 20) -> list[Gap]:
    """Group rows with `text`, `normalised`, `decision`, `asked_at` (newest first) into gaps,
    most frequent first. Greedy: each question joins the first gap it is similar to."""
    gaps: list[Gap] = []
    for row in questions:
        normalised = row["normalised"] or row["text"].lower()
        gap = next((g for g in gaps if fuzz.token_set_ratio(normalised, g.key) >= SIMILAR), None)
        if gap is None:
            gap = Gap(key=normalised, last_asked=row["asked_at"])
            gaps.append(gap)
        gap.count += 1
        gap.decisions[row["decision"]] = gap.decisions.get(row["decision"], 0) + 1
        if len(gap.examples) < EXAMPLES and row["text"] not in gap.examples:
            gap.examples.append(row["text"])
    gaps.sort(key=lambda g: (-g.count, g.key))
    return gaps[:limit]


async def gap_rows(store: Store) -> list[dict[str, object]]:
    """`export gaps`: one row per group of similar unanswered questions."""
    return [
        {
            "count": g.count,
            "examples": " | ".join(g.examples),
            "decisions": str(g.decisions),
            "last_asked": g.last_asked,
        }
        for g in group(await store.questions.declined(), limit=500)
    ]
