"""SQLite storage through aiosqlite: the migrations and every SQL statement of the project.

One file (`ADVISOR_DB`) in WAL mode, so readers never block the writer; numbered
migrations run at start inside a transaction each; every multi-row change is one
transaction. Callers get plain dicts and dataclasses, never cursors.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import secrets
import sqlite3
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
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
    # 3: roles granted at run time, the audit log, subscriptions, durable broadcasts.
    """
    ALTER TABLE users ADD COLUMN username TEXT;
    ALTER TABLE users ADD COLUMN subscribed INTEGER NOT NULL DEFAULT 1;
    CREATE INDEX users_username ON users (username COLLATE NOCASE);
    CREATE TABLE grants (
        user_id     INTEGER PRIMARY KEY,
        role        TEXT    NOT NULL CHECK (role IN ('officer', 'admin')),
        province    TEXT,
        granted_by  INTEGER NOT NULL,
        granted_at  TEXT    NOT NULL
    );
    CREATE TABLE audit (
        id          INTEGER PRIMARY KEY,
        user_id     INTEGER,
        action      TEXT    NOT NULL,
        detail      TEXT    NOT NULL DEFAULT '',
        at          TEXT    NOT NULL
    );
    CREATE TABLE broadcasts (
        id          INTEGER PRIMARY KEY,
        author_id   INTEGER NOT NULL,
        author_chat INTEGER NOT NULL,
        text        TEXT    NOT NULL,
        html        TEXT    NOT NULL,
        audience    TEXT    NOT NULL,
        status      TEXT    NOT NULL CHECK (status IN ('scheduled', 'sending', 'done', 'cancelled')),
        created_at  TEXT    NOT NULL,
        send_at     TEXT    NOT NULL,
        finished_at TEXT,
        progress_message_id INTEGER
    );
    CREATE TABLE deliveries (
        broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id),
        user_id      INTEGER NOT NULL,
        chat_id      INTEGER NOT NULL,
        status       TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN
                     ('pending', 'sending', 'sent', 'blocked', 'failed', 'unknown', 'cancelled')),
        attempts     INTEGER NOT NULL DEFAULT 0,
        message_id   INTEGER,
        error        TEXT,
        updated_at   TEXT,
        PRIMARY KEY (broadcast_id, user_id)
    );
    CREATE INDEX deliveries_status ON deliveries (broadcast_id, status);
    CREATE TABLE flows (
        user_id     INTEGER PRIMARY KEY,
        kind        TEXT    NOT NULL,
        state       TEXT    NOT NULL,
        updated_at  TEXT    NOT NULL
    );
    """,
)

BUSY_TIMEOUT_MS = 5000
DELIVERY_OUTCOMES = ("sent", "blocked", "failed", "unknown")


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
    first_seen: str
    last_seen: str
    blocked_at: str | None = None
    coop_id: int | None = None
    username: str | None = None
    subscribed: int = 1
    is_new: bool = False


@dataclass(frozen=True)
class Coop:
    id: int
    name: str
    province: str
    sector: str
    members: int
    invite_code: str
    created_by: int
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class Assessment:
    """One run of the questionnaire by one user for their cooperative."""

    id: int
    coop_id: int
    user_id: int
    version: str
    status: str
    current_question: str | None
    started_at: str
    finished_at: str | None = None
    overall: float | None = None
    level: int | None = None
    level_name: str | None = None
    pillar_scores: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Assessment:
        scores = json.loads(row.pop("pillar_scores") or "{}")
        return cls(**row, pillar_scores=scores)


@dataclass(frozen=True)
class Grant:
    user_id: int
    role: str
    province: str | None
    granted_by: int
    granted_at: str


@dataclass(frozen=True)
class Audience:
    """Who a broadcast goes to; empty sets mean "any". `province_scope` is the officer's."""

    provinces: frozenset[str] = frozenset()
    sectors: frozenset[str] = frozenset()
    levels: frozenset[int] = frozenset()
    not_assessed: bool = False
    province_scope: str | None = None

    def to_json(self) -> str:
        return json.dumps(
            {
                "provinces": sorted(self.provinces),
                "sectors": sorted(self.sectors),
                "levels": sorted(self.levels),
                "not_assessed": self.not_assessed,
                "province_scope": self.province_scope,
            },
            ensure_ascii=False,
        )

    @property
    def needs_coop(self) -> bool:
        return bool(self.provinces or self.sectors or self.levels or self.not_assessed or self.province_scope)


