import asyncio
import sqlite3
from pathlib import Path

import pytest

from advisor.records import StoreError
from advisor.storage import Store
from advisor.storage.migrations import MIGRATIONS


async def test_open_creates_folder_and_migrates(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "sub" / "advisor.db")
    try:
        assert await store.schema_version() == len(MIGRATIONS)
        async with store.db.connection.execute("PRAGMA journal_mode") as cursor:
            assert (await cursor.fetchone())[0] == "wal"
    finally:
        await store.close()
    again = await Store.open(tmp_path / "sub" / "advisor.db")  # idempotent on reopen
    assert await again.schema_version() == len(MIGRATIONS)
    await again.close()


async def test_instances_opening_a_new_file_together_migrate_it_once(tmp_path: Path) -> None:
    """Bot instances started together on a new file each read version 0 first; the number is
    read again under the write lock, so none applies a migration twice ("already exists")."""
    for attempt in range(3):
        path = tmp_path / f"a{attempt}.db"
        stores = await asyncio.gather(*(Store.open(path) for _ in range(4)))
        try:
            assert {await store.schema_version() for store in stores} == {len(MIGRATIONS)}
        finally:
            for store in stores:
                await store.close()


async def test_unusable_path_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError):
        await Store.open(blocker / "advisor.db")


async def test_locked_database_is_a_store_error_and_data_survives(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    store = await Store.open(path)
    await store.users.touch(1, 1, "vi")
    other = sqlite3.connect(path, timeout=0)
    other.execute("BEGIN EXCLUSIVE")
    await store.db.connection.execute("PRAGMA busy_timeout = 50")
    with pytest.raises(StoreError):
        await store.questions.log(1, "q", "q", "decline", None, 0.0, "v")
    other.rollback()
    other.close()
    await store.questions.log(1, "q", "q", "decline", None, 0.0, "v")
    assert len(await store.reports.export("questions")) == 1
    assert (await store.users.get(1)) is not None
    await store.close()
