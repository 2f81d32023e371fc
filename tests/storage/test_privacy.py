"""Consent history, erasure that keeps the assessment log append-only, retention, and the
migration that moved an answer's author out of the log."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from advisor import privacy
from advisor.config import Settings
from advisor.records import Audience, StoreError
from advisor.storage import Store
from advisor.storage.migrations import MIGRATIONS
from advisor.storage.postgres_migrations import POSTGRES_MIGRATIONS, VERSION_TABLE
from tests import postgres
from tests.bot.privacy_scan import traces_in

A, B = 31001, 31002
"""People whose ids cannot be mistaken for part of a time or a count when the tables are scanned."""


@pytest.fixture
async def store(database: Path | str):
    """A store on each backend (the `database` fixture)."""
    opened = await Store.open(database)
    yield opened
    await opened.close()


async def member_with_answers(store: Store, user: int, coop_id: int | None = None) -> int:
    """A consenting member who answered two questions for their cooperative; returns its id."""
    await store.users.touch(user, user, "vi", f"user{user}")
    await store.consents.record(user, "v1", "granted")
    if coop_id is None:
        coop_id = (await store.coops.create(user, f"HTX {user % 7}", "Huế", "agriculture", 7)).id
    else:
        await store.db.write("UPDATE users SET coop_id = ? WHERE id = ?", (coop_id, user))
    assessment = await store.assessments.start(user, coop_id, "q1", "a")
    assert await store.assessments.record_answer(assessment, "a", 1, 2, "b")
    assessment = await store.assessments.get(assessment.id)
    assert await store.assessments.record_answer(assessment, "b", 0, 0, None)
    return coop_id


async def test_consent_history_is_kept_and_the_latest_decides(store: Store) -> None:
    assert await store.consents.latest(7) is None
    await store.consents.record(7, "v1", "granted")
    await store.consents.record(7, "v1", "withdrawn")
    assert (await store.consents.latest(7)).decision == "withdrawn"
    assert [c.decision for c in await store.consents.history(7)] == ["granted", "withdrawn"]
    with pytest.raises(ValueError):
        await store.consents.record(7, "v1", "maybe")


async def test_answers_stay_append_only_and_their_author_is_a_separate_link(store: Store) -> None:
    await member_with_answers(store, 1)
    for sql in (
        "UPDATE answers SET option = 3",
        "DELETE FROM answers",
        "UPDATE answer_authors SET user_id = 2",
    ):
        with pytest.raises(StoreError):
            await store.db.write(sql)
    data = await store.personal.of(1)
    assert [a["question_id"] for a in data["answers"]] == ["a", "b"]


async def test_erasure_unlinks_answers_records_it_and_leaves_no_trace(store: Store) -> None:
    coop_id = await member_with_answers(store, A)
    await member_with_answers(store, B, coop_id)
    await store.questions.log(A, f"tôi là user{A}, hỏi về thuế", "", "decline", None, 0.0, "k")
    await store.feedback.vote(A, "tm.fees", 1)
    await store.handoffs.ask(A, A, "Huế", "câu hỏi riêng")
    await store.flows.set(A, "profile", {})
    broadcast, _ = await store.broadcasts.create(99, 99, "Thông báo", "Thông báo", Audience(), None)
    erasure = await store.personal.erase(A)
    assert (erasure.answers_unlinked, erasure.coop_deleted) == (2, False)
    assert await traces_in(store.db, A, (f"user{A}",)) == []
    rows = await store.db.all("SELECT * FROM answers")
    assert len(rows) == 4  # the cooperative's record is whole
    assert await store.db.all("SELECT coop_id, answers_unlinked, coop_deleted FROM erasures") == [
        {"coop_id": coop_id, "answers_unlinked": 2, "coop_deleted": 0}
    ]
    assert await store.db.first("SELECT user_id, action FROM audit") == {"user_id": None, "action": "erasure"}
    assert (await store.coops.get(coop_id)).created_by is None
    assert len((await store.personal.of(B))["answers"]) == 2  # the other member keeps theirs
    assert broadcast.id and await store.personal.sole_coop(B) is not None  # now the only member
    with pytest.raises(StoreError):  # the erasure record itself is append-only
        await store.db.write("DELETE FROM erasures")


async def test_deleting_the_profile_of_its_only_member(store: Store) -> None:
    kept = await member_with_answers(store, A)
    gone = await member_with_answers(store, B)
    assert await store.personal.sole_coop(B) is not None
    erasure = await store.personal.erase(B, delete_coop=True)
    assert erasure.coop_deleted and await store.coops.get(gone) is None
    assert {r["coop_id"] for r in await store.db.all("SELECT coop_id FROM answers")} == {kept}
    with pytest.raises(StoreError):  # other cooperatives' answers stay undeletable
        await store.db.write("DELETE FROM answers WHERE coop_id = ?", (kept,))
    coop = await store.coops.create(A, "HTX mới", "Huế", "trade", 3)
    assert coop.id not in (kept, gone)  # ids are never reused, so an erasure record names one profile
    assert await traces_in(store.db, B, (f"user{B}",)) == []


async def test_purge_unlinks_old_questions_and_prunes_finished_deliveries(store: Store) -> None:
    await store.users.touch(1, 1, "vi")
    for asked_at in ("2025-10-01T00:00:00+00:00", "2026-11-30T00:00:00+00:00"):
        await store.db.write(
            "INSERT INTO questions (user_id, text, normalised, decision, score, kb_version, asked_at) "
            "VALUES (1, 'q', 'q', 'answer', 1, 'k', ?)",
            (asked_at,),
        )
    old, _ = await store.broadcasts.create(9, 9, "a", "a", Audience(), None)
    new, _ = await store.broadcasts.create(9, 9, "b", "b", Audience(), None)
    running, _ = await store.broadcasts.create(9, 9, "c", "c", Audience(), None)
    for broadcast, finished in ((old, "2026-08-01T00:00:00+00:00"), (new, "2026-11-25T00:00:00+00:00")):
        await store.db.write(
            "UPDATE broadcasts SET status = 'done', finished_at = ? WHERE id = ?", (finished, broadcast.id)
        )
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    purged = await privacy.purge(store, Settings(), now)
    assert (purged.questions_unlinked, purged.deliveries_deleted) == (1, 1)
    rows = await store.db.all("SELECT user_id, asked_at FROM questions ORDER BY id")
    assert [r["user_id"] for r in rows] == [None, 1]
    left = await store.db.all("SELECT broadcast_id FROM deliveries ORDER BY broadcast_id")
    assert [r["broadcast_id"] for r in left] == [new.id, running.id]
    again = await privacy.purge(store, Settings(), now)
    assert (again.questions_unlinked, again.deliveries_deleted) == (0, 0)


FILLED_LOG = (
    "INSERT INTO users (id, chat_id, first_seen, last_seen) VALUES (5, 5, 't', 't');"
    "INSERT INTO cooperatives VALUES (1, 'HTX', 'Huế', 'trade', 3, 'code', 5, 't', 't');"
    "UPDATE users SET coop_id = 1;"
    "INSERT INTO assessments (id, coop_id, user_id, version, status, started_at) "
    "VALUES (1, 1, 5, 'q', 'open', 't');"
    "INSERT INTO answers VALUES (1, 1, 1, 5, 'a', 2, 3, 't');"
    "INSERT INTO feedback VALUES (5, 'e', 1, 't');"
)
"""A member's answer and vote as the schema before migration 9 kept them (either backend)."""


