"""The PostgreSQL backend: asyncpg with a connection pool, `?` placeholders as `$n`, errors
as StoreError (transient for what a retry can fix), migrations under an advisory lock.

Several bot instances may share the database: each statement outside a transaction is
atomic on its own, as on SQLite, and the repositories' claims are single conditional
UPDATEs, which PostgreSQL re-checks on the row it locks, so two instances never both win.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
import re
from collections.abc import AsyncIterator, Sequence
from typing import Any

from advisor.config import redact
from advisor.records import StoreError
from advisor.storage.db import Database, Statements, Transaction, now
from advisor.storage.postgres_migrations import POSTGRES_MIGRATIONS, migrate, schema_version

try:
    import asyncpg
except ModuleNotFoundError:  # the optional `postgres` extra
    asyncpg = None

log = logging.getLogger(__name__)

POOL_SIZE = 10
PERSON_LOCK_CONNECTIONS = 34
"""One per update an instance runs at once (`telegram.ordering.MAX_RUNNING_UPDATES`), and two."""
PERSON_LOCKS = 0x48545801
"""The first key of a person's advisory lock (the second is their user id, folded to 31 bits;
two people sharing the fold only wait for each other now and then)."""
PERSON_LOCK_WAIT_MS = 30_000
"""How long an update waits for the same person's update on another instance before it runs
anyway (logged): an answer late is better than none."""
ACQUIRE_TIMEOUT_S = 10.0
LOCK_TIMEOUT_MS = 5000
"""Like SQLite's busy timeout: a row lock waited for longer becomes a transient StoreError."""
TRANSIENT_CLASSES = ("08", "40", "53", "55", "57", "58")
"""SQLSTATE classes a retry can fix: connection exceptions, serialization failures and
deadlocks, insufficient resources (too many connections), lock not available, operator
intervention (server shutting down, statement timeout), system errors."""
FAMILIES = {"bigint": "integer", "integer": "integer", "smallint": "integer", "double precision": "real"}
FAMILIES |= {"real": "real", "text": "text", "bytea": "blob"}
BYTEWISE = ("C", "POSIX", "C.UTF-8", "C.utf8")
"""Collations that sort text as SQLite does (by code point), so lists come out in the same order."""


@functools.lru_cache(maxsize=2048)
def numbered(sql: str) -> str:
    """`?` placeholders as asyncpg's `$1, $2, ...`. A `?` inside a string literal would be
    miscounted, so the repositories have none, and this refuses one."""
    parts = sql.split("'")
    if any("?" in part for part in parts[1::2]):
        raise ValueError(f"a '?' inside a string literal: {sql}")
    counter = itertools.count(1)
    return "'".join(
        re.sub(r"\?", lambda _: f"${next(counter)}", part) if index % 2 == 0 else part
        for index, part in enumerate(parts)
    )


def _rowcount(status: str) -> int:
    """Rows changed, from a command tag such as "UPDATE 3" or "INSERT 0 1"."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


def _errors() -> tuple[type[BaseException], ...]:
    return (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)


def _error(exc: BaseException) -> StoreError:
    """Retrying helps when the server is away, busy or could not serialize; never for a
    constraint, a trigger (the append-only answers) or a malformed statement."""
    if isinstance(exc, asyncpg.PostgresError):
        return StoreError(str(exc), transient=(exc.sqlstate or "")[:2] in TRANSIENT_CLASSES)
    lost = isinstance(exc, OSError | TimeoutError | asyncpg.ConnectionDoesNotExistError)
    return StoreError(str(exc) or type(exc).__name__, transient=lost)


class _AsyncpgStatements(Statements):
    """`all` and `write` on `_executor`: an asyncpg pool or connection (both fetch and execute)."""

    _executor: Any

    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        try:
            return [dict(row) for row in await self._executor.fetch(numbered(sql), *params)]
        except _errors() as exc:
            raise _error(exc) from exc

    async def write(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            return _rowcount(await self._executor.execute(numbered(sql), *params))
        except _errors() as exc:
            raise _error(exc) from exc


class PostgresTransaction(_AsyncpgStatements, Transaction):
    """Statements on one pooled connection inside BEGIN ... COMMIT (read committed)."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    @property
    def _executor(self) -> Any:
        return self.connection

    async def serialize(self, key: str) -> None:
        await self.write("SELECT pg_advisory_xact_lock(hashtext(?))", (key,))


