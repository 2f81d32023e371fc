"""Look through every table and column of a database for traces of one person: `traces` for an
SQLite file (any process may hold it open), `traces_in` for an open `Database` of either backend."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from advisor.storage.db import Database


def _hits(
    table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], user_id: int, words: tuple[str, ...]
):
    for row in rows:
        for column, value in zip(columns, row, strict=True):
            text = str(value)
            hit = value == user_id or (
                isinstance(value, str) and (str(user_id) in text or any(w in text for w in words))
            )
            if hit:
                yield f"{table}.{column} = {text[:60]!r}"


def traces(db: Path, user_id: int, words: tuple[str, ...] = ()) -> list[str]:
    """`table.column = value` for every cell equal to the id, or whose text contains the id as a
    number or one of `words` (a name, a username), in every table of the file."""
    found = []
    with sqlite3.connect(db) as connection:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            columns = [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]
            found += _hits(table, columns, connection.execute(f"SELECT * FROM {table}"), user_id, words)
    return found


async def traces_in(db: Database, user_id: int, words: tuple[str, ...] = ()) -> list[str]:
    """The same scan through the storage seam: every table the backend has (PostgreSQL too)."""
    found = []
    for table, columns in (await db.columns()).items():
        rows = await db.all(f"SELECT {', '.join(columns)} FROM {table}")
        found += _hits(table, list(columns), ([row[c] for c in columns] for row in rows), user_id, words)
    return found
