"""The seam between the repositories and a database engine: what every backend offers.

Repositories write ONE set of SQL, in the subset SQLite and PostgreSQL run identically,
with `?` placeholders, and talk to a `Database` (outside a transaction) or to the
`Transaction` it yields. Two backends implement it: `sqlite.SqliteDatabase` (one file, the
default) and `postgres.PostgresDatabase` (asyncpg with a pool). Where the engines cannot
share a statement, the difference is a small dialect hook here (`nocase_equals`,
`skip_locked`, `Transaction.serialize`), never an `if` in a repository.

Rows come back as dicts with the same keys and Python types on both (int, float, str,
bytes, None); times are ISO text, so they sort and export the same everywhere.
"""

from __future__ import annotations

import abc
import contextlib
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from advisor.config import is_postgres_url


def now() -> str:
    """UTC timestamps as ISO text: sortable, readable in exports."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Statements(abc.ABC):
    """What runs SQL: a `Database` (each statement on its own) or an open `Transaction`."""

    @abc.abstractmethod
    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Every row of a query, as dicts."""

    async def first(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        rows = await self.all(sql, params)
        return rows[0] if rows else None

    @abc.abstractmethod
    async def write(self, sql: str, params: Sequence[Any] = ()) -> int:
        """One statement; the number of rows it changed."""


class Transaction(Statements):
    """Statements inside one open transaction (`async with db.transaction() as tx`)."""

    @abc.abstractmethod
    async def serialize(self, key: str) -> None:
        """Let no other transaction holding the same `key` run until this one ends (a check-
        then-insert stays race-free across instances). SQLite's writes are serial already."""


class Database(Statements):
    """An open, migrated database; `await open_database(path_or_url)`. Outside a transaction
    each statement is atomic on its own."""

    dialect: str
    """"sqlite" or "postgres" (for messages and tests, not for branching in repositories)."""
    migrations: tuple[str, ...]
    """This backend's migration scripts; number N is `migrations[N - 1]`."""
    shared: bool = False
    """Whether several bot instances may use this database at once (PostgreSQL): what an
    instance remembers about a person (language, consent) must then be read fresh each time."""
    skip_locked: str = ""
    """Appended to a `SELECT ... LIMIT 1` that picks a row to claim: PostgreSQL skips rows
    another transaction is claiming; SQLite's single writer needs nothing."""

    @abc.abstractmethod
    def transaction(self) -> contextlib.AbstractAsyncContextManager[Transaction]:
        """All or nothing: any error inside rolls everything back."""

    @abc.abstractmethod
    def nocase_equals(self, column: str) -> str:
        """`column = ?` ignoring case (usernames are ASCII, so both engines agree)."""

    def person_lock(self, user_id: int) -> contextlib.AbstractAsyncContextManager[None]:
        """Held while one person's update runs, so that several bot instances on this database
        never run one person's updates at the same time. SQLite serves one process: nothing
        to share."""
        return contextlib.nullcontext()

    @abc.abstractmethod
    async def schema_version(self) -> int:
        """How many migrations this database has had."""

    @abc.abstractmethod
    async def migrate(self) -> list[int]:
        """Apply the migrations this database lacks, in order; returns their numbers."""

    @abc.abstractmethod
    async def columns(self) -> dict[str, dict[str, str]]:
        """{table: {column: family}} of the application's tables (not views), family one of
        "integer", "real", "text", "blob" (to compare the schemas of both backends, and for copy-db)."""

    @abc.abstractmethod
    async def close(self) -> None: ...


async def open_database(target: str | Path, migrate: bool = True) -> Database:
    """The backend `target` names: a PostgreSQL URL, else an SQLite file path; migrated to
    the newest schema unless `migrate` is False (`advisor migrate --dry-run`)."""
    if is_postgres_url(target):
        from advisor.storage.postgres import PostgresDatabase  # asyncpg: the `postgres` extra

        return await PostgresDatabase.open(str(target), migrate=migrate)
    from advisor.storage.sqlite import SqliteDatabase

    return await SqliteDatabase.open(target, migrate=migrate)


class Repository:
    """What every repository holds: the shared database."""

    def __init__(self, db: Database) -> None:
        self.db = db