@dataclass(frozen=True)
class Broadcast:
    id: int
    author_id: int
    author_chat: int
    text: str
    html: str
    audience: str
    status: str
    created_at: str
    send_at: str
    finished_at: str | None = None
    progress_message_id: int | None = None


@dataclass(frozen=True)
class Delivery:
    broadcast_id: int
    user_id: int
    chat_id: int
    status: str
    attempts: int
    message_id: int | None = None
    error: str | None = None
    updated_at: str | None = None


class Store:
    """The one connection to the database; use `await Store.open(path)` and `await close()`.

    All writes go through one asyncio lock: the connection is shared by every handler, so
    without it one task's statement could land inside another task's transaction.
    """

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self.db = db
        self.path = path
        self._lock = asyncio.Lock()

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
        async with self._lock:
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

    async def _first(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        rows = await self._all(sql, params)
        return rows[0] if rows else None

    async def _write(self, sql: str, params: Sequence[Any] = ()) -> int:
        """One statement, atomic on its own (autocommit); returns the number of rows changed.

        Under the write lock, so it never lands inside another task's open transaction."""
        async with self._lock:
            try:
                async with self.db.execute(sql, params) as cursor:
                    return cursor.rowcount
            except sqlite3.Error as exc:
                raise StoreError(str(exc)) from exc

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE ... COMMIT under the write lock; any error rolls back."""
        async with self._lock:
            try:
                await self.db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(str(exc)) from exc
            try:
                yield self.db
                await self.db.execute("COMMIT")
            except BaseException as exc:
                if self.db.in_transaction:
                    await self.db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(str(exc)) from exc
                raise

    # --- users ---------------------------------------------------------------------

    async def touch_user(
        self, user_id: int, chat_id: int, language: str, username: str | None = None
    ) -> User:
        """Record that a user was seen; creates them on first contact with `language`."""
        stamp = now()
        async with self.transaction() as db:
            async with db.execute(
                "INSERT OR IGNORE INTO users (id, chat_id, language, first_seen, last_seen) "
                "VALUES (?, ?, ?, ?, ?)",
                (user_id, chat_id, language, stamp, stamp),
            ) as cursor:
                is_new = cursor.rowcount == 1
            async with db.execute(
                "UPDATE users SET chat_id = ?, last_seen = ?, blocked_at = NULL, "
                "username = coalesce(?, username) WHERE id = ? RETURNING *",
                (chat_id, stamp, username, user_id),
            ) as cursor:
                row = await cursor.fetchone()
        return User(**dict(row), is_new=is_new)

    async def get_user(self, user_id: int) -> User | None:
        row = await self._first("SELECT * FROM users WHERE id = ?", (user_id,))
        return User(**row) if row else None

    async def user_by_username(self, username: str) -> User | None:
        row = await self._first(
            "SELECT * FROM users WHERE username = ? COLLATE NOCASE", (username.lstrip("@"),)
        )
        return User(**row) if row else None

    async def set_language(self, user_id: int, language: str) -> None:
        await self._write("UPDATE users SET language = ? WHERE id = ?", (language, user_id))

    async def set_subscribed(self, user_id: int, subscribed: bool) -> None:
        await self._write("UPDATE users SET subscribed = ? WHERE id = ?", (int(subscribed), user_id))

    async def mark_blocked(self, chat_id: int, blocked: bool = True) -> None:
        """Telegram said 403 (the user blocked the bot), or they came back."""
        await self._write(
            "UPDATE users SET blocked_at = ? WHERE chat_id = ?", (now() if blocked else None, chat_id)
        )

    # --- multi-step flows (registration, broadcast drafts): survive restarts -----------

    async def flow(self, user_id: int) -> tuple[str, dict[str, Any]] | None:
        row = await self._first("SELECT kind, state FROM flows WHERE user_id = ?", (user_id,))
        return (row["kind"], json.loads(row["state"])) if row else None

    async def set_flow(self, user_id: int, kind: str, state: dict[str, Any]) -> None:
        await self._write(
            "INSERT INTO flows (user_id, kind, state, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET kind = excluded.kind, state = excluded.state, "
            "updated_at = excluded.updated_at",
            (user_id, kind, json.dumps(state, ensure_ascii=False), now()),
        )

    async def end_flow(self, user_id: int) -> bool:
        return await self._write("DELETE FROM flows WHERE user_id = ?", (user_id,)) == 1

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
    ) -> None:
        await self._write(
            "INSERT INTO questions "
            "(user_id, text, normalised, decision, entry_id, score, kb_version, asked_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (user_id, text, normalised, decision, entry_id, score, kb_version, now()),
        )

    async def vote(self, user_id: int, entry_id: str, vote: int) -> bool:
        """Record 👍 (+1) or 👎 (-1); a user's later vote on the same entry replaces the earlier.

        Returns False when the vote was already the same (a double tap), True otherwise.
        """
        changed = await self._write(
            "INSERT INTO feedback (user_id, entry_id, vote, voted_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (user_id, entry_id) DO UPDATE SET vote = excluded.vote, voted_at = excluded.voted_at "
            "WHERE feedback.vote != excluded.vote",
            (user_id, entry_id, vote, now()),
        )
        return changed == 1

    # --- cooperatives -----------------------------------------------------------------

    async def create_coop(self, user_id: int, name: str, province: str, sector: str, members: int) -> Coop:
        """A new cooperative profile, with its creator as its first member."""
        stamp = now()
        async with self.transaction() as db:
            async with db.execute(
                "INSERT INTO cooperatives (name, province, sector, members, invite_code, created_by, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                (name, province, sector, members, secrets.token_urlsafe(6), user_id, stamp, stamp),
            ) as cursor:
                coop = Coop(**dict(await cursor.fetchone()))
            await db.execute("UPDATE users SET coop_id = ? WHERE id = ?", (coop.id, user_id))
        return coop

    async def update_coop(self, coop_id: int, **changes: str | int) -> None:
        allowed = {"name", "province", "sector", "members"}
        if not changes or not changes.keys() <= allowed:
            raise ValueError(f"can only change {sorted(allowed)}")
        columns = ", ".join(f"{key} = ?" for key in changes)
        await self._write(
            f"UPDATE cooperatives SET {columns}, updated_at = ? WHERE id = ?",
            (*changes.values(), now(), coop_id),
        )

    async def coop(self, coop_id: int) -> Coop | None:
        row = await self._first("SELECT * FROM cooperatives WHERE id = ?", (coop_id,))
        return Coop(**row) if row else None

    async def coop_of(self, user_id: int) -> Coop | None:
        row = await self._first(
            "SELECT c.* FROM cooperatives c JOIN users u ON u.coop_id = c.id WHERE u.id = ?", (user_id,)
        )
        return Coop(**row) if row else None

    async def join_coop(self, user_id: int, invite_code: str) -> Coop | None:
        """Link a user to the cooperative whose invite code this is; None if there is none."""
        row = await self._first("SELECT * FROM cooperatives WHERE invite_code = ?", (invite_code,))
        if row is None:
            return None
        await self._write("UPDATE users SET coop_id = ? WHERE id = ?", (row["id"], user_id))
        return Coop(**row)

    # --- self-assessments -------------------------------------------------------------

    async def open_assessment(self, user_id: int) -> Assessment | None:
        row = await self._first("SELECT * FROM assessments WHERE user_id = ? AND status = 'open'", (user_id,))
        return Assessment.from_row(row) if row else None

    async def start_assessment(
        self, user_id: int, coop_id: int, version: str, first_question: str
    ) -> Assessment:
        """A new assessment; an open one of the same user is abandoned (its answers stay)."""
        async with self.transaction() as db:
            await db.execute(
                "UPDATE assessments SET status = 'abandoned' WHERE user_id = ? AND status = 'open'",
                (user_id,),
            )
            async with db.execute(
                "INSERT INTO assessments (coop_id, user_id, version, status, current_question, started_at) "
                "VALUES (?, ?, ?, 'open', ?, ?) RETURNING *",
                (coop_id, user_id, version, first_question, now()),
            ) as cursor:
                return Assessment.from_row(dict(await cursor.fetchone()))

    async def record_answer(
        self,
        assessment: Assessment,
        question_id: str,
        option: int,
        score: int,
        next_question: str | None,
    ) -> bool:
        """Log an answer and move on, only if `question_id` is still the current question.

        A double tap or a button from an earlier question changes nothing and returns False,
        so no answer is ever logged twice and no question is skipped.
        """
        async with self.transaction() as db:
            async with db.execute(
                "UPDATE assessments SET current_question = ? "
                "WHERE id = ? AND status = 'open' AND current_question = ?",
                (next_question, assessment.id, question_id),
            ) as cursor:
                if cursor.rowcount != 1:
                    return False
            await db.execute(
                "INSERT INTO answers (assessment_id, coop_id, user_id, question_id, option, score, answered_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (assessment.id, assessment.coop_id, assessment.user_id, question_id, option, score, now()),
            )
        return True

    async def move_to(self, assessment_id: int, from_question: str | None, to_question: str) -> bool:
        """Back: make an earlier question current again, if `from_question` is still current."""
        changed = await self._write(
            "UPDATE assessments SET current_question = ? "
            "WHERE id = ? AND status = 'open' AND current_question IS ?",
            (to_question, assessment_id, from_question),
        )
        return changed == 1

    async def abandon_assessment(self, assessment_id: int) -> None:
        """Close an open assessment without a result; its logged answers stay."""
        await self._write(
            "UPDATE assessments SET status = 'abandoned' WHERE id = ? AND status = 'open'", (assessment_id,)
        )

    async def answers_of(self, assessment_id: int) -> dict[str, int]:
        """The latest answer to each question (Back and re-answer append a newer row)."""
        rows = await self._all(
            "SELECT question_id, option FROM answers WHERE assessment_id = ? ORDER BY id", (assessment_id,)
        )
        return {row["question_id"]: row["option"] for row in rows}

    async def finish_assessment(
        self, assessment_id: int, overall: float, level: int, level_name: str, pillar_scores: dict[str, float]
    ) -> bool:
        """Store the result with the assessment; False if it was already finished."""
        changed = await self._write(
            "UPDATE assessments SET status = 'done', finished_at = ?, overall = ?, level = ?, level_name = ?, "
            "pillar_scores = ? WHERE id = ? AND status = 'open' AND current_question IS NULL",
            (now(), overall, level, level_name, json.dumps(pillar_scores), assessment_id),
        )
        return changed == 1

    async def assessment(self, assessment_id: int) -> Assessment | None:
        row = await self._first("SELECT * FROM assessments WHERE id = ?", (assessment_id,))
        return Assessment.from_row(row) if row else None

    async def history(self, coop_id: int, limit: int = 20) -> list[Assessment]:
        """Finished assessments of a cooperative, newest first."""
        rows = await self._all(
            "SELECT * FROM assessments WHERE coop_id = ? AND status = 'done' ORDER BY finished_at DESC, id DESC "
            "LIMIT ?",
            (coop_id, limit),
        )
        return [Assessment.from_row(row) for row in rows]

    # --- roles and audit --------------------------------------------------------------

    async def grant(self, user_id: int, role: str, province: str | None, by: int) -> None:
        await self._write(
            "INSERT INTO grants (user_id, role, province, granted_by, granted_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET role = excluded.role, province = excluded.province, "
            "granted_by = excluded.granted_by, granted_at = excluded.granted_at",
            (user_id, role, province, by, now()),
        )

    async def revoke(self, user_id: int) -> bool:
        return await self._write("DELETE FROM grants WHERE user_id = ?", (user_id,)) == 1

    async def grant_of(self, user_id: int) -> Grant | None:
        row = await self._first("SELECT * FROM grants WHERE user_id = ?", (user_id,))
        return Grant(**row) if row else None

    async def audit(self, user_id: int | None, action: str, detail: str = "") -> None:
        await self._write(
            "INSERT INTO audit (user_id, action, detail, at) VALUES (?, ?, ?, ?)",
            (user_id, action, detail, now()),
        )

    # --- broadcasts -------------------------------------------------------------------

    def _audience_sql(self, audience: Audience) -> tuple[str, list[Any]]:
        """Recipients: subscribed users who have not blocked the bot, filtered by their cooperative."""
        sql = (
            "SELECT u.id AS user_id, u.chat_id FROM users u LEFT JOIN cooperatives c ON c.id = u.coop_id "
            "WHERE u.subscribed = 1 AND u.blocked_at IS NULL"
        )
        params: list[Any] = []
        if audience.needs_coop:
            sql += " AND c.id IS NOT NULL"
        for column, values in (("c.province", audience.provinces), ("c.sector", audience.sectors)):
            if values:
                sql += f" AND {column} IN ({', '.join('?' * len(values))})"
                params.extend(sorted(values))
        if audience.province_scope:
            sql += " AND c.province = ?"
            params.append(audience.province_scope)
        latest_level = (
            "(SELECT a.level FROM assessments a WHERE a.coop_id = c.id AND a.status = 'done' "
            "ORDER BY a.finished_at DESC, a.id DESC LIMIT 1)"
        )
        if audience.levels and audience.not_assessed:
            sql += f" AND ({latest_level} IN ({', '.join('?' * len(audience.levels))}) OR {latest_level} IS NULL)"
            params.extend(sorted(audience.levels))
        elif audience.levels:
            sql += f" AND {latest_level} IN ({', '.join('?' * len(audience.levels))})"
            params.extend(sorted(audience.levels))
        elif audience.not_assessed:
            sql += f" AND {latest_level} IS NULL"
        return sql + " ORDER BY u.id", params

    async def recipients(self, audience: Audience) -> list[dict[str, int]]:
        return await self._all(*self._audience_sql(audience))

    async def create_broadcast(
        self, author_id: int, author_chat: int, text: str, html: str, audience: Audience, send_at: str | None
    ) -> tuple[Broadcast, int]:
        """The broadcast, its recipient snapshot and one delivery row each, in one transaction."""
        sql, params = self._audience_sql(audience)
        stamp = now()
        async with self.transaction() as db:
            async with db.execute(
                "INSERT INTO broadcasts (author_id, author_chat, text, html, audience, status, created_at, send_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                (
                    author_id,
                    author_chat,
                    text,
                    html,
                    audience.to_json(),
                    "scheduled" if send_at else "sending",
                    stamp,
                    send_at or stamp,
                ),
            ) as cursor:
                broadcast = Broadcast(**dict(await cursor.fetchone()))
            async with db.execute(
                f"INSERT INTO deliveries (broadcast_id, user_id, chat_id) SELECT ?, user_id, chat_id FROM ({sql})",
                (broadcast.id, *params),
            ) as cursor:
                count = cursor.rowcount
        return broadcast, count

    async def broadcast(self, broadcast_id: int) -> Broadcast | None:
        row = await self._first("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
        return Broadcast(**row) if row else None

    async def broadcasts(self, limit: int = 10, author_id: int | None = None) -> list[Broadcast]:
        where, params = ("WHERE author_id = ?", [author_id]) if author_id is not None else ("", [])
        rows = await self._all(f"SELECT * FROM broadcasts {where} ORDER BY id DESC LIMIT ?", (*params, limit))
        return [Broadcast(**row) for row in rows]

    async def due_broadcasts(self, at: str) -> list[Broadcast]:
        """Broadcasts to work on now: sending ones, and scheduled ones whose time has come."""
        rows = await self._all(
            "SELECT * FROM broadcasts WHERE status = 'sending' OR (status = 'scheduled' AND send_at <= ?) "
            "ORDER BY id",
            (at,),
        )
        return [Broadcast(**row) for row in rows]

    async def set_broadcast_status(self, broadcast_id: int, status: str) -> None:
        finished = now() if status in ("done", "cancelled") else None
        await self._write(
            "UPDATE broadcasts SET status = ?, finished_at = ? WHERE id = ?", (status, finished, broadcast_id)
        )

    async def set_progress_message(self, broadcast_id: int, message_id: int) -> None:
        await self._write(
            "UPDATE broadcasts SET progress_message_id = ? WHERE id = ?", (message_id, broadcast_id)
        )

    async def cancel_broadcast(self, broadcast_id: int) -> bool:
        """Stop a scheduled or running broadcast: its pending rows are never sent."""
        async with self.transaction() as db:
            async with db.execute(
                "UPDATE broadcasts SET status = 'cancelled', finished_at = ? "
                "WHERE id = ? AND status IN ('scheduled', 'sending')",
                (now(), broadcast_id),
            ) as cursor:
                if cursor.rowcount != 1:
                    return False
            await db.execute(
                "UPDATE deliveries SET status = 'cancelled', updated_at = ? "
                "WHERE broadcast_id = ? AND status = 'pending'",
                (now(), broadcast_id),
            )
        return True

    async def recover_deliveries(self) -> int:
        """At start: rows left 'sending' by a crash may have reached Telegram, so never resend them."""
        return await self._write(
            "UPDATE deliveries SET status = 'unknown', error = 'interrupted while sending', updated_at = ? "
            "WHERE status = 'sending'",
            (now(),),
        )

    async def claim_delivery(self, broadcast_id: int, exclude_chats: Sequence[int] = ()) -> Delivery | None:
        """Mark the next pending row 'sending' before it is sent (so a crash never resends it)."""
        skip = f"AND chat_id NOT IN ({', '.join('?' * len(exclude_chats))})" if exclude_chats else ""
        async with (
            self.transaction() as db,
            db.execute(
                "UPDATE deliveries SET status = 'sending', attempts = attempts + 1, updated_at = ? "
                "WHERE rowid = (SELECT rowid FROM deliveries WHERE broadcast_id = ? AND status = 'pending' "
                f"{skip} ORDER BY rowid LIMIT 1) RETURNING *",
                (now(), broadcast_id, *exclude_chats),
            ) as cursor,
        ):
            row = await cursor.fetchone()
        return Delivery(**dict(row)) if row else None

    async def release_delivery(self, delivery: Delivery) -> None:
        """Telegram said 429: put the row back as pending without counting the attempt."""
        await self._write(
            "UPDATE deliveries SET status = 'pending', attempts = attempts - 1, updated_at = ? "
            "WHERE broadcast_id = ? AND user_id = ? AND status = 'sending'",
            (now(), delivery.broadcast_id, delivery.user_id),
        )

    async def finish_delivery(
        self, delivery: Delivery, status: str, message_id: int | None = None, error: str | None = None
    ) -> None:
        """Record what happened to one row; a 403 also unsubscribes and marks the user blocked."""
        if status not in DELIVERY_OUTCOMES:
            raise ValueError(status)
        async with self.transaction() as db:
            await db.execute(
                "UPDATE deliveries SET status = ?, message_id = ?, error = ?, updated_at = ? "
                "WHERE broadcast_id = ? AND user_id = ?",
                (status, message_id, error, now(), delivery.broadcast_id, delivery.user_id),
            )
            if status == "blocked":
                await db.execute(
                    "UPDATE users SET subscribed = 0, blocked_at = ? WHERE id = ?", (now(), delivery.user_id)
                )

    async def delivery_counts(self, broadcast_id: int) -> dict[str, int]:
        rows = await self._all(
            "SELECT status, count(*) AS n FROM deliveries WHERE broadcast_id = ? GROUP BY status",
            (broadcast_id,),
        )
        return {row["status"]: row["n"] for row in rows}

    # --- reports and exports ----------------------------------------------------------

    async def declined_questions(self, limit: int = 2000) -> list[dict[str, Any]]:
        """Recent questions the bot declined or only suggested for: the curators' to-do list."""
        return await self._all(
            "SELECT text, normalised, decision, entry_id, score, asked_at FROM questions "
            "WHERE decision IN ('decline', 'suggest') ORDER BY id DESC LIMIT ?",
            (limit,),
        )

    async def disliked_entries(self) -> list[dict[str, Any]]:
        return await self._all(
            "SELECT entry_id, sum(vote = -1) AS down, sum(vote = 1) AS up FROM feedback "
            "GROUP BY entry_id HAVING down > 0 ORDER BY down DESC, entry_id"
        )

    async def stats(self, province: str | None = None) -> dict[str, Any]:
        """Counts for /stats; `province` limits cooperative-based figures to one province."""
        coop_filter, params = ("WHERE c.province = ?", [province]) if province else ("", [])
        users = await self._first(
            "SELECT count(*) AS users, sum(subscribed = 1 AND blocked_at IS NULL) AS reachable, "
            "sum(blocked_at IS NOT NULL) AS blocked FROM users"
        )
        coops = await self._first(f"SELECT count(*) AS n FROM cooperatives c {coop_filter}", params)
        per_day = await self._all(
            "SELECT substr(asked_at, 1, 10) AS day, count(*) AS asked, sum(decision = 'answer') AS answered "
            "FROM questions GROUP BY day ORDER BY day DESC LIMIT 7"
        )
        top = await self._all(
            "SELECT entry_id, count(*) AS n FROM questions WHERE decision = 'answer' "
            "GROUP BY entry_id ORDER BY n DESC, entry_id LIMIT 5"
        )
        latest = (
            "SELECT a.* FROM assessments a WHERE a.status = 'done' AND a.id = (SELECT b.id FROM assessments b "
            "WHERE b.coop_id = a.coop_id AND b.status = 'done' ORDER BY b.finished_at DESC, b.id DESC LIMIT 1)"
        )
        by_level = await self._all(
            f"SELECT l.level, l.level_name, count(*) AS n FROM ({latest}) l JOIN cooperatives c ON c.id = l.coop_id "
            f"{coop_filter} GROUP BY l.level ORDER BY l.level",
            params,
        )
        by_province = await self._all(
            f"SELECT c.province, count(*) AS n, round(avg(l.overall), 1) AS mean FROM ({latest}) l "
            f"JOIN cooperatives c ON c.id = l.coop_id {coop_filter} GROUP BY c.province ORDER BY n DESC LIMIT 10",
            params,
        )
        deliveries = await self._all("SELECT status, count(*) AS n FROM deliveries GROUP BY status")
        return {
            "users": users["users"] or 0,
            "reachable": users["reachable"] or 0,
            "blocked": users["blocked"] or 0,
            "cooperatives": coops["n"],
            "per_day": per_day,
            "top_entries": top,
            "by_level": by_level,
            "by_province": by_province,
            "deliveries": {row["status"]: row["n"] for row in deliveries},
        }

    EXPORTS: dict[str, str] = {
        "questions": "SELECT id, user_id, asked_at, text, normalised, decision, entry_id, score, kb_version "
        "FROM questions ORDER BY id",
        "feedback": "SELECT entry_id, user_id, vote, voted_at FROM feedback ORDER BY voted_at",
        "users": "SELECT u.id, u.language, coalesce(g.role, 'member') AS role, g.province AS officer_province, "
        "u.coop_id, u.subscribed, u.blocked_at, u.first_seen, u.last_seen "
        "FROM users u LEFT JOIN grants g ON g.user_id = u.id ORDER BY u.id",
        "cooperatives": "SELECT c.id, c.name, c.province, c.sector, c.members, c.created_at, c.updated_at, "
        "(SELECT count(*) FROM users u WHERE u.coop_id = c.id) AS users, "
        "(SELECT count(*) FROM assessments a WHERE a.coop_id = c.id AND a.status = 'done') AS assessments "
        "FROM cooperatives c {where} ORDER BY c.id",
        "assessments": "SELECT n.id AS answer_id, n.assessment_id, n.coop_id, c.name AS cooperative, c.province, "
        "c.sector, n.user_id, a.version, a.status, n.question_id, n.option, n.score, n.answered_at "
        "FROM answers n JOIN assessments a ON a.id = n.assessment_id JOIN cooperatives c ON c.id = n.coop_id "
        "{where} ORDER BY n.id",
        "results": "SELECT a.id AS assessment_id, a.coop_id, c.name AS cooperative, c.province, c.sector, a.user_id, "
        "a.version, a.started_at, a.finished_at, a.overall, a.level, a.level_name, a.pillar_scores "
        "FROM assessments a JOIN cooperatives c ON c.id = a.coop_id {where} AND a.status = 'done' ORDER BY a.id",
        "deliveries": "SELECT d.broadcast_id, d.user_id, d.chat_id, d.status, d.attempts, d.message_id, d.error, "
        "d.updated_at FROM deliveries d ORDER BY d.broadcast_id, d.rowid",
        "audit": "SELECT id, user_id, action, detail, at FROM audit ORDER BY id",
    }
    PROVINCE_SCOPED = ("cooperatives", "assessments", "results")

    async def export(self, table: str, province: str | None = None) -> list[dict[str, Any]]:
        """Rows of an export; cooperative-based tables can be limited to one province."""
        if table not in self.EXPORTS:
            raise KeyError(table)
        sql = self.EXPORTS[table]
        if table in self.PROVINCE_SCOPED:
            where = "WHERE c.province = ?" if province else "WHERE 1 = 1"
            return await self._all(sql.format(where=where), (province,) if province else ())
        if province:
            raise KeyError(f"{table} cannot be limited to a province")
        return await self._all(sql)
