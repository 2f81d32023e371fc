"""Load + validate time of the real knowledge base and of a generated 2,000-entry one.

Run: python bench/bench_knowledge.py   (targets: real < 1 s, 2,000 entries < 3 s)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from advisor.kb import load_knowledge  # noqa: E402
from bench.generate import REAL, generate  # noqa: E402


def timed_load(folder: Path, runs: int) -> tuple[float, float, int]:
    times = []
    entries = 0
    for _ in range(runs):
        start = time.perf_counter()
        result = load_knowledge(folder)
        times.append(time.perf_counter() - start)
        assert result.kb is not None, [str(p) for p in result.errors[:5]]
        entries = len(result.kb.entries)
    return statistics.median(times), max(times), entries


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        big = generate(Path(tmp) / "kb2000", 2000)
        rows = [("real knowledge base", *timed_load(REAL, 5), 1.0), ("generated", *timed_load(big, 3), 3.0)]
    print("| knowledge base | entries | median load+validate | worst | target |")
    print("|---|---|---|---|---|")
    for name, median, worst, entries, target in rows:
        verdict = "ok" if worst < target else "MISSED"
        print(f"| {name} | {entries} | {median:.3f} s | {worst:.3f} s | < {target:.0f} s {verdict} |")


if __name__ == "__main__":
    main()
