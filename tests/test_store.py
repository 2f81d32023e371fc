import sqlite3
from pathlib import Path

import pytest

from advisor.store import MIGRATIONS, Store, StoreError


async def test_open_creates_folder_and_migrates(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "sub" / "advisor.db")
    try:
        assert await store.schema_version == len(MIGRATIONS)
        mode = (await store._one("PRAGMA journal_mode"))[0]
        assert mode == "wal"
    finally:
        await store.close()
    again = await Store.open(tmp_path / "sub" / "advisor.db")  # idempotent on reopen
    assert await again.schema_version == len(MIGRATIONS)
    await again.close()


async def test_users_questions_votes_and_export(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "a.db")
    first = await store.touch_user(7, 7, "en")
    assert first.is_new and first.language == "en"
    again = await store.touch_user(7, 7, "vi")
    assert not again.is_new and again.language == "en"  # stored choice wins
    await store.set_language(7, "vi")
    assert (await store.get_user(7)).language == "vi"
    await store.log_question(7, "lệ phí?", "le phi", "answer", "tm.fees", 91.5, "abcd1234")
    assert await store.vote(7, "tm.fees", 1) is True
    assert await store.vote(7, "tm.fees", 1) is False  # double tap
    assert await store.vote(7, "tm.fees", -1) is True
    rows = await store.export("questions")
    assert rows[0]["text"] == "lệ phí?" and rows[0]["decision"] == "answer"
    assert (await store.export("feedback"))[0]["vote"] == -1
    with pytest.raises(KeyError):
        await store.export("nope")
    await store.close()


async def test_blocked_users_are_recorded_and_cleared_on_return(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "a.db")
    await store.touch_user(5, 5, "vi")
    await store.mark_blocked(5)
    assert (await store.get_user(5)).blocked_at is not None
    await store.touch_user(5, 5, "vi")
    assert (await store.get_user(5)).blocked_at is None
    await store.close()


async def test_unusable_path_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError):
        await Store.open(blocker / "advisor.db")


async def test_locked_database_is_a_store_error_and_data_survives(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    store = await Store.open(path)
    await store.touch_user(1, 1, "vi")
    other = sqlite3.connect(path, timeout=0)
    other.execute("BEGIN EXCLUSIVE")
    await store.db.execute("PRAGMA busy_timeout = 50")
    with pytest.raises(StoreError):
        await store.log_question(1, "q", "q", "decline", None, 0.0, "v")
    other.rollback()
    other.close()
    await store.log_question(1, "q", "q", "decline", None, 0.0, "v")
    assert len(await store.export("questions")) == 1
    assert (await store.get_user(1)) is not None
    await store.close()
