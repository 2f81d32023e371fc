"""SQLite storage through aiosqlite: the migrations and every SQL statement of the project.

One file (`ADVISOR_DB`) in WAL mode, so readers never block the writer; numbered
migrations run at start inside a transaction each; every multi-row change is one
transaction. Callers get plain dicts and dataclasses, never cursors.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

MIGRATIONS: tuple[str, ...] = (
    # 1: members, the questions they ask, and their votes on answers.
    """
    CREATE TABLE users (
        id          INTEGER PRIMARY KEY,
        chat_id     INTEGER NOT NULL,
        language    TEXT    NOT NULL DEFAULT 'vi',
        role        TEXT    NOT NULL DEFAULT 'member',
        first_seen  TEXT    NOT NULL,
        last_seen   TEXT    NOT NULL,
        blocked_at  TEXT
    );
    CREATE TABLE questions (
        id          INTEGER PRIMARY KEY,
        user_id     INTEGER,
        text        TEXT    NOT NULL,
        normalised  TEXT    NOT NULL,
        decision    TEXT    NOT NULL CHECK (decision IN ('answer', 'suggest', 'decline')),
        entry_id    TEXT,
        score       REAL    NOT NULL,
        kb_version  TEXT    NOT NULL,
        asked_at    TEXT    NOT NULL
    );
    CREATE INDEX questions_decision ON questions (decision, asked_at);
    CREATE TABLE feedback (
        user_id     INTEGER NOT NULL,
        entry_id    TEXT    NOT NULL,
        vote        INTEGER NOT NULL CHECK (vote IN (-1, 1)),
        voted_at    TEXT    NOT NULL,
        PRIMARY KEY (user_id, entry_id)
    );
    """,
    # 2: cooperative profiles, their members, and the append-only self-assessment log.
    """
    CREATE TABLE cooperatives (
        id          INTEGER PRIMARY KEY,
        name        TEXT    NOT NULL,
        province    TEXT    NOT NULL,
        sector      TEXT    NOT NULL,
        members     INTEGER NOT NULL CHECK (members > 0),
        invite_code TEXT    NOT NULL UNIQUE,
        created_by  INTEGER NOT NULL,
        created_at  TEXT    NOT NULL,
        updated_at  TEXT    NOT NULL
    );
    ALTER TABLE users ADD COLUMN coop_id INTEGER REFERENCES cooperatives (id);
    CREATE TABLE assessments (
        id               INTEGER PRIMARY KEY,
        coop_id          INTEGER NOT NULL REFERENCES cooperatives (id),
        user_id          INTEGER NOT NULL,
        version          TEXT    NOT NULL,
        status           TEXT    NOT NULL CHECK (status IN ('open', 'done', 'abandoned')),
        current_question TEXT,
        started_at       TEXT    NOT NULL,
        finished_at      TEXT,
        overall          REAL,
        level            INTEGER,
        level_name       TEXT,
        pillar_scores    TEXT
    );
    CREATE UNIQUE INDEX assessments_one_open ON assessments (user_id) WHERE status = 'open';
    CREATE INDEX assessments_coop ON assessments (coop_id, status);
    CREATE TABLE answers (
        id            INTEGER PRIMARY KEY,
        assessment_id INTEGER NOT NULL REFERENCES assessments (id),
        coop_id       INTEGER NOT NULL,
        user_id       INTEGER NOT NULL,
        question_id   TEXT    NOT NULL,
        option        INTEGER NOT NULL,
        score         INTEGER NOT NULL,
        answered_at   TEXT    NOT NULL
    );
    CREATE INDEX answers_assessment ON answers (assessment_id, id);
    CREATE TRIGGER answers_no_update BEFORE UPDATE ON answers
        BEGIN SELECT RAISE(ABORT, 'answers are append-only'); END;
    CREATE TRIGGER answers_no_delete BEFORE DELETE ON answers
        BEGIN SELECT RAISE(ABORT, 'answers are append-only'); END;
    """,
)

BUSY_TIMEOUT_MS = 5000


class StoreError(Exception):
    """The database cannot do what was asked right now (locked, missing, read-only, full)."""


def now() -> str:
    """UTC timestamps as ISO text: sortable, readable in exports."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class User:
    id: int
    chat_id: int
    language: str
    role: str
    first_seen: str
    last_seen: str
    blocked_at: str | None = None
    coop_id: int | None = None
    is_new: bool = False


