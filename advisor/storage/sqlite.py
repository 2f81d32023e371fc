"""The SQLite backend: pragmas, the write lock, transactions, errors as StoreError.

One file in WAL mode with two connections: writes go through one (under an asyncio lock),
reads through the other. aiosqlite runs each connection's statements one after another in
its own thread, so with a single connection a write waiting for another process's lock
(`busy_timeout`) would hold up every read of every user; in WAL mode the reading connection
never waits for a writer. A busy database is waited for before it becomes a StoreError.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from advisor.records import StoreError
from advisor.storage.db import Database, Transaction
from advisor.storage.migrations import MIGRATIONS, migrate, schema_version

BUSY_TIMEOUT_MS = 5000
FAMILIES = {"INTEGER": "integer", "REAL": "real", "TEXT": "text", "BLOB": "blob"}


class SqliteTransaction(Transaction):
    """Statements on the writing connection inside BEGIN IMMEDIATE ... COMMIT."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self.connection = connection

    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        async with self.connection.execute(sql, params) as cursor:
            return [dict(row) for row in await cursor.fetchall()]

    async def write(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self.connection.execute(sql, params) as cursor:
            return cursor.rowcount

    async def serialize(self, key: str) -> None:
        """BEGIN IMMEDIATE already holds the one write lock of the file."""


class SqliteDatabase(Database):
    """The connections, shared by every handler; open with `await SqliteDatabase.open(path)`.

    All writes go through one asyncio lock: without it one task's statement could land
    inside another task's transaction on the shared writing connection.
    """

    dialect = "sqlite"
    migrations = MIGRATIONS

    def __init__(self, connection: aiosqlite.Connection, reader: aiosqlite.Connection | None = None) -> None:
        self.connection = connection
        """The writing connection (migrations and transactions use it too)."""
        self.reader = reader or connection
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str, migrate: bool = True) -> SqliteDatabase:
        """Open (creating the file and folder if needed) and migrate to the newest schema."""
        path = Path(path)
        try:
            if str(path) != ":memory:":
                path.parent.mkdir(parents=True, exist_ok=True)
            connection = await aiosqlite.connect(path, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open database {path}: {exc}") from exc
        connection.row_factory = aiosqlite.Row
        reader = None
        try:
            await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await _wal(connection)
            await connection.execute("PRAGMA synchronous = NORMAL")
            await connection.execute("PRAGMA foreign_keys = ON")
            if migrate:
                await _migrate(connection)
                await _check_writable(connection)
            if str(path) != ":memory:":
                reader = await aiosqlite.connect(path, isolation_level=None)
                reader.row_factory = aiosqlite.Row
                await reader.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        except sqlite3.Error as exc:
            await connection.close()
            raise StoreError(f"cannot use database {path}: {exc}") from exc
        return cls(connection, reader)

    async def close(self) -> None:
        async with self._lock:
            if self.reader is not self.connection:
                await self.reader.close()
            await self.connection.close()

    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """On the reading connection: never behind a write."""
        try:
            async with self.reader.execute(sql, params) as cursor:
                return [dict(row) for row in await cursor.fetchall()]
        except sqlite3.Error as exc:
            raise _error(exc) from exc

    async def write(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Autocommit, under the write lock, so it never lands inside another task's open
        transaction."""
        async with self._lock:
            try:
                async with self.connection.execute(sql, params) as cursor:
                    return cursor.rowcount
            except sqlite3.Error as exc:
                raise _error(exc) from exc

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """BEGIN IMMEDIATE ... COMMIT under the write lock; any error rolls back."""
        async with self._lock:
            try:
                await self.connection.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise _error(exc) from exc
            try:
                yield SqliteTransaction(self.connection)
                await self.connection.execute("COMMIT")
            except BaseException as exc:
                if self.connection.in_transaction:
                    await self.connection.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise _error(exc) from exc
                raise

    def nocase_equals(self, column: str) -> str:
        return f"{column} = ? COLLATE NOCASE"

    async def schema_version(self) -> int:
        return await schema_version(self.connection)

    async def migrate(self) -> list[int]:
        async with self._lock:
            try:
                return await _migrate(self.connection)
            except sqlite3.Error as exc:
                raise _error(exc) from exc

    async def columns(self) -> dict[str, dict[str, str]]:
        tables = await self.all(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name"
        )
        result = {}
        for table in tables:
            rows = await self.all(f"PRAGMA table_info({table['name']})")
            result[table["name"]] = {row["name"]: FAMILIES[row["type"].upper()] for row in rows}
        return result


async def _wal(connection: aiosqlite.Connection) -> None:
    """WAL mode. Switching a new file to it needs the file to itself for a moment, and SQLite
    answers "locked" at once instead of waiting (no busy handler): when instances open a new
    file together, try again until the busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            await connection.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


async def _migrate(connection: aiosqlite.Connection) -> list[int]:
    return await migrate(connection)


def _error(exc: sqlite3.Error) -> StoreError:
    """An SQLite error for callers: retrying helps for a busy or unavailable database, never
    for a constraint the data breaks."""
    return StoreError(
        str(exc), transient=not isinstance(exc, sqlite3.IntegrityError | sqlite3.ProgrammingError)
    )


async def _check_writable(connection: aiosqlite.Connection) -> None:
    """A write that changes nothing, rolled back: a read-only file or a database another
    process keeps locked fails here, at start, instead of losing every write later."""
    await connection.execute("BEGIN IMMEDIATE")
    try:
        await connection.execute("DELETE FROM audit WHERE 0")
    finally:
        await connection.execute("ROLLBACK")
