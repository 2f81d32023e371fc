"""SQLite and PostgreSQL side by side: the same schema, the same answers to every read, the
same errors; placeholders, migrations under a lock, `advisor migrate` and `advisor copy-db`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from advisor.cli import main
from advisor.config import load_settings, redact
from advisor.records import StoreError
from advisor.storage import Store
from advisor.storage.copy import COPY_ORDER, Checksum
from advisor.storage.migrations import MIGRATIONS
from advisor.storage.postgres_migrations import POSTGRES_MIGRATIONS
from tests import postgres
from tests.storage.scenario import ZIP, comparable, fill, read_all


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh migrated PostgreSQL database, beside an SQLite one in the same test."""
    if postgres.SERVER is None:
        pytest.skip(postgres.SKIP_REASON)
    url = await postgres.create_database()
    yield url
    await postgres.drop_database(url)


@pytest.fixture
async def empty_postgres_url() -> AsyncIterator[str]:
    if postgres.SERVER is None:
        pytest.skip(postgres.SKIP_REASON)
    url = await postgres.create_database(migrated=False)
    yield url
    await postgres.drop_database(url)


def test_placeholders_are_numbered_and_never_inside_a_literal() -> None:
    pytest.importorskip("asyncpg")
    from advisor.storage.postgres import numbered

    assert numbered("UPDATE t SET a = ?, b = 'x' WHERE c IN (?, ?)") == (
        "UPDATE t SET a = $1, b = 'x' WHERE c IN ($2, $3)"
    )
    with pytest.raises(ValueError):
        numbered("SELECT * FROM t WHERE a = 'why?' AND b = ?")


def test_the_database_setting_takes_a_path_or_a_postgresql_url() -> None:
    assert load_settings({"ADVISOR_DB": "x/a.db"}, env_file=None).database == Path("x/a.db")
    assert load_settings({}, env_file=None).database == Path("data/advisor.db")
    for url in ("postgresql://bot:s3cret@db.local:5433/advisor", "postgres://bot:s3cret@db/advisor"):
        settings = load_settings({"ADVISOR_DB": url}, env_file=None)
        assert settings.database == url and "s3cret" not in redact(settings.database)
    assert redact("postgresql://bot:s3cret@db/advisor") == "postgresql://bot:***@db/advisor"
    assert redact("postgresql://bot@/advisor?host=/run/pg") == "postgresql://bot@/advisor?host=/run/pg"


def test_every_migration_has_its_postgresql_version() -> None:
    assert len(POSTGRES_MIGRATIONS) == len(MIGRATIONS), "port the new migration (see migrations.py)"


async def test_both_backends_end_with_the_same_tables_and_columns(tmp_path: Path, postgres_url: str) -> None:
    sqlite, pg = await Store.open(tmp_path / "a.db"), await Store.open(postgres_url)
    try:
        sqlite_columns, pg_columns = await sqlite.db.columns(), await pg.db.columns()
        assert await sqlite.schema_version() == await pg.schema_version() == len(MIGRATIONS)
    finally:
        await sqlite.close()
        await pg.close()
    assert pg_columns == sqlite_columns  # names, order and type families
    assert sorted(pg_columns) == sorted(COPY_ORDER), "a new table must be copied by copy-db too"


async def test_every_read_gives_the_same_rows_and_types_on_both(tmp_path: Path, postgres_url: str) -> None:
    results = []
    for target in (tmp_path / "a.db", postgres_url):
        store = await Store.open(target)
        try:
            await fill(store)
            results.append(comparable(await read_all(store)))
        finally:
            await store.close()
    sqlite, pg = results
    assert sqlite["exports"]["questions"], "the scenario should have filled the tables"
    for key in sqlite:
        assert pg[key] == sqlite[key], key


async def test_append_only_answers_and_constraints_are_permanent_errors(database: Path | str) -> None:
    store = await Store.open(database)
    try:
        await fill(store)
        for statement in ("DELETE FROM answers", "UPDATE answers SET score = 0"):
            with pytest.raises(StoreError) as refused:
                await store.db.write(statement)
            assert not refused.value.transient
        with pytest.raises(StoreError) as refused:
            await store.feedback.vote(1, "tm.fees", 5)  # CHECK (vote IN (-1, 1))
        assert not refused.value.transient
        with pytest.raises(StoreError) as refused:
            async with store.db.transaction() as tx:
                await tx.write(
                    "INSERT INTO grants (user_id, role, granted_by, granted_at) VALUES (1, 'admin', 1, 'x')"
                )
                await tx.write(
                    "INSERT INTO grants (user_id, role, granted_by, granted_at) VALUES (1, 'admin', 1, 'x')"
                )
        assert not refused.value.transient
        assert await store.grants.of(1) is None  # the transaction left nothing behind
        assert len(await store.reports.export("assessments")) == 4
    finally:
        await store.close()


