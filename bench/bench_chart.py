"""The self-assessment chart: render time, PNG size, and how long it blocks the event loop (issue 5).

`advisor.chart.pillar_chart` with the questionnaire's own pillars (6 or 7, from
knowledge/assessment.yaml), with and without the previous assessment's scores:
* cold = the first chart in a fresh process (includes importing matplotlib), measured in
  subprocesses; warm = later charts in the same process;
* event-loop lag = a ticker task sleeps 1 ms in a loop and records how late it wakes up,
  while 20 charts render in the bot's pre-warmed chart process (as the bot does: one worker,
  `run_in_executor`), via `asyncio.to_thread` one after another or all at once, or directly
  on the event loop. A late tick is a moment the bot could not read
  updates or send replies.

Run: python bench/bench_chart.py   (about a minute; timings are printed, never asserted)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from advisor.kb import load_knowledge  # noqa: E402

TICK_S = 0.001
CHARTS = 20
COLD_RUNS = 3
WARM_RUNS = 20


def chart_args(with_previous: bool, seed: int = 1) -> tuple:
    """The arguments the bot passes (see advisor/telegram/coop.py: send_chart), in Vietnamese."""
    kb = load_knowledge(ROOT / "knowledge").kb
    assert kb is not None and kb.assessment is not None
    rng = random.Random(seed)
    pillars = kb.assessment.pillars
    scores = [rng.uniform(10, 95) for _ in pillars]
    previous = [rng.uniform(5, 90) for _ in pillars] if with_previous else None
    return (
        kb.ui.get("chart_title", "vi"),
        [p.name("vi") for p in pillars],
        scores,
        previous,
        kb.ui.get("chart_previous", "vi"),
        kb.ui.get("chart_current", "vi"),
    )


# --- child processes: the cold measurements -----------------------------------------------------


def child_cold(with_previous: bool) -> dict:
    args = chart_args(with_previous)
    start = time.perf_counter()
    from advisor.chart import pillar_chart

    png = pillar_chart(*args)
    first = time.perf_counter() - start
    start = time.perf_counter()
    pillar_chart(*args)
    return {"first": first, "second": time.perf_counter() - start, "bytes": len(png)}


def child_cold_lag() -> dict:
    """The first chart of a fresh process rendered via to_thread while the ticker runs."""
    args = chart_args(True)

    async def run() -> dict:
        from advisor.chart import pillar_chart

        lags, elapsed = await with_ticker(lambda: asyncio.to_thread(pillar_chart, *args))
        return {"lags": lags, "elapsed": elapsed}

    return asyncio.run(run())


def run_child(*argv: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *argv], check=True, capture_output=True, text=True, cwd=ROOT
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- the event-loop lag -------------------------------------------------------------------------


async def with_ticker(work: Callable[[], Awaitable[object]]) -> tuple[list[float], float]:
    """Run `work` while a 1 ms ticker records how late each tick wakes up; (lags, seconds)."""
    lags: list[float] = []
    done = False

    async def ticker() -> None:
        while not done:
            before = time.perf_counter()
            await asyncio.sleep(TICK_S)
            lags.append(max(0.0, time.perf_counter() - before - TICK_S))

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.05)  # let the ticker settle
    lags.clear()
    start = time.perf_counter()
    await work()
    elapsed = time.perf_counter() - start
    done = True
    await task
    return lags, elapsed


async def lag_scenarios() -> list[tuple[str, list[float], float, int]]:
    from advisor.chart import pillar_chart

    args = chart_args(True)
    pillar_chart(*args)  # warm

    async def idle() -> None:
        await asyncio.sleep(1.0)

    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    pool = ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"))
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(pool, pillar_chart, *args)  # warm, as the bot does at start-up

    async def process_one_by_one() -> None:
        for _ in range(CHARTS):
            await loop.run_in_executor(pool, pillar_chart, *args)

    async def process_all_at_once() -> None:
        await asyncio.gather(*(loop.run_in_executor(pool, pillar_chart, *args) for _ in range(CHARTS)))

    async def thread_one_by_one() -> None:
        for _ in range(CHARTS):
            await asyncio.to_thread(pillar_chart, *args)

    async def thread_all_at_once() -> None:
        await asyncio.gather(*(asyncio.to_thread(pillar_chart, *args) for _ in range(CHARTS)))

    async def on_loop() -> None:
        for _ in range(CHARTS):
            pillar_chart(*args)
            await asyncio.sleep(0)

    out = []
    for name, work, charts in (
        ("no chart (ticker alone, 1 s)", idle, 0),
        ("chart process, one after another (as the bot)", process_one_by_one, CHARTS),
        (f"chart process, {CHARTS} at once", process_all_at_once, CHARTS),
        ("asyncio.to_thread, one after another", thread_one_by_one, CHARTS),
        (f"asyncio.to_thread, {CHARTS} at once", thread_all_at_once, CHARTS),
        ("directly on the event loop", on_loop, CHARTS),
    ):
        lags, elapsed = await with_ticker(work)
        out.append((name, lags, elapsed, charts))
    pool.shutdown()
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        kind = options.child[0]
        result = child_cold(options.child[1] == "1") if kind == "cold" else child_cold_lag()
        print(json.dumps(result))
        return

    from advisor.chart import pillar_chart

    pillars = len(chart_args(False)[1])
    render_rows = []
    for with_previous in (False, True):
        cold = [run_child("cold", "1" if with_previous else "0") for _ in range(COLD_RUNS)]
        args = chart_args(with_previous)
        pillar_chart(*args)
        warm = []
        for _ in range(WARM_RUNS):
            start = time.perf_counter()
            png = pillar_chart(*args)
            warm.append(time.perf_counter() - start)
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        render_rows.append(
            (
                "with previous scores" if with_previous else "without previous scores",
                statistics.median(c["first"] for c in cold),
                statistics.median(c["second"] for c in cold),
                statistics.median(warm),
                max(warm),
                len(png),
                f"{width}×{height}",
            )
        )

    scenarios = asyncio.run(lag_scenarios())
    cold_lag = [run_child("cold-lag") for _ in range(COLD_RUNS)]
    worst_cold = max(cold_lag, key=lambda c: max(c["lags"], default=0.0))

    print(f"# bench_chart: the assessment chart ({dt.date.today().isoformat()})")
    print()
    print(
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}; {pillars} pillars from "
        f"knowledge/assessment.yaml, Vietnamese labels, Agg backend. Cold = first chart in a fresh process "
        f"(includes importing matplotlib), median of {COLD_RUNS} processes; warm = median of {WARM_RUNS}."
    )
    print()
    print("| chart | cold (1st in process) | 2nd in process | warm median | warm max | PNG size | pixels |")
    print("|---|---|---|---|---|---|---|")
    for name, first, second, median, worst, size, pixels in render_rows:
        print(
            f"| {name} | {first * 1000:.0f} ms | {second * 1000:.0f} ms | {median * 1000:.0f} ms | "
            f"{worst * 1000:.0f} ms | {size / 1024:.1f} KiB | {pixels} |"
        )
    print()
    print(
        f"Event-loop lag: a task sleeping {TICK_S * 1000:.0f} ms in a loop; lag = how late it woke up. "
        f"Charts with previous scores. GIL switch interval {sys.getswitchinterval() * 1000:.0f} ms."
    )
    print()
    print("| rendering | charts | wall time | ticks | lag p50 | lag p99 | lag max | ticks late > 5 ms |")
    print("|---|---|---|---|---|---|---|---|")
    rows = [(name, lags, elapsed, charts) for name, lags, elapsed, charts in scenarios]
    rows.append(
        (
            "asyncio.to_thread, first chart of a fresh process (worst of 3)",
            worst_cold["lags"],
            worst_cold["elapsed"],
            1,
        )
    )
    for name, lags, elapsed, charts in rows:
        late = sum(1 for lag in lags if lag > 0.005)
        print(
            f"| {name} | {charts} | {elapsed * 1000:.0f} ms | {len(lags)} | {pct(lags, 0.5) * 1000:.2f} ms | "
            f"{pct(lags, 0.99) * 1000:.1f} ms | {max(lags, default=0.0) * 1000:.1f} ms | {late} |"
        )


if __name__ == "__main__":
    main()
