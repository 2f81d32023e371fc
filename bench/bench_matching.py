"""Matching: our engine against two baselines, side by side in one run.

For knowledge bases of about 100, 1,000 and 10,000 phrasings (generated from the real one by
bench/generate.py): median and p99 latency of one question, for short phone-style questions
(the dev set) and for long ones (100-1,000 characters: the real questions of real_dev.yaml
that long, and formal letters wrapping the dev questions), and the index build time, for
- ours: `Advisor.decide` (normalisation, language, BM25 candidates per view, lexical
  evidence, the calibrated decision);
- baseline A: rapidfuzz `process.extractOne(scorer=fuzz.WRatio)` over the raw phrasings;
- baseline B: plain BM25 (bm25s) over raw lower-case tokens, one document per entry;
then what members get from all three on the dev set and the real questions (real knowledge
base), as typed and without diacritics: top-1 of in-scope questions, answered right and
wrong at once, out-of-scope questions declined. The baselines have no confidence of their
own, so each gets the score cutoff that is best for it on those questions themselves (most
in-scope right and out-of-scope declined): a generous comparison. Ours is run as shipped;
its thresholds were learned by `advisor calibrate`, whose cross-validated figures and
reliability table `--calibration` prints (real_dev.yaml is part of its training data, so
ours on real_dev above is not a held-out figure; the calibration's is).

"p99" is over every single run (5 per question); "p99, fastest of 5" over the questions, each
timed by its fastest run (see `latency`; the machine's own noise is printed below the table).

Run: python bench/bench_matching.py [path/to/dev.yaml] [--calibration]
Targets: more accurate than both baselines; ours p99 <= 2 ms at 10,000 phrasings for
questions of 100-1,000 characters; build <= 2 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bm25s  # noqa: E402
import numpy as np  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402

from advisor import calibration  # noqa: E402
from advisor.answering import Advisor  # noqa: E402
from advisor.evaluation import Labelled, kb_test_questions, read_labelled  # noqa: E402
from advisor.folding import fold  # noqa: E402
from advisor.kb import KnowledgeBase, load_knowledge  # noqa: E402
from bench.generate import REAL, generate  # noqa: E402

DEV = REAL.parent.parent / "shared" / "eval" / "dev.yaml"
REAL_DEV = DEV.with_name("real_dev.yaml")
PROBES = Path(__file__).resolve().parent.parent / "eval" / "out_of_scope.yaml"
LETTER = (
    "Kính gửi Ban biên tập, tôi là Nguyễn Văn An, thành viên một hợp tác xã trồng lúa ở tỉnh "
    "Đồng Tháp. HTX chúng tôi có 40 thành viên và đang muốn làm ăn bài bản hơn. {q}? "
    "Rất mong nhận được câu trả lời sớm. Xin chân thành cảm ơn."
)


@dataclass(frozen=True)
class Ranked:
    entry_id: str | None
    score: float
    kind: str
    """answer, suggest or decline (baselines: answer or decline at their cutoff)."""


Ranker = Callable[[str], Ranked]


def ours(kb: KnowledgeBase) -> Ranker:
    advisor = Advisor(kb)

    def rank(question: str) -> Ranked:
        decision = advisor.decide(question)
        top = decision.hits[0].entry_id if decision.hits else None
        return Ranked(top, decision.score, decision.kind)

    return rank


def wratio(kb: KnowledgeBase, cutoff: float = 0.0) -> Ranker:
    choices: list[str] = []
    owners: list[str] = []
    for entry in kb.entries.values():
        for text in (entry.title, *entry.phrasings):
            choices.append(text)
            owners.append(entry.id)

    def rank(question: str) -> Ranked:
        best = process.extractOne(question, choices, scorer=fuzz.WRatio)
        if best is None:
            return Ranked(None, 0.0, "decline")
        return Ranked(owners[best[2]], best[1], "answer" if best[1] >= cutoff else "decline")

    return rank


def plain_bm25(kb: KnowledgeBase, cutoff: float = 0.0) -> Ranker:
    ids = list(kb.entries)
    docs = [" ".join((e.title, *e.phrasings)).lower().split() for e in kb.entries.values()]
    index = bm25s.BM25()
    index.index(docs, show_progress=False)
    vocabulary = set(index.vocab_dict)

    def rank(question: str) -> Ranked:
        tokens = [t for t in question.lower().split() if t in vocabulary]
        if not tokens:
            return Ranked(None, 0.0, "decline")
        scores = index.get_scores(tokens)
        best = int(np.argmax(scores))
        score = float(scores[best])
        if score <= 0:
            return Ranked(None, 0.0, "decline")
        return Ranked(ids[best], score, "answer" if score >= cutoff else "decline")

    return rank


OURS = "ours: folded BM25 + rapidfuzz evidence, calibrated decision"
BASE_A = "baseline A: extractOne WRatio, raw phrasings"
BASE_B = "baseline B: plain BM25, raw tokens"
METHODS: dict[str, Callable[..., Ranker]] = {OURS: ours, BASE_A: wratio, BASE_B: plain_bm25}


def phrasing_count(kb: KnowledgeBase) -> int:
    return sum(1 + len(e.phrasings) for e in kb.entries.values())


def latency(rank: Ranker, questions: list[str], rounds: int) -> tuple[float, float, float]:
    """(p50 and p99 of every single run, p99 over the questions of each one's fastest run), ms.

    The machine is shared: the same fixed work takes up to 70 % longer in a slow moment (see
    `machine_noise`), for seconds at a time, so the p99 of single runs measures the machine
    as much as the code. A question's fastest run is what the code costs for it."""
    times: list[list[float]] = [[] for _ in questions]
    for _ in range(rounds):
        for n, question in enumerate(questions):
            start = time.perf_counter()
            rank(question)
            times[n].append((time.perf_counter() - start) * 1000)
    every = sorted(t for runs in times for t in runs)
    fastest = sorted(min(runs) for runs in times)
    return statistics.median(every), _p99(every), _p99(fastest)


def _p99(ordered: list[float]) -> float:
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def machine_noise(runs: int = 600) -> tuple[float, float]:
    """(p50, p99) in ms of one fixed piece of pure-Python work of about 1 ms: what the
    machine adds to single runs while the benchmark runs."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        sum(i * i for i in range(20_000))
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), _p99(times)


@dataclass(frozen=True)
class Accuracy:
    top1: float
    reject: float
    right: float
    """In-scope questions answered directly with an expected entry, % of in-scope."""
    wrong: float
    """In-scope questions answered directly with a wrong entry, % of in-scope."""
    out_answered: int
    """Out-of-scope questions answered directly."""


def accuracy(rank: Ranker, items: list[Labelled]) -> Accuracy:
    top1 = declined = right = wrong = out_answered = 0
    in_scope = [i for i in items if i.expect]
    out = [i for i in items if not i.expect]
    for item in items:
        result = rank(item.question)
        if item.expect:
            top1 += result.entry_id in item.expect
            right += result.kind == "answer" and result.entry_id in item.expect
            wrong += result.kind == "answer" and result.entry_id not in item.expect
        else:
            declined += result.kind == "decline"
            out_answered += result.kind == "answer"
    return Accuracy(
        100.0 * top1 / max(1, len(in_scope)),
        100.0 * declined / max(1, len(out)),
        100.0 * right / max(1, len(in_scope)),
        100.0 * wrong / max(1, len(in_scope)),
        out_answered,
    )


def best_cutoff(make: Callable[..., Ranker], kb: KnowledgeBase, items: list[Labelled]) -> float:
    """The score cutoff that is best for a baseline on `items` (right answers + declines)."""
    scored = [(item, make(kb)(item.question)) for item in items]
    candidates = sorted({round(r.score, 3) for _, r in scored}) + [float("inf")]

    def value(cutoff: float) -> int:
        good = 0
        for item, r in scored:
            answered = r.score >= cutoff and r.entry_id is not None
            good += (answered and r.entry_id in item.expect) if item.expect else not answered
        return good

    return max(candidates, key=value)


def _cells(a: Accuracy) -> str:
    return f"{a.top1:.1f} % | {a.right:.1f} % | {a.wrong:.1f} % | {a.reject:.1f} %"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dev", nargs="?", type=Path, default=DEV)
    parser.add_argument("--calibration", action="store_true", help="also print the held-out figures")
    args = parser.parse_args()
    items = read_labelled(args.dev)
    real_items = read_labelled(REAL_DEV) if REAL_DEV.is_file() else []
    short = [i.question for i in items]
    long = [i.question for i in real_items if 100 <= len(i.question) <= 1000]
    long += [LETTER.format(q=q.rstrip("?")) for q in short][: max(0, 120 - len(long))]
    real = load_knowledge(REAL).kb
    assert real is not None
    per_entry = phrasing_count(real) / len(real.entries)
    print(
        f"dev set: {args.dev.name} ({sum(1 for i in items if i.expect)} in scope, "
        f"{sum(1 for i in items if not i.expect)} out of scope); real knowledge base: "
        f"{len(real.entries)} entries, {phrasing_count(real)} phrasings; latency of one question, "
        f"one thread: short = the dev questions, long = {len(long)} questions of 100-1,000 characters\n"
    )
    print(
        "| phrasings | method | build | short p50 | short p99 | short p99, fastest of 5 "
        "| long p50 | long p99 | long p99, fastest of 5 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for target in (100, 1_000, 10_000):
            if target <= phrasing_count(real):
                kb = _subset(real, target)
            else:
                kb = load_knowledge(generate(Path(tmp) / f"kb{target}", int(target / per_entry))).kb
            assert kb is not None
            for name, make in METHODS.items():
                start = time.perf_counter()
                rank = make(kb)
                build = time.perf_counter() - start
                rounds = 1 if make is wratio and target >= 10_000 else 5
                cells = [f"{t:.2f} ms" for qs in (short, long) for t in latency(rank, qs, rounds)]
                print(f"| {phrasing_count(kb):,} | {name} | {build:.2f} s | {' | '.join(cells)} |")
    typical, slow = machine_noise()
    print(
        f"\nthe machine meanwhile: ~1 ms of fixed pure-Python work takes p50 {typical:.2f}, p99 {slow:.2f} ms"
    )

    sets = {"dev": items, "real_dev": real_items, "KB test questions": kb_test_questions(real)}
    sets = {name: labelled for name, labelled in sets.items() if labelled}
    probes = read_labelled(PROBES)
    probes += [Labelled(fold(i.question), None) for i in probes]
    print(
        "\n| method (real knowledge base) | questions | top-1 | answered right | answered wrong | declined "
        "| no diacritics: top-1 | right | wrong | declined |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    everything = [i for labelled in sets.values() for i in labelled]
    everything += [Labelled(fold(i.question), i.expect) for i in everything]
    for name, make in METHODS.items():
        if make is ours:
            rank, note = ours(real), ""
        else:
            cutoff = best_cutoff(make, real, everything)
            rank, note = make(real, cutoff), f" (cutoff {cutoff:.1f})"
        for set_name, labelled in [*sets.items(), ("probes", probes)]:
            plain = _cells(accuracy(rank, labelled))
            unmarked = _cells(accuracy(rank, [Labelled(fold(i.question), i.expect) for i in labelled]))
            print(f"| {name}{note} | {set_name} | {plain} | {unmarked} |")
    print("\n(answered right / wrong: in-scope questions answered directly with an expected / another entry;")
    print(" ours suggests when unsure, the baselines answer or decline; probes: eval/out_of_scope.yaml,")
    print(" as typed and without diacritics)")
    _bounded_time(real)
    if args.calibration:
        print("\nheld-out figures of `advisor calibrate`:\n")
        samples = calibration.collect(real, calibration.labelled_sets())
        print(calibration.report(calibration.cross_validate(samples, real.related_links())))


def _bounded_time(kb: KnowledgeBase) -> None:
    advisor = Advisor(kb)
    sentence = "Xin chào luật sư, cho tôi hỏi lệ phí đăng ký nhãn hiệu là bao nhiêu? "
    print("\n| question length | median time per question |")
    print("|---|---|")
    for size in (100, 1_000, 4_096, 100_000, 1_000_000):
        text = (sentence * (size // len(sentence) + 1))[:size]
        times = []
        for _ in range(31):
            start = time.perf_counter()
            advisor.decide(text)
            times.append((time.perf_counter() - start) * 1000)
        print(f"| {size:,} characters | {statistics.median(times):.2f} ms |")


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