async def test_a_row_locked_too_long_is_a_transient_error_and_data_survives(postgres_url: str) -> None:
    import asyncpg

    store = await Store.open(postgres_url)
    holder = await asyncpg.connect(postgres_url)
    try:
        await store.users.touch(1, 1, "vi")
        transaction = holder.transaction()
        await transaction.start()
        await holder.execute("SELECT * FROM users WHERE id = 1 FOR UPDATE")
        async with store.db.transaction() as tx:
            await tx.write("SET LOCAL lock_timeout = 100")
            with pytest.raises(StoreError) as busy:
                await tx.write("UPDATE users SET language = 'en' WHERE id = 1")
        assert busy.value.transient  # the write queue retries it
        await transaction.rollback()
        await store.users.set_language(1, "en")
        assert (await store.users.get(1)).language == "en"
    finally:
        await holder.close()
        await store.close()


def test_postgresql_errors_are_transient_only_when_a_retry_can_help() -> None:
    asyncpg = pytest.importorskip("asyncpg")
    from advisor.storage.postgres import _error

    for exc in (
        asyncpg.SerializationError("could not serialize"),
        asyncpg.DeadlockDetectedError("deadlock"),
        asyncpg.TooManyConnectionsError("too many clients"),
        asyncpg.LockNotAvailableError("lock timeout"),
        asyncpg.AdminShutdownError("terminating"),
        asyncpg.ConnectionDoesNotExistError("connection was closed"),
        ConnectionRefusedError("refused"),
    ):
        assert _error(exc).transient, exc
    for exc in (
        asyncpg.UniqueViolationError("duplicate"),
        asyncpg.CheckViolationError("check"),
        asyncpg.RaiseError("answers are append-only"),
        asyncpg.UndefinedTableError("no table"),
    ):
        assert not _error(exc).transient, exc


async def test_an_unreachable_server_is_a_store_error(tmp_path: Path) -> None:
    pytest.importorskip("asyncpg")
    with pytest.raises(StoreError) as failed:
        await Store.open(f"postgresql://bot:s3cret@/advisor?host={tmp_path}&port=1")
    assert failed.value.transient and "s3cret" not in str(failed.value)


async def test_two_instances_starting_together_migrate_once(empty_postgres_url: str) -> None:
    stores = await asyncio.gather(*(Store.open(empty_postgres_url) for _ in range(3)))
    try:
        versions = await stores[0].db.all("SELECT version FROM schema_version ORDER BY version")
        assert [row["version"] for row in versions] == list(range(1, len(MIGRATIONS) + 1))
    finally:
        for store in stores:
            await store.close()


async def test_migrate_lists_then_applies_on_either_backend(
    tmp_path: Path, database: Path | str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if isinstance(database, str):  # the fixture's database is migrated: use an empty one
        target = await postgres.create_database(migrated=False)
    else:
        target = str(tmp_path / "new.db")
    monkeypatch.setenv("ADVISOR_DB", target)
    monkeypatch.chdir(tmp_path)
    try:
        assert await asyncio.to_thread(main, ["migrate", "--dry-run"]) == 0
        if isinstance(database, str):
            listed = capsys.readouterr().out
            assert listed.count("pending ") == len(MIGRATIONS) and "CREATE TABLE handoffs" in listed
        else:
            assert "every migration" in capsys.readouterr().out and not Path(target).exists()
        assert await asyncio.to_thread(main, ["migrate"]) == 0
        assert f"{len(MIGRATIONS)}: " in capsys.readouterr().out
        assert await asyncio.to_thread(main, ["migrate", "--dry-run"]) == 0
        assert "up to date" in capsys.readouterr().out
        store = await Store.open(target)
        assert await store.schema_version() == len(MIGRATIONS)
        await store.close()
    finally:
        if isinstance(database, str):
            await postgres.drop_database(target)


async def test_copy_db_moves_everything_losslessly(
    tmp_path: Path, empty_postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = await Store.open(tmp_path / "a.db")
    await fill(source)
    before = comparable(await read_all(source), times=True)
    await source.close()

    assert await asyncio.to_thread(main, ["copy-db", str(tmp_path / "a.db"), empty_postgres_url]) == 0
    table = capsys.readouterr().out
    assert "answers" in table and "DIFFERENT" not in table and "copied" in table

    copied = await Store.open(empty_postgres_url)
    try:
        after = comparable(await read_all(copied), times=True)
        for key in before:
            assert after[key] == before[key], key
        await copied.questions.log(1, "mới", "moi", "answer", "tm.fees", 90.0, "kb1")  # ids go on
        questions = await copied.reports.export("questions")
        assert questions[-1]["id"] == max(row["id"] for row in questions[:-1]) + 1
        assert after["kb_versions"][2][0] == ("bytes", ZIP[::-1])  # a BYTEA, byte for byte
        erased = max(row["coop_id"] for row in await copied.db.all("SELECT coop_id FROM erasures"))
        coop = await copied.coops.create(1, "HTX mới", "Huế", "trade", 3)
        assert coop.id > erased  # the erased cooperative's id is never given again
    finally:
        await copied.close()
    assert await asyncio.to_thread(main, ["copy-db", str(tmp_path / "a.db"), empty_postgres_url]) == 1
    assert "not empty" in capsys.readouterr().err  # never onto existing data


def test_checksums_see_types_and_not_order() -> None:
    one, other, typed = Checksum(), Checksum(), Checksum()
    one.add([(1, "a", 1.5), (2, None, 2.0)])
    other.add([(2, None, 2.0), (1, "a", 1.5)])
    typed.add([(1, "a", 1.5), (2, None, 2)])
    assert one.hex == other.hex != typed.hex and one.rows == 2