class Store:
    """The one connection to the database; use `await Store.open(path)` and `await close()`."""

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self.db = db
        self.path = path

    @classmethod
    async def open(cls, path: Path | str) -> Store:
        """Open (creating the file and folder if needed) and migrate to the newest schema."""
        path = Path(path)
        try:
            if str(path) != ":memory:":
                path.parent.mkdir(parents=True, exist_ok=True)
            db = await aiosqlite.connect(path, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open database {path}: {exc}") from exc
        db.row_factory = aiosqlite.Row
        store = cls(db, path)
        try:
            await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute("PRAGMA synchronous = NORMAL")
            await db.execute("PRAGMA foreign_keys = ON")
            await store._migrate()
        except sqlite3.Error as exc:
            await db.close()
            raise StoreError(f"cannot prepare database {path}: {exc}") from exc
        return store

    async def close(self) -> None:
        await self.db.close()

    async def _migrate(self) -> None:
        version = (await self._one("PRAGMA user_version"))[0]
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            try:
                await self.db.executescript(
                    f"BEGIN IMMEDIATE; {script}; PRAGMA user_version = {number}; COMMIT;"
                )
            except BaseException:
                if self.db.in_transaction:
                    await self.db.execute("ROLLBACK")
                raise

    @property
    async def schema_version(self) -> int:
        return (await self._one("PRAGMA user_version"))[0]

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        async with self.db.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        try:
            async with self.db.execute(sql, params) as cursor:
                return [dict(row) for row in await cursor.fetchall()]
        except sqlite3.Error as exc:
            raise StoreError(str(exc)) from exc

    async def _write(self, sql: str, params: Sequence[Any] = ()) -> int:
        """One statement in its own transaction; returns the last row id."""
        try:
            async with self.db.execute(sql, params) as cursor:
                return cursor.lastrowid or 0
        except sqlite3.Error as exc:
            raise StoreError(str(exc)) from exc

    # --- users ---------------------------------------------------------------------

    async def touch_user(self, user_id: int, chat_id: int, language: str) -> User:
        """Record that a user was seen; creates them on first contact with `language`."""
        stamp = now()
        try:
            async with self.db.execute(
                "INSERT OR IGNORE INTO users (id, chat_id, language, first_seen, last_seen) "
                "VALUES (?, ?, ?, ?, ?)",
                (user_id, chat_id, language, stamp, stamp),
            ) as cursor:
                is_new = cursor.rowcount == 1
            async with self.db.execute(
                "UPDATE users SET chat_id = ?, last_seen = ?, blocked_at = NULL WHERE id = ? RETURNING *",
                (chat_id, stamp, user_id),
            ) as cursor:
                row = await cursor.fetchone()
        except sqlite3.Error as exc:
            raise StoreError(str(exc)) from exc
        return User(**dict(row), is_new=is_new)

    async def get_user(self, user_id: int) -> User | None:
        rows = await self._all("SELECT * FROM users WHERE id = ?", (user_id,))
        return User(**rows[0]) if rows else None

    async def set_language(self, user_id: int, language: str) -> None:
        await self._write("UPDATE users SET language = ? WHERE id = ?", (language, user_id))

    async def mark_blocked(self, chat_id: int, blocked: bool = True) -> None:
        """Telegram said 403 (the user blocked the bot), or they came back."""
        await self._write(
            "UPDATE users SET blocked_at = ? WHERE chat_id = ?", (now() if blocked else None, chat_id)
        )

    # --- questions and feedback ----------------------------------------------------

    async def log_question(
        self,
        user_id: int | None,
        text: str,
        normalised: str,
        decision: str,
        entry_id: str | None,
        score: float,
        kb_version: str,
    ) -> int:
        return await self._write(
            "INSERT INTO questions "
            "(user_id, text, normalised, decision, entry_id, score, kb_version, asked_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (user_id, text, normalised, decision, entry_id, score, kb_version, now()),
        )

    async def vote(self, user_id: int, entry_id: str, vote: int) -> bool:
        """Record 👍 (+1) or 👎 (-1); a user's later vote on the same entry replaces the earlier.

        Returns False when the vote was already the same (a double tap), True otherwise.
        """
        previous = await self._all(
            "SELECT vote FROM feedback WHERE user_id = ? AND entry_id = ?", (user_id, entry_id)
        )
        if previous and previous[0]["vote"] == vote:
            return False
        await self._write(
            "INSERT INTO feedback (user_id, entry_id, vote, voted_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (user_id, entry_id) "
            "DO UPDATE SET vote = excluded.vote, voted_at = excluded.voted_at",
            (user_id, entry_id, vote, now()),
        )
        return True

    # --- exports ----------------------------------------------------------------------

    EXPORTS = {
        "questions": "SELECT id, user_id, asked_at, text, normalised, decision, entry_id, score, kb_version "
        "FROM questions ORDER BY id",
        "feedback": "SELECT entry_id, user_id, vote, voted_at FROM feedback ORDER BY voted_at",
        "users": "SELECT id, language, role, first_seen, last_seen FROM users ORDER BY id",
    }

    async def export(self, table: str) -> list[dict[str, Any]]:
        if table not in self.EXPORTS:
            raise KeyError(table)
        return await self._all(self.EXPORTS[table])