class PostgresDatabase(_AsyncpgStatements, Database):
    """A pool of connections to one PostgreSQL database; `await PostgresDatabase.open(url)`."""

    dialect = "postgres"
    migrations = POSTGRES_MIGRATIONS
    skip_locked = " FOR UPDATE SKIP LOCKED"
    shared = True

    def __init__(self, pool: Any, url: str) -> None:
        self.pool = pool
        self.url = url
        self._person_pool: Any = None
        """Connections that hold people's locks, apart from the pool the queries use: a held
        lock keeps its connection for the whole update."""
        self._person_pool_made = asyncio.Lock()

    @classmethod
    async def open(cls, url: str, migrate: bool = True) -> PostgresDatabase:
        """Connect, then migrate to the newest schema (under the advisory lock)."""
        if asyncpg is None:
            raise StoreError("PostgreSQL needs asyncpg: pip install 'htx-advisor[postgres]'", transient=False)
        try:
            pool = await asyncpg.create_pool(
                url,
                min_size=1,
                max_size=POOL_SIZE,
                server_settings={"lock_timeout": str(LOCK_TIMEOUT_MS), "application_name": "htx-advisor"},
            )
        except (*_errors(), ValueError) as exc:  # ValueError: a malformed URL
            raise StoreError(f"cannot open database {redact(url)}: {exc}") from exc
        db = cls(pool, url)
        collation = await db.first("SELECT datcollate FROM pg_database WHERE datname = current_database()")
        if collation and collation["datcollate"] not in BYTEWISE:
            log.warning(
                "database collation %s sorts text unlike SQLite; create the database with --locale=C.UTF-8",
                collation["datcollate"],
            )
        if migrate:
            try:
                await db.migrate()
            except BaseException:
                await pool.close()
                raise
        return db

    async def close(self) -> None:
        if self._person_pool is not None:
            await self._person_pool.close()
        await self.pool.close()

    @contextlib.asynccontextmanager
    async def person_lock(self, user_id: int) -> AsyncIterator[None]:
        """A session advisory lock on the person, on a connection of its own pool (created at
        the first use; as large as the updates an instance runs at once)."""
        try:
            async with self._person_pool_made:  # the first updates arrive together
                if self._person_pool is None:
                    self._person_pool = await asyncpg.create_pool(
                        self.url,
                        min_size=0,
                        max_size=PERSON_LOCK_CONNECTIONS,
                        server_settings={
                            "lock_timeout": str(PERSON_LOCK_WAIT_MS),
                            "application_name": "htx-advisor-locks",
                        },
                    )
            connection = await self._person_pool.acquire(timeout=ACQUIRE_TIMEOUT_S)
        except (*_errors(), TimeoutError) as exc:
            log.warning("running user %s's update without the shared lock: %s", user_id, exc)
            yield
            return
        key = user_id % 0x7FFFFFFF
        try:
            try:
                await connection.execute("SELECT pg_advisory_lock($1, $2)", PERSON_LOCKS, key)
                locked = True
            except _errors() as exc:
                log.warning(
                    "user %s's update waited too long for another instance; running it: %s", user_id, exc
                )
                locked = False
            try:
                yield
            finally:
                if locked:
                    with contextlib.suppress(*_errors()):
                        await connection.execute("SELECT pg_advisory_unlock($1, $2)", PERSON_LOCKS, key)
        finally:
            await self._person_pool.release(connection)

    @property
    def _executor(self) -> Any:
        return self.pool

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """BEGIN ... COMMIT on one pooled connection; any error rolls back."""
        try:
            connection = await self.pool.acquire(timeout=ACQUIRE_TIMEOUT_S)
        except _errors() as exc:
            raise _error(exc) from exc
        try:
            transaction = connection.transaction()
            try:
                await transaction.start()
            except _errors() as exc:
                raise _error(exc) from exc
            try:
                yield PostgresTransaction(connection)
            except BaseException:
                with contextlib.suppress(*_errors()):
                    await transaction.rollback()
                raise
            try:
                await transaction.commit()
            except _errors() as exc:
                raise _error(exc) from exc
        finally:
            await self.pool.release(connection)

    def nocase_equals(self, column: str) -> str:
        return f"lower({column}) = lower(?)"

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[Any]:
        try:
            async with self.pool.acquire(timeout=ACQUIRE_TIMEOUT_S) as connection:
                yield connection
        except _errors() as exc:
            raise _error(exc) from exc

    async def schema_version(self) -> int:
        async with self._connection() as connection:
            return await schema_version(connection)

    async def migrate(self) -> list[int]:
        async with self._connection() as connection:
            return await migrate(connection, now())

    async def columns(self) -> dict[str, dict[str, str]]:
        rows = await self.all(
            "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c "
            "JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
            "WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' "
            "AND c.table_name <> 'schema_version' ORDER BY c.table_name, c.ordinal_position"
        )
        result: dict[str, dict[str, str]] = {}
        for row in rows:
            result.setdefault(row["table_name"], {})[row["column_name"]] = FAMILIES[row["data_type"]]
        return result
