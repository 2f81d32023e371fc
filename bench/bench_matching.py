"""Matching: our index against two baselines, side by side in one run.

For knowledge bases of about 100, 1,000 and 10,000 phrasings (generated from the real one):
median and p99 latency of one question and the index build time, for
- ours: BM25 over folded, expanded syllables + bigrams, re-ranked with rapidfuzz;
- baseline A: rapidfuzz `process.extractOne(scorer=fuzz.WRatio)` over the raw phrasings;
- baseline B: plain BM25 over raw lower-case tokens, one document per entry;
plus the top-1 accuracy of all three on the dev set (real knowledge base).

Run: python bench/bench_matching.py [path/to/dev.yaml]
Targets: more accurate than both baselines; ours p99 <= 2 ms at 10,000 phrasings; build <= 2 s.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bm25s  # noqa: E402
import numpy as np  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402

from advisor.answering import Advisor  # noqa: E402
from advisor.evaluation import Labelled, read_labelled  # noqa: E402
from advisor.kb import KnowledgeBase, load_knowledge  # noqa: E402
from bench.generate import REAL, generate  # noqa: E402

DEV = REAL.parent.parent / "shared" / "eval" / "dev.yaml"
Ranker = Callable[[str], str | None]


def ours(kb: KnowledgeBase) -> Ranker:
    advisor = Advisor(kb)

    def rank(question: str) -> str | None:
        hits = advisor.decide(question).hits
        return hits[0].entry_id if hits else None

    return rank


def wratio(kb: KnowledgeBase) -> Ranker:
    choices: list[str] = []
    owners: list[str] = []
    for entry in kb.entries.values():
        for text in (entry.title, *entry.phrasings):
            choices.append(text)
            owners.append(entry.id)

    def rank(question: str) -> str | None:
        best = process.extractOne(question, choices, scorer=fuzz.WRatio)
        return owners[best[2]] if best else None

    return rank


def plain_bm25(kb: KnowledgeBase) -> Ranker:
    ids = list(kb.entries)
    docs = [" ".join((e.title, *e.phrasings)).lower().split() for e in kb.entries.values()]
    index = bm25s.BM25()
    index.index(docs, show_progress=False)
    vocabulary = set(index.vocab_dict)

    def rank(question: str) -> str | None:
        tokens = [t for t in question.lower().split() if t in vocabulary]
        if not tokens:
            return None
        scores = index.get_scores(tokens)
        return ids[int(np.argmax(scores))] if scores.max() > 0 else None

    return rank


METHODS: dict[str, Callable[[KnowledgeBase], Ranker]] = {
    "ours (BM25 folded + rapidfuzz)": ours,
    "baseline A: extractOne WRatio": wratio,
    "baseline B: plain BM25 raw tokens": plain_bm25,
}


def phrasing_count(kb: KnowledgeBase) -> int:
    return sum(1 + len(e.phrasings) for e in kb.entries.values())


def latency(rank: Ranker, questions: list[str], rounds: int) -> tuple[float, float]:
    times = []
    for _ in range(rounds):
        for question in questions:
            start = time.perf_counter()
            rank(question)
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(0.99 * len(times)))]


def accuracy(rank: Ranker, items: list[Labelled]) -> float:
    in_scope = [i for i in items if i.expect]
    return 100.0 * sum(rank(i.question) in i.expect for i in in_scope) / len(in_scope)


def main() -> None:
    dev_path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEV
    items = read_labelled(dev_path)
    questions = [i.question for i in items]
    real = load_knowledge(REAL).kb
    assert real is not None
    per_entry = phrasing_count(real) / len(real.entries)
    print(
        f"dev set: {dev_path} ({len(items)} questions); real knowledge base: "
        f"{len(real.entries)} entries, {phrasing_count(real)} phrasings\n"
    )
    print("| phrasings | method | build | p50 / question | p99 / question |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for target in (100, 1_000, 10_000):
            if target <= phrasing_count(real):
                kb = _subset(real, target)
            else:
                kb = load_knowledge(generate(Path(tmp) / f"kb{target}", int(target / per_entry))).kb
            for name, make in METHODS.items():
                start = time.perf_counter()
                rank = make(kb)
                build = time.perf_counter() - start
                rounds = 1 if "WRatio" in name and target >= 10_000 else 3
                p50, p99 = latency(rank, questions, rounds)
                print(f"| {phrasing_count(kb):,} | {name} | {build:.2f} s | {p50:.2f} ms | {p99:.2f} ms |")
    print("\n| method | dev top-1 (in scope) | dev top-1, no diacritics |")
    print("|---|---|---|")
    from advisor.text import fold

    folded = [Labelled(fold(i.question), i.expect) for i in items]
    for name, make in METHODS.items():
        rank = make(real)
        print(f"| {name} | {accuracy(rank, items):.1f} % | {accuracy(rank, folded):.1f} % |")


def _subset(kb: KnowledgeBase, phrasings: int) -> KnowledgeBase:
    """The first entries of the real knowledge base holding about `phrasings` phrasings."""
    from dataclasses import replace
    from types import MappingProxyType

    chosen: dict = {}
    total = 0
    for entry_id, entry in kb.entries.items():
        if total >= phrasings:
            break
        chosen[entry_id] = entry
        total += 1 + len(entry.phrasings)
    return replace(kb, entries=MappingProxyType(chosen))


if __name__ == "__main__":
    main()
