"""The SQLite connection: pragmas, the write lock, transactions, errors as StoreError.

One file in WAL mode, so readers never block the writer; a busy database is waited for
(`busy_timeout`) before it becomes a StoreError. Everything SQLite-specific below the
repositories lives here and in `migrations.py`, so a second backend replaces these two.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import sqlite3
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from advisor.records import StoreError
from advisor.storage.migrations import migrate

BUSY_TIMEOUT_MS = 5000


def now() -> str:
    """UTC timestamps as ISO text: sortable, readable in exports."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Database:
    """The one connection, shared by every handler; open with `await Database.open(path)`.

    All writes go through one asyncio lock: without it one task's statement could land
    inside another task's transaction on the shared connection.
    """

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self.connection = connection
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        """Open (creating the file and folder if needed) and migrate to the newest schema."""
        path = Path(path)
        try:
            if str(path) != ":memory:":
                path.parent.mkdir(parents=True, exist_ok=True)
            connection = await aiosqlite.connect(path, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open database {path}: {exc}") from exc
        connection.row_factory = aiosqlite.Row
        try:
            await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await connection.execute("PRAGMA journal_mode = WAL")
            await connection.execute("PRAGMA synchronous = NORMAL")
            await connection.execute("PRAGMA foreign_keys = ON")
            await migrate(connection)
        except sqlite3.Error as exc:
            await connection.close()
            raise StoreError(f"cannot prepare database {path}: {exc}") from exc
        return cls(connection)

    async def close(self) -> None:
        async with self._lock:
            await self.connection.close()

    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Every row of a query, as dicts."""
        try:
            async with self.connection.execute(sql, params) as cursor:
                return [dict(row) for row in await cursor.fetchall()]
        except sqlite3.Error as exc:
            raise StoreError(str(exc)) from exc

    async def first(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        rows = await self.all(sql, params)
        return rows[0] if rows else None

    async def write(self, sql: str, params: Sequence[Any] = ()) -> int:
        """One statement, atomic on its own (autocommit); returns the number of rows changed.

        Under the write lock, so it never lands inside another task's open transaction."""
        async with self._lock:
            try:
                async with self.connection.execute(sql, params) as cursor:
                    return cursor.rowcount
            except sqlite3.Error as exc:
                raise StoreError(str(exc)) from exc

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE ... COMMIT under the write lock; any error rolls back."""
        async with self._lock:
            try:
                await self.connection.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(str(exc)) from exc
            try:
                yield self.connection
                await self.connection.execute("COMMIT")
            except BaseException as exc:
                if self.connection.in_transaction:
                    await self.connection.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(str(exc)) from exc
                raise


class Repository:
    """What every repository holds: the shared database."""

    def __init__(self, db: Database) -> None:
        self.db = db
