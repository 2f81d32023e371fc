"""`python bot.py` as a real process against the Bot API emulator over HTTP (long polling).

The tests that take `database` run on SQLite and on PostgreSQL (ADVISOR_DB a URL)."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.bot.harness import button_data
from tests.bot.privacy_scan import traces
from tests.conftest import ROOT
from tgemu.server import serve
from tgemu.state import BotApiState
from tgemu.world import SentMessage

USER = 4242


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "ADVISOR_DB": str(tmp_path / "advisor.db"),
        "ADVISOR_KNOWLEDGE": str(ROOT / "knowledge"),
        **extra,
    }


async def _start_bot(
    tmp_path: Path,
    state: BotApiState,
    url: str,
    output: int = asyncio.subprocess.PIPE,
    settings: dict[str, str] | None = None,
    extra_args: tuple[str, ...] = (),
    **extra: str,
) -> asyncio.subprocess.Process:
    """`python bot.py` against the emulator at `url`, logging at INFO to `output`; `settings`
    and `extra` add environment variables, `extra_args` command-line options."""
    env = _env(tmp_path, TELEGRAM_BOT_TOKEN=state.token, TELEGRAM_API_URL=url, **(settings or {}), **extra)
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bot.py"),
        "--log-level",
        "INFO",
        *extra_args,
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


async def test_an_admin_edits_the_knowledge_in_telegram_and_a_member_cannot(tmp_path: Path) -> None:
    """Issue 18's journey with the real process: download, upload, preview, apply, a refused
    broken file, a rollback, a refused zip escaping the folder, and a member refused throughout."""
    admin, member = 7001, 7002
    folder = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", folder)
    fees = "faq/tm_filing.yaml"
    original = (folder / fees).read_text(encoding="utf-8")
    edited = original.replace("**Tổng: khoảng 1.360.000đ.**", "**Tổng: khoảng 2.720.000đ.**").encode()
    question = "lệ phí đăng ký nhãn hiệu bao nhiêu"
    state = BotApiState()

    async def reply(chat: int):
        return await state.wait_for_message(chat, timeout=20)

    async def press(chat: int, message, label: str):
        state.press(chat, message.message_id, button_data(message, label))

    async def answer() -> str:
        """The member's answer (the privacy notice a member who has not decided gets after
        their first answer is not it)."""
        seen = len(state.messages(member))
        state.user_says(member, question)
        found = await state.wait_for(
            lambda: next((m for m in state.messages(member)[seen:] if "lệ phí" in m.text.lower()), None), 20
        )
        return found.text

    async with serve(state) as url:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "bot.py"),
            cwd=tmp_path,
            env={
                **os.environ,
                "TELEGRAM_BOT_TOKEN": state.token,
                "TELEGRAM_API_URL": url,
                "ADVISOR_DB": str(tmp_path / "advisor.db"),
                "ADVISOR_KNOWLEDGE": str(folder),
                "ADVISOR_ADMINS": str(admin),
            },
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            state.user_says(admin, "/kb")
            menu = await state.wait_for_message(admin, timeout=30)
            await press(admin, menu, "Tải cả kho")
            download = await reply(admin)
            with zipfile.ZipFile(io.BytesIO(download.document)) as archive:
                assert archive.read(fees).decode() == original

            state.user_sends_document(admin, edited, "tm_filing.yaml")
            preview = await reply(admin)
            assert "tm.fees" in preview.text and "+ **Tổng: khoảng 2.720.000đ.**" in preview.text
            await press(admin, preview, "Áp dụng")
            assert "phiên bản #2" in (await reply(admin)).text
            assert "2.720.000đ" in await answer()

            state.user_sends_document(admin, edited + b"\n  - id: [unclosed\n", "tm_filing.yaml")
            refused = await reply(admin)
            assert "faq/tm_filing.yaml:" in refused.text and "YAML syntax" in refused.text
            assert "2.720.000đ" in await answer()  # the answer in service before the broken file

            state.user_says(admin, "/kb history")
            history = await reply(admin)
            await press(admin, history, "#1")
            back = await reply(admin)
            assert "quay lại phiên bản #1" in back.text
            await press(admin, back, "Áp dụng")
            assert "phiên bản #3" in (await reply(admin)).text
            assert "1.360.000đ" in await answer()

            escaping = io.BytesIO()
            with zipfile.ZipFile(escaping, "w") as archive:
                archive.writestr("faq/tm_filing.yaml", edited)
                archive.writestr("../evil.yaml", b"x: 1")
            state.user_sends_document(admin, escaping.getvalue(), "knowledge.zip")
            assert "../evil.yaml" in (await reply(admin)).text

            seen = len(state.messages(member))
            state.user_says(member, "/kb")
            state.user_sends_document(member, edited, "tm_filing.yaml")

            def both_replies() -> list | None:
                new = [m.text for m in state.messages(member)[seen:]]
                return new if len(new) >= 2 else None

            replies = await state.wait_for(both_replies, 20)
            assert any("dành cho cán bộ" in text for text in replies)
            assert any("chỉ đọc được tin nhắn chữ" in text for text in replies)
            state.press(member, menu.message_id, button_data(menu, "Tải cả kho"), chat_id=member, forge=True)
            await state.wait_for(lambda: state.callback_answers[-1][1] if state.callback_answers else None)
            assert "dành cho cán bộ" in state.callback_answers[-1][1]
            assert "1.360.000đ" in await answer()
            assert not any(m.kind == "document" for m in state.messages(member))
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0, output.decode()[-2000:]
    assert (folder / fees).read_text(encoding="utf-8") == original
    assert not (tmp_path / "evil.yaml").exists()


# --- personal data: the "Done when", with the real bot.py -----------------------------------

PERSON, OFFICER = 7654321, 8765432


def _buttons(message: SentMessage) -> dict[str, str]:
    rows = (message.reply_markup or {}).get("inline_keyboard", [])
    return {button["text"]: button.get("callback_data", "") for row in rows for button in row}


def _press(state: BotApiState, message: SentMessage, label: str) -> None:
    data = next((data for text, data in _buttons(message).items() if label in text), None)
    assert data, f"no button {label!r} in {list(_buttons(message))}"
    state.press(message.chat_id, message.message_id, data)


def _rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as connection:
        return connection.execute(sql).fetchall()


async def _exported(state: BotApiState, table: str) -> str:
    state.user_says(OFFICER, f"/export {table}")
    document = await state.wait_for_message(OFFICER, timeout=10)
    return (document.document or b"").decode("utf-8-sig") + (document.text or "")


async def _assess(state: BotApiState) -> None:
    """/assess, Bắt đầu, then the first option of every question until the result."""
    state.user_says(PERSON, "/assess")
    intro = await state.wait_for_message(PERSON, timeout=10)
    _press(state, intro, "Bắt đầu")
    question = await state.wait_for_message(PERSON, timeout=10)
    for _ in range(40):
        answers = [data for data in _buttons(question).values() if data.split(":")[1] == "a"]
        if not answers:
            return
        before, edits = len(state.messages(PERSON)), question.edits
        state.press(PERSON, question.message_id, answers[0])

        def moved(before: int = before, edits: int = edits) -> bool | None:
            return True if len(state.messages(PERSON)) > before or question.edits > edits else None

        await state.wait_for(moved, 10)
        if len(state.messages(PERSON)) > before:  # the result: text, chart ...
            return
    raise AssertionError("the questionnaire did not end")


async def test_personal_data_done_when_with_the_real_bot(tmp_path: Path) -> None:
    """A new user sees the notice before anything is stored; without consent a question is
    answered and unlinked; after consent /mydata sends their data; after /forget no table holds
    their id, name or username (the cooperative's answers remain, unlinked) and officer exports
    do not contain them; the purge unlinks what is older than the retention period."""
    db, state = tmp_path / "advisor.db", BotApiState()
    words = ("hoa_e2e", "Thanh Hoa")
    async with serve(state) as url:
        process = await _start_bot(
            tmp_path,
            state,
            url,
            ADVISOR_OFFICERS=str(OFFICER),
            ADVISOR_OPERATOR_NAME="Liên minh HTX tỉnh Huế",
        )
        try:
            state.user_says(PERSON, "/start", first_name="Thanh Hoa", username="hoa_e2e")
            greeting = await state.wait_for_message(PERSON, timeout=30)
            assert list(_buttons(greeting))[:3] == ["✅ Đồng ý", "❌ Không đồng ý", "📄 Xem chi tiết"]
            assert "Liên minh HTX tỉnh Huế" in greeting.text
            assert traces(db, PERSON, words) == []

            state.user_says(PERSON, "le phi dang ky nhan hieu", first_name="Thanh Hoa", username="hoa_e2e")
            answer = await state.wait_for_message(PERSON, timeout=10)
            assert "1.360.000" in answer.text
            await state.wait_for(lambda: _rows(db, "SELECT user_id FROM questions") or None, 10)
            assert _rows(db, "SELECT user_id, text FROM questions") == [(None, "le phi dang ky nhan hieu")]
            assert traces(db, PERSON, words) == []

            _press(state, greeting, "Đồng ý")
            assert "Cảm ơn" in (await state.wait_for_message(PERSON, timeout=10)).text
            for text in ("/register", "HTX Tân Phú", "Huế"):
                state.user_says(PERSON, text, first_name="Thanh Hoa", username="hoa_e2e")
                prompt = await state.wait_for_message(PERSON, timeout=10)
            _press(state, prompt, "Nông nghiệp")
            await state.wait_for_message(PERSON, timeout=10)
            state.user_says(PERSON, "25")
            assert "HTX Tân Phú" in (await state.wait_for_message(PERSON, timeout=10)).text
            await _assess(state)
            state.user_says(PERSON, "chu ky so la gi")
            await state.wait_for(
                lambda: _rows(db, f"SELECT 1 FROM questions WHERE user_id = {PERSON}") or None, 10
            )

            state.user_says(PERSON, "/mydata")
            document = await state.wait_for(
                lambda: next((m for m in state.messages(PERSON) if m.kind == "document"), None), 10
            )
            data = json.loads(document.document)
            assert data["user"]["id"] == PERSON and data["user"]["username"] == "hoa_e2e"
            assert [q["text"] for q in data["questions"]] == ["chu ky so la gi"]  # not the one before consent
            answered = _rows(db, "SELECT count(*) FROM answers")[0][0]
            assert data["cooperative"]["name"] == "HTX Tân Phú" and len(data["answers"]) == answered > 10
            assert str(PERSON) in await _exported(state, "assessments")

            state.user_says(PERSON, "/forget")
            confirm = await state.wait_for(
                lambda: next(
                    (m for m in state.messages(PERSON) if "Không thể hoàn tác" in (m.text or "")), None
                ),
                10,
            )
            _press(state, confirm, "Xóa dữ liệu của tôi")
            sole = await state.wait_for(
                lambda: next(
                    (m for m in state.messages(PERSON) if "thành viên duy nhất" in (m.text or "")), None
                ),
                10,
            )
            _press(state, sole, "Giữ hồ sơ HTX")
            await state.wait_for(
                lambda: next((m for m in state.messages(PERSON) if "Đã xóa" in (m.text or "")), None), 10
            )
            assert traces(db, PERSON, words) == []
            assert _rows(db, "SELECT count(*) FROM answers") == [
                (answered,)
            ]  # the cooperative's record remains
            assert _rows(db, "SELECT count(*) FROM answer_authors") == [(0,)]
            exported = await _exported(state, "assessments")
            assert "HTX Tân Phú" in exported and str(PERSON) not in exported
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0, output.decode()[-2000:]

    with sqlite3.connect(db) as connection:  # a question from long ago, and a recent one
        for asked_at in ("2024-01-01T00:00:00+00:00", dt.datetime.now(dt.UTC).isoformat(timespec="seconds")):
            connection.execute(
                "INSERT INTO questions (user_id, text, normalised, decision, score, kb_version, asked_at) "
                "VALUES (5555, 'q', 'q', 'answer', 1, 'k', ?)",
                (asked_at,),
            )
    purge = subprocess.run(
        [sys.executable, "-m", "advisor", "privacy", "purge"],
        cwd=ROOT,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert purge.returncode == 0 and "unlinked: 1" in purge.stdout, purge.stderr
    assert _rows(db, "SELECT user_id FROM questions WHERE text = 'q' ORDER BY id") == [(None,), (5555,)]
