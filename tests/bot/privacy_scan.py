"""Look through every table and column of a SQLite file for traces of one person."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def traces(db: Path, user_id: int, words: tuple[str, ...] = ()) -> list[str]:
    """`table.column = value` for every cell equal to the id, or whose text contains the id as a
    number or one of `words` (a name, a username), in every table of the file."""
    found = []
    with sqlite3.connect(db) as connection:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            columns = [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]
            for row in connection.execute(f"SELECT * FROM {table}"):
                for column, value in zip(columns, row, strict=True):
                    text = str(value)
                    hit = value == user_id or (
                        isinstance(value, str) and (str(user_id) in text or any(w in text for w in words))
                    )
                    if hit:
                        found.append(f"{table}.{column} = {text[:60]!r}")
    return found
