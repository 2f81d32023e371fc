"""`python bot.py` as a real process against the Bot API emulator over HTTP (long polling).

The tests that take `database` run on SQLite and on PostgreSQL (ADVISOR_DB a URL)."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

from tests.conftest import ROOT
from tgemu.server import serve
from tgemu.state import BotApiState

USER = 4242


async def _start_bot(
    tmp_path: Path,
    state: BotApiState,
    url: str,
    output: int = asyncio.subprocess.PIPE,
    settings: dict[str, str] | None = None,
) -> asyncio.subprocess.Process:
    """`python bot.py` against the emulator at `url`, logging at INFO to `output`; `settings`
    adds environment variables."""
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": state.token,
        "TELEGRAM_API_URL": url,
        "ADVISOR_DB": str(tmp_path / "advisor.db"),
        "ADVISOR_KNOWLEDGE": str(ROOT / "knowledge"),
        **(settings or {}),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bot.py"),
        "--log-level",
        "INFO",
        cwd=tmp_path,
        env=env,
        stdout=output,
        stderr=asyncio.subprocess.STDOUT,
    )


async def test_bot_process_answers_over_real_http(tmp_path: Path, database: Path | str) -> None:
    state = BotApiState()
    async with serve(state) as url:
        process = await _start_bot(tmp_path, state, url, settings={"ADVISOR_DB": str(database)})
        try:
            state.user_says(USER, "/start", first_name="Hoa")
            greeting = await state.wait_for_message(USER, timeout=30)
            assert "Hoa" in greeting.text
            state.user_says(USER, "htx co phai dung hoa don dien tu khong")
            answer = await state.wait_for_message(USER, timeout=10)
            assert "hóa đơn điện tử" in answer.text.lower()
            assert state.commands_for()  # the command menu was set at start-up
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(process.communicate(), 20)
    log = output.decode()
    assert process.returncode == 0, log[-2000:]
    assert "update user=4242 kind=command outcome=start" in log and state.token not in log


async def test_an_update_the_library_cannot_parse_does_not_wedge_polling(
    tmp_path: Path, database: Path | str
) -> None:
    """A poll from an older Bot API server (fields python-telegram-bot 22 requires are missing)
    comes first in the batch; the next user's /help is still answered, and the bad update is
    logged once with its id."""
    state = BotApiState()
    old_poll = {
        "id": "1",
        "question": "?",
        "options": [],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
    }
    async with serve(state) as url:
        bad = state.updates.push("poll", old_poll)
        state.user_says(USER, "/help")
        process = await _start_bot(tmp_path, state, url, settings={"ADVISOR_DB": str(database)})
        try:
            help_text = await state.wait_for_message(USER, timeout=30)
            assert "/assess" in help_text.text
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(process.communicate(), 20)
    log = output.decode()
    assert process.returncode == 0, log[-2000:]
    assert log.count(f"skipped unparseable update {bad['update_id']}") == 1, log[-2000:]


def _children(pid: int) -> set[int]:
    """Every live descendant of a process (Linux /proc)."""
    parents: dict[int, int] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("State", "").startswith("Z"):
            continue
        parents[int(status.parent.name)] = int(fields["PPid"])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


async def test_kill_9_leaves_no_process_of_the_bot_behind(tmp_path: Path) -> None:
    state = BotApiState()
    async with serve(state) as url:
        process = await _start_bot(tmp_path, state, url, asyncio.subprocess.DEVNULL)
        state.user_says(USER, "/start")
        await state.wait_for_message(USER, timeout=30)
        helpers = set()
        for _ in range(100):  # the chart worker is spawned and warmed at start-up
            helpers = _children(process.pid)
            if helpers:
                break
            await asyncio.sleep(0.1)
        assert helpers, "the chart worker should be running"
        process.kill()
        await process.wait()
        for _ in range(50):
            alive = {pid for pid in helpers if Path(f"/proc/{pid}").exists() and _alive(pid)}
            if not alive:
                break
            await asyncio.sleep(0.1)
        for pid in alive:  # do not leave them to the next test
            os.kill(pid, signal.SIGKILL)
        assert not alive, f"left behind: {alive}"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in state


async def test_a_database_locked_at_start_stops_the_bot_with_one_line(tmp_path: Path) -> None:
    db = tmp_path / "advisor.db"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("PRAGMA journal_mode = WAL")
    holder.execute("CREATE TABLE other (x)")
    holder.execute("BEGIN IMMEDIATE")  # another process keeps the write lock
    state = BotApiState()
    try:
        async with serve(state) as url:
            process = await _start_bot(tmp_path, state, url)
            output, _ = await asyncio.wait_for(process.communicate(), 30)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    log = output.decode()
    assert process.returncode == 3, log[-2000:]
    assert "Traceback" not in log and "the bot cannot start" in log and "locked" in log


async def test_eight_queued_questions_and_help_are_all_answered_in_order(
    tmp_path: Path, database: Path | str
) -> None:
    """A phone back online: nine messages waiting before the bot even polls."""
    state = BotApiState()
    questions = [
        ("lệ phí đăng ký nhãn hiệu", "nhãn hiệu"),
        ("hóa đơn điện tử là gì", "hóa đơn"),
        ("chữ ký số", "chữ ký số"),
        ("ocop là gì", "ocop"),
    ] * 2
    async with serve(state) as url:
        state.user_says(USER, "/start")
        for text, _ in questions:
            state.user_says(USER, text)
        state.user_says(USER, "/help")
        process = await _start_bot(
            tmp_path, state, url, asyncio.subprocess.DEVNULL, settings={"ADVISOR_DB": str(database)}
        )
        try:
            for _ in range(300):
                texts = [m.text or "" for m in state.messages(USER)]
                if texts and "/assess" in texts[-1] and len(texts) >= 10:
                    break
                await asyncio.sleep(0.1)
        finally:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 20)
    texts = [m.text.lower() for m in state.messages(USER)][1:]  # after the greeting
    assert "/assess" in texts[-1] and len(texts) >= 9
    position = 0
    for _, expected in questions:  # each answer in turn, in the order asked
        position = next(i for i in range(position, len(texts)) if expected in texts[i]) + 1