async def test_migration_moves_authors_out_of_a_filled_log(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path, isolation_level=None)
    for number, script in enumerate(MIGRATIONS[:5], start=1):
        old.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")
    old.executescript(FILLED_LOG)
    old.close()
    store = await Store.open(path)
    try:
        assert await store.schema_version() == len(MIGRATIONS)
        assert await store.db.all("SELECT * FROM answer_authors") == [{"answer_id": 1, "user_id": 5}]
        assert await store.db.first("SELECT question_id, option FROM answers") == {
            "question_id": "a",
            "option": 2,
        }
        assert (await store.assessments.open_of(5)).coop_id == 1
        assert await store.feedback.vote(5, "e", -1)  # the unique rule survived the rebuild
        async with store.db.connection.execute("PRAGMA foreign_keys") as cursor:
            assert (await cursor.fetchone())[0] == 1
        with pytest.raises(StoreError):
            await store.db.write("DELETE FROM answers")
    finally:
        await store.close()


async def test_postgresql_migration_moves_authors_out_of_a_filled_log() -> None:
    """The same on PostgreSQL: a database at migration 8 with an answer and a vote, then 9."""
    if postgres.SERVER is None:
        pytest.skip(postgres.SKIP_REASON)
    import asyncpg

    url = await postgres.create_database(migrated=False)
    try:
        old = await asyncpg.connect(url)
        try:
            await old.execute(VERSION_TABLE)
            for number, script in enumerate(POSTGRES_MIGRATIONS[:8], start=1):
                await old.execute(script)
                await old.execute("INSERT INTO schema_version VALUES ($1, 't')", number)
            await old.execute(FILLED_LOG + "INSERT INTO feedback VALUES (6, 'e', -1, 's');")
        finally:
            await old.close()
        store = await Store.open(url)
        try:
            assert await store.schema_version() == len(MIGRATIONS)
            assert await store.db.all("SELECT * FROM answer_authors") == [{"answer_id": 1, "user_id": 5}]
            assert await store.db.first("SELECT * FROM answers") == {
                "id": 1,
                "assessment_id": 1,
                "coop_id": 1,
                "question_id": "a",
                "option": 2,
                "score": 3,
                "answered_at": "t",
            }
            assert await store.db.all("SELECT id, user_id FROM feedback ORDER BY id") == [
                {"id": 1, "user_id": 6},  # numbered by time, as on SQLite
                {"id": 2, "user_id": 5},
            ]
            assert await store.feedback.vote(5, "e", -1)  # the unique rule survived the rebuild
            assert await store.feedback.vote(None, "e", 1)  # an unlinked vote gets the next id
            await store.db.write("INSERT INTO erasures (at, coop_id) VALUES ('t', 1)")
            with pytest.raises(StoreError):  # an erasure that did not delete the profile
                await store.db.write("DELETE FROM answers")
            for sql in ("UPDATE erasures SET coop_id = 2", "DELETE FROM erasures", "TRUNCATE erasures"):
                with pytest.raises(StoreError):
                    await store.db.write(sql)
        finally:
            await store.close()
    finally:
        await postgres.drop_database(url)
