"""End-to-end throughput, reply latency and memory of the real bot over a local Bot API (issue 4).

The Bot API emulator (`tgemu`) serves real HTTP on 127.0.0.1; `bot.py` runs as a
subprocess pointed at it with `TELEGRAM_API_URL` and long-polls it like Telegram. Simulated
users ask the knowledge base's own test questions. A question's latency runs from the moment
its update is queued in the emulator to the moment the emulator receives the bot's (last)
reply message. Two phases:

* saturated: every user keeps one question in flight (closed loop), so the bot always has
  work; gives answered questions per second;
* paced: questions arrive at a fixed rate below that throughput (open loop); gives the reply
  latency a member sees when the bot is not overloaded.

Each user sends at most 5 messages in any 3.2 s, under the bot's flood guard (more than 6 in 3 s).
The resident memory of the bot process is read from /proc/<pid>/status.

Run: python bench/bench_bot.py [--users 500] [--seconds 20] [--database postgresql://...]
(`--database`: the bot on that database instead of a fresh SQLite file; an empty PostgreSQL
database is migrated at start; the SQLite lock-resilience table is then skipped.)
Targets: >= 200 answered questions/s, RSS < 150 MB. Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import itertools
import os
import platform
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from advisor.answering import Advisor  # noqa: E402
from advisor.flood import FLOOD_LIMIT, FLOOD_WINDOW_S  # noqa: E402
from advisor.kb import KnowledgeBase, load_knowledge  # noqa: E402
from advisor.telegram import render  # noqa: E402
from advisor.views import decision_view  # noqa: E402
from tgemu.server import serve  # noqa: E402
from tgemu.state import BotApiState  # noqa: E402

KNOWLEDGE = ROOT / "knowledge"
FIRST_USER = 700_000
USER_BURST, USER_WINDOW_S = FLOOD_LIMIT - 1, FLOOD_WINDOW_S + 0.5  # stay under the flood limit
REPLY_TIMEOUT_S = 60.0
TARGET_RATE, TARGET_RSS_MB = 200.0, 150.0


@dataclass
class Asked:
    expected: int  # messages the bot sends for this question
    queued_at: float
    got: int = 0


@dataclass
class Load:
    """Users, what they are waiting for, and what came back."""

    state: BotApiState
    questions: list[tuple[str, int]]
    users: list[int]
    in_flight: dict[int, deque[Asked]] = field(default_factory=dict)
    waiters: dict[int, asyncio.Future[None]] = field(default_factory=dict)
    sent_at: dict[int, deque[float]] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    answered: int = 0
    unexpected: int = 0  # bot messages to a user with nothing in flight (e.g. a slow-down reply)
    slow_down: int = 0
    slow_down_text: str = ""  # the start of the flood guard's list of skipped messages

    def ask(self, user: int, text: str, expected: int) -> None:
        self.in_flight.setdefault(user, deque()).append(Asked(expected, time.perf_counter()))
        self.sent_at.setdefault(user, deque(maxlen=USER_BURST)).append(time.monotonic())
        self.state.user_says(user, text)

    def pause_needed(self, user: int) -> float:
        """Seconds this user must wait to stay at <= USER_BURST messages per USER_WINDOW_S."""
        sent = self.sent_at.get(user)
        if not sent or len(sent) < USER_BURST:
            return 0.0
        return max(0.0, sent[0] + USER_WINDOW_S - time.monotonic())

    def on_message(self, chat_id: int, text: str | None, now: float) -> None:
        queue = self.in_flight.get(chat_id)
        if not queue:
            self.unexpected += 1
            return
        if text and self.slow_down_text and text.startswith(self.slow_down_text):
            self.slow_down += 1
            return
        head = queue[0]
        head.got += 1
        if head.got < head.expected:
            return
        queue.popleft()
        self.answered += 1
        self.latencies.append(now - head.queued_at)
        waiter = self.waiters.pop(chat_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


async def consume(load: Load, events: asyncio.Queue) -> None:
    while True:
        event = await events.get()
        if event.get("type") == "message" and event["message"].get("from_bot", True):
            load.on_message(event["chat_id"], event["message"].get("text"), time.perf_counter())


def expected_replies(kb: KnowledgeBase) -> list[tuple[str, int]]:
    """Every test question of the knowledge base with the number of messages its answer takes."""
    advisor = Advisor(kb)
    out = []
    for entry in kb.entries.values():
        for question in entry.test_questions:
            view = decision_view(kb, advisor.decide(question), "vi")
            out.append((question, len(render.messages(view, kb.version))))
    return out


def memory(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak) of a process in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def closed_loop(load: Load, user: int, stop_at: float, cursor: itertools.count) -> None:
    """One question in flight at a time, as fast as the bot answers and the flood guard allows."""
    loop = asyncio.get_running_loop()
    while time.monotonic() < stop_at:
        pause = load.pause_needed(user)
        if pause:
            await asyncio.sleep(pause)
            continue
        text, expected = load.questions[next(cursor) % len(load.questions)]
        waiter = loop.create_future()
        load.waiters[user] = waiter
        load.ask(user, text, expected)
        await asyncio.wait_for(waiter, REPLY_TIMEOUT_S)


async def saturated(load: Load, users: list[int], seconds: float) -> tuple[float, int, list[float]]:
    """(answered per second within the window, answered, latencies) with one question per user in flight."""
    cursor = itertools.count()
    start_answered, start_latencies = load.answered, len(load.latencies)
    started = time.monotonic()
    stop_at = started + seconds
    tasks = [asyncio.create_task(closed_loop(load, user, stop_at, cursor)) for user in users]
    await asyncio.sleep(seconds)
    in_window = load.answered - start_answered
    elapsed = time.monotonic() - started
    await asyncio.gather(*tasks)  # the last questions finish outside the window
    return in_window / elapsed, in_window, load.latencies[start_latencies:]


async def paced(load: Load, users: list[int], rate: float, seconds: float) -> tuple[float, list[float]]:
    """Questions at a fixed rate round-robin over the users; returns (answered per second, latencies)."""
    start_latencies, start_answered = len(load.latencies), load.answered
    total = max(1, int(rate * seconds))
    started = time.monotonic()
    for n in range(total):
        delay = started + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        user = users[n % len(users)]
        text, expected = load.questions[n % len(load.questions)]
        load.ask(user, text, expected)
    deadline = time.monotonic() + REPLY_TIMEOUT_S
    while load.answered - start_answered < total and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    elapsed = time.monotonic() - started
    return (load.answered - start_answered) / elapsed, load.latencies[start_latencies:]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run_variant(
    name: str,
    kb: KnowledgeBase,
    questions: list[tuple[str, int]],
    args: argparse.Namespace,
) -> dict:
    state = BotApiState()
    events = state.subscribe()
    users = list(range(FIRST_USER, FIRST_USER + args.users))
    load = Load(state, questions, users)
    load.slow_down_text = kb.ui.get("flood_skipped", "vi")[:20]
    consumer = asyncio.create_task(consume(load, events))
    with tempfile.TemporaryDirectory(prefix="bench-bot-") as tmp:
        env = dict(
            os.environ,
            TELEGRAM_BOT_TOKEN=state.token,
            ADVISOR_DB=args.database or str(Path(tmp) / "advisor.db"),
            ADVISOR_KNOWLEDGE=str(KNOWLEDGE),
            ADVISOR_ADMINS="",
        )
        async with serve(state) as url:
            env["TELEGRAM_API_URL"] = url
            command = [sys.executable, str(ROOT / "bot.py")]
            log_path = Path(tmp) / "bot.log"
            with log_path.open("wb") as log_file:
                proc = subprocess.Popen(command, cwd=tmp, env=env, stdout=log_file, stderr=subprocess.STDOUT)
                try:
                    started = time.monotonic()
                    while not any(method == "getUpdates" for method, _ in state.calls):
                        if proc.poll() is not None or time.monotonic() - started > 60:
                            raise RuntimeError(f"the bot did not start: {log_path.read_text()[-2000:]}")
                        await asyncio.sleep(0.01)
                    startup = time.monotonic() - started
                    # Warm-up: every user asks once (creates the user rows, warms caches).
                    await asyncio.gather(
                        *(one_question(load, u, questions[i % len(questions)]) for i, u in enumerate(users))
                    )
                    mem_warm = memory(proc.pid)
                    cpu0, own0 = cpu_seconds(proc.pid), time.process_time()
                    rate, answered, sat_lat = await saturated(load, users, args.seconds)
                    cpu_sat = (cpu_seconds(proc.pid) - cpu0) / args.seconds
                    cpu_own = (time.process_time() - own0) / args.seconds
                    paced_rate = max(5.0, round(rate * 0.5))
                    got_rate, paced_lat = await paced(load, users, paced_rate, min(args.seconds, 10.0))
                    await asyncio.sleep(0.5)
                    mem_end = memory(proc.pid)
                finally:
                    proc.send_signal(signal.SIGTERM)  # the emulator must keep answering meanwhile
                    try:
                        await asyncio.to_thread(proc.wait, 30)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()
            log_lines = log_path.read_text(errors="replace").splitlines()
    consumer.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await consumer
    return {
        "name": name,
        "startup": startup,
        "rate": rate,
        "answered": answered,
        "sat_p50": pct(sat_lat, 0.5),
        "sat_p99": pct(sat_lat, 0.99),
        "paced_rate": paced_rate,
        "paced_got": got_rate,
        "paced_p50": pct(paced_lat, 0.5),
        "paced_p99": pct(paced_lat, 0.99),
        "paced_max": max(paced_lat) if paced_lat else float("nan"),
        "cpu": cpu_sat,
        "cpu_own": cpu_own,
        "rss_warm": mem_warm["VmRSS"],
        "rss_end": mem_end["VmRSS"],
        "hwm": mem_end["VmHWM"],
        "slow_down": load.slow_down,
        "unexpected": load.unexpected,
        "errors": [line for line in log_lines if " ERROR " in line],
        # 409 on getUpdates: the emulator ending a long poll that a newer one replaced, as Telegram does
        "api_errors": sum(1 for _, code, _ in state.errors if code not in (409, 429)),
        "429": state.too_many_requests,
    }


async def one_question(load: Load, user: int, question: tuple[str, int]) -> None:
    waiter = asyncio.get_running_loop().create_future()
    load.waiters[user] = waiter
    load.ask(user, *question)
    await asyncio.wait_for(waiter, REPLY_TIMEOUT_S)


def print_table(results: list[dict], args: argparse.Namespace, kb: KnowledgeBase, n_questions: int) -> None:
    print(f"# bench_bot: end-to-end answers through a local Bot API ({dt.date.today().isoformat()})")
    print()
    print(
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}; bot.py subprocess, "
        f"emulator over HTTP on 127.0.0.1 in the bench process (they share the 2 cores). "
        f"Knowledge base {kb.version}: {len(kb.entries)} entries, {n_questions} test questions. "
        f"{args.users} users, saturated window {args.seconds:.0f} s."
    )
    print()
    print(
        "| bot | answered/s (saturated) | p50 / p99 latency saturated | paced load | "
        "p50 / p99 / max latency paced | CPU bot / bench | RSS after warm-up | RSS end | VmHWM |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['name']} | {r['rate']:.0f} ({r['answered']} in window) | "
            f"{r['sat_p50'] * 1000:.0f} / {r['sat_p99'] * 1000:.0f} ms | "
            f"{r['paced_rate']:.0f}/s offered, {r['paced_got']:.0f}/s answered | "
            f"{r['paced_p50'] * 1000:.0f} / {r['paced_p99'] * 1000:.0f} / {r['paced_max'] * 1000:.0f} ms | "
            f"{r['cpu'] * 100:.0f} % / {r['cpu_own'] * 100:.0f} % | "
            f"{r['rss_warm']:.1f} MB | {r['rss_end']:.1f} MB | {r['hwm']:.1f} MB |"
        )
    print()
    print(
        "| bot | start-up to first getUpdates | flood reports | unexpected messages | "
        "Bot API errors (not 409/429) | 429s | ERROR log lines |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['name']} | {r['startup']:.2f} s | {r['slow_down']} | {r['unexpected']} | "
            f"{r['api_errors']} | {r['429']} | {len(r['errors'])} |"
        )
    for r in results:
        for line in r["errors"][:3]:
            print(f"\n{r['name']} logged: `{line[:300]}`")
    print()
    shipped = results[0]
    print("| target | measured (bot.py as shipped) | verdict |")
    print("|---|---|---|")
    verdict = "ok" if shipped["rate"] >= TARGET_RATE else "MISSED"
    print(f"| >= {TARGET_RATE:.0f} answered/s | {shipped['rate']:.0f}/s | {verdict} |")
    worst = max(shipped["rss_end"], shipped["hwm"])
    verdict = "ok" if worst < TARGET_RSS_MB else "MISSED"
    measured = f"{shipped['rss_end']:.1f} MB (peak {shipped['hwm']:.1f} MB)"
    print(f"| RSS < {TARGET_RSS_MB:.0f} MB | {measured} | {verdict} |")
    print()
    print(
        "Latency = update queued in the emulator -> the bot's reply received by the emulator. "
        "Saturated latency is mostly queueing (every user has a question waiting), so read the "
        "paced row (half the saturated rate) for what a member sees. CPU = share of one core used during "
        "the saturated window by the bot process / by this bench process (emulator and simulated users)."
    )


LOCK_S = 10.0
BYSTANDERS = 20


async def replies_to(state: BotApiState, user: int, count: int, timeout: float = REPLY_TIMEOUT_S) -> float:
    """Seconds until `user` has `count` bot messages (inf on timeout)."""
    started = time.perf_counter()
    while len([m for m in state.messages(user) if m.from_bot]) < count:
        if time.perf_counter() - started > timeout:
            return float("inf")
        await asyncio.sleep(0.005)
    return time.perf_counter() - started


async def resilience(questions: list[tuple[str, int]]) -> list[dict]:
    """Two moments that used to stall or drop: one member's phone delivering nine messages at
    once while others ask, and another process holding the database's write lock for 10 s."""
    state = BotApiState()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-resilience-") as tmp:
        db = Path(tmp) / "advisor.db"
        env = dict(
            os.environ, TELEGRAM_BOT_TOKEN=state.token, ADVISOR_DB=str(db), ADVISOR_KNOWLEDGE=str(KNOWLEDGE)
        )
        async with serve(state) as url:
            env["TELEGRAM_API_URL"] = url
            proc = subprocess.Popen(
                [sys.executable, str(ROOT / "bot.py")],
                cwd=tmp,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
            )
            try:
                users = [FIRST_USER + n for n in range(BYSTANDERS + 1)]
                for user in users:  # every user known to the bot first
                    state.user_says(user, "/start")
                await asyncio.gather(*(replies_to(state, u, 1) for u in users))
                burst_user, bystanders = users[0], users[1:]
                before = {u: len([m for m in state.messages(u) if m.from_bot]) for u in users}

                burst = [questions[n % len(questions)] for n in range(8)]
                for text, _ in burst:
                    state.user_says(burst_user, text)
                state.user_says(burst_user, "/help")
                for n, user in enumerate(bystanders):
                    state.user_says(user, questions[(n + 8) % len(questions)][0])
                expected = before[burst_user] + sum(count for _, count in burst) + 1
                burst_time, *others = await asyncio.gather(
                    replies_to(state, burst_user, expected),
                    *(replies_to(state, u, before[u] + 1) for u in bystanders),
                )
                got = len([m for m in state.messages(burst_user) if m.from_bot]) - before[burst_user]
                wanted = expected - before[burst_user]
                rows.append(
                    {
                        "case": "9 messages at once from one phone, 20 others asking",
                        "answered": f"{got} of {wanted} reply messages in {burst_time:.2f} s",
                        "max_other": max(others),
                    }
                )

                holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
                holder.execute("BEGIN IMMEDIATE")
                before = {u: len([m for m in state.messages(u) if m.from_bot]) for u in bystanders}
                for n, user in enumerate(bystanders):
                    state.user_says(user, questions[(n + 20) % len(questions)][0])
                waits = await asyncio.gather(
                    *(replies_to(state, u, before[u] + 1, LOCK_S) for u in bystanders)
                )
                await asyncio.sleep(max(0.0, LOCK_S - max(waits)))
                holder.execute("ROLLBACK")
                holder.close()
                await asyncio.sleep(3.0)  # the queued log writes land
                logged = sqlite3.connect(db).execute("SELECT count(*) FROM questions").fetchone()[0]
                rows.append(
                    {
                        "case": f"database write-locked by another process for {LOCK_S:.0f} s",
                        "answered": f"{sum(w != float('inf') for w in waits)}/{len(bystanders)}; "
                        f"questions logged after: {logged}",
                        "max_other": max(waits),
                    }
                )
            finally:
                proc.send_signal(signal.SIGTERM)
                await asyncio.to_thread(proc.wait, 30)
    return rows


def print_resilience(rows: list[dict]) -> None:
    print()
    print("| case | answered | max latency of the other users |")
    print("|---|---|---|")
    for row in rows:
        print(f"| {row['case']} | {row['answered']} | {row['max_other'] * 1000:.0f} ms |")


async def main_async(args: argparse.Namespace) -> None:
    result = load_knowledge(KNOWLEDGE)
    assert result.kb is not None, [str(p) for p in result.errors[:5]]
    kb = result.kb
    questions = expected_replies(kb)
    results = [await run_variant("bot.py (as shipped)", kb, questions, args)]
    print_table(results, args, kb, len(questions))
    if not args.database:  # the resilience cases hold SQLite's file lock
        print_resilience(await resilience(questions))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the saturated window")
    parser.add_argument("--database", help="ADVISOR_DB for the bot (default: a fresh SQLite file)")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
