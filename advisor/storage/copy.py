"""`advisor copy-db`: move an SQLite installation to PostgreSQL, losslessly, or not at all.

Every table is copied in dependency order inside ONE PostgreSQL transaction, from one
consistent read of the SQLite file; the identity sequences are moved past the copied ids;
then each table's row count and checksum (of every value, types included) are compared with
the source's before committing. Any difference rolls everything back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from advisor.records import StoreError
from advisor.storage.postgres import PostgresDatabase
from advisor.storage.sqlite import SqliteDatabase

COPY_ORDER = (
    "cooperatives",
    "users",
    "questions",
    "feedback",
    "assessments",
    "answers",
    "grants",
    "audit",
    "broadcasts",
    "deliveries",
    "flows",
    "handoffs",
    "answer_authors",
    "consents",
    "erasures",
    "kb_versions",
    "kb_proposals",
    "leases",
)
"""Every table, each after the tables its foreign keys point to (a new table goes here too).
`leases` is copied as well, although its rows live seconds: copy-db runs with the bot
stopped, so they have expired or soon will, and "every table, verified" stays the rule."""
BATCH = 5000


class CopyError(StoreError):
    """The copy cannot be made, or did not come out identical; nothing was written."""

    def __init__(self, message: str) -> None:
        super().__init__(message, transient=False)


@dataclass(frozen=True)
class TableCopy:
    table: str
    source_rows: int
    target_rows: int
    source_checksum: str
    target_checksum: str

    @property
    def identical(self) -> bool:
        return (self.source_rows, self.source_checksum) == (self.target_rows, self.target_checksum)


class Checksum:
    """Order-independent: the sum of each row's SHA-256 (rows come back in any order)."""

    def __init__(self) -> None:
        self.rows = 0
        self._sum = 0

    def add(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            text = json.dumps(
                list(row), ensure_ascii=False, default=_bytes
            )  # 1 and 1.0 differ, as do 1 and "1"
            self._sum += int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")
            self.rows += 1

    @property
    def hex(self) -> str:
        return f"{self._sum % 2**256:064x}"[:16]


def _bytes(value: Any) -> Any:
    """A BLOB/BYTEA value in a checksum: its bytes, told apart from text."""
    if isinstance(value, bytes | memoryview):
        return {"bytes": bytes(value).hex()}
    raise TypeError(f"cannot checksum {type(value).__name__}")


async def _sqlite_sequences(source: SqliteDatabase) -> dict[str, int]:
    """The highest id SQLite ever gave each AUTOINCREMENT table (cooperatives): a deleted
    profile's id stays used on PostgreSQL too, so an erasure record keeps naming one profile."""
    if not await source.first("SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'"):
        return {}
    return {row["name"]: row["seq"] for row in await source.all("SELECT name, seq FROM sqlite_sequence")}


async def copy_database(source: SqliteDatabase, target: PostgresDatabase) -> list[TableCopy]:
    """Copy every row of `source` into the empty, migrated `target`; the comparison per table."""
    source_columns, target_columns = await source.columns(), await target.columns()
    for name, columns in (("the SQLite file", source_columns), ("the PostgreSQL database", target_columns)):
        if set(columns) != set(COPY_ORDER):
            raise CopyError(f"{name} has tables {sorted(columns)}, copy-db knows {sorted(COPY_ORDER)}")
    for table in COPY_ORDER:
        if list(source_columns[table]) != list(target_columns[table]):
            raise CopyError(f"{table}: columns differ ({source_columns[table]} / {target_columns[table]})")
    for table in COPY_ORDER:
        if await target.first(f"SELECT 1 AS found FROM {table} LIMIT 1"):
            raise CopyError(f"the PostgreSQL database is not empty ({table} has rows): copy into a new one")

    results = []
    sequences = await _sqlite_sequences(source)
    await source.reader.execute("BEGIN")  # one consistent snapshot of the file
    try:
        async with target.transaction() as tx:
            connection = tx.connection  # asyncpg's own: COPY, a server-side cursor
            for table in COPY_ORDER:
                columns = list(target_columns[table])
                copied = Checksum()
                async with source.reader.execute(f"SELECT {', '.join(columns)} FROM {table}") as cursor:
                    while batch := [tuple(row) for row in await cursor.fetchmany(BATCH)]:
                        await connection.copy_records_to_table(table, records=batch, columns=columns)
                        copied.add(batch)
                if "id" in columns:
                    await connection.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"greatest(coalesce(max(id), 0), $1) + 1, false) FROM {table}",
                        sequences.get(table, 0),
                    )
                written = Checksum()
                async for row in connection.cursor(
                    f"SELECT {', '.join(columns)} FROM {table}", prefetch=BATCH
                ):
                    written.add([tuple(row)])
                results.append(TableCopy(table, copied.rows, written.rows, copied.hex, written.hex))
            if not all(result.identical for result in results):
                raise CopyError("the copy differs from the source: " + ", ".join(r.table for r in results))
    except StoreError:
        raise
    except Exception as exc:  # a value PostgreSQL refuses: say which, nothing was written
        raise CopyError(f"copying {table} failed: {exc}") from exc
    finally:
        await source.reader.execute("COMMIT")
    return results
