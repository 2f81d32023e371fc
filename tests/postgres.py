"""Fresh PostgreSQL databases for tests, on the server `ADVISOR_TEST_POSTGRES` names.

Each test gets its own database, copied from a template migrated once per run (a copy is
much faster than six migrations), and dropped after the test. Without the variable the
PostgreSQL cases are skipped with `SKIP_REASON`; `.ci/run` always sets it.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import uuid
from urllib.parse import urlsplit

SERVER = os.environ.get("ADVISOR_TEST_POSTGRES", "").strip() or None
SKIP_REASON = (
    "PostgreSQL cases need ADVISOR_TEST_POSTGRES (a server URL where tests may create and drop "
    "databases; .ci/run starts one)"
)
TEMPLATE = f"advisor_template_{os.getpid()}"
_template_ready = False


def url_of(name: str) -> str:
    """The server's URL with another database name (its query, e.g. a socket folder, kept)."""
    assert SERVER is not None
    return urlsplit(SERVER)._replace(path=f"/{name}").geturl()


async def _admin(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(SERVER)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def create_database(migrated: bool = True) -> str:
    """A new empty database (migrated to the newest schema unless `migrated` is False); its URL."""
    global _template_ready
    from advisor.storage.postgres import PostgresDatabase

    name = f"advisor_test_{uuid.uuid4().hex[:12]}"
    if not migrated:
        await _admin(f"CREATE DATABASE {name} TEMPLATE template0")
        return url_of(name)
    if not _template_ready:
        await _admin(f"CREATE DATABASE {TEMPLATE} TEMPLATE template0")
        db = await PostgresDatabase.open(url_of(TEMPLATE))
        await db.close()
        _template_ready = True
        atexit.register(lambda: asyncio.run(drop_database(url_of(TEMPLATE))))
    await _admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    return url_of(name)


async def drop_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    await _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
