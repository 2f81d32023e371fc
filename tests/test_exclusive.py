"""Jobs that run in exactly one instance: two stores on one database (each backend) stand for
two bot instances; leases are shortened so takeovers take a fraction of a second."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from advisor import exclusive
from advisor.storage import Store


@pytest.fixture(autouse=True)
def short_leases(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exclusive, "LEASE_S", 0.6)
    monkeypatch.setattr(exclusive, "RENEW_S", 0.1)


async def test_a_lease_is_taken_renewed_and_taken_over_only_when_expired(database: Path | str) -> None:
    store = await Store.open(database)
    t0 = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    assert await store.leases.take("sender", "a", 6, t0)
    assert not await store.leases.take("sender", "b", 6, t0 + dt.timedelta(seconds=5))
    assert await store.leases.take("sender", "a", 6, t0 + dt.timedelta(seconds=5))  # renewed to 11 s
    assert not await store.leases.take("sender", "b", 6, t0 + dt.timedelta(seconds=10))
    assert await store.leases.take("sender", "b", 6, t0 + dt.timedelta(seconds=12))  # a died
    assert await store.leases.holder("sender", t0 + dt.timedelta(seconds=13)) == "b"
    await store.leases.give_up("sender", "a")  # not a's any more: nothing happens
    assert await store.leases.holder("sender", t0 + dt.timedelta(seconds=13)) == "b"
    await store.close()


async def test_one_instance_runs_the_job_and_another_takes_over_when_it_dies(
    database: Path | str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = await Store.open(database), await Store.open(database)
    running: list[str] = []
    overlaps = 0

    def job(name: str):
        async def run() -> None:
            nonlocal overlaps
            running.append(name)
            overlaps = max(overlaps, len(running))
            try:
                await asyncio.Event().wait()
            finally:
                running.remove(name)

        return run

    a = asyncio.create_task(exclusive.run_exclusively(first, "sender", "a", job("a")))
    await asyncio.sleep(0.3)
    b = asyncio.create_task(exclusive.run_exclusively(second, "sender", "b", job("b")))
    await asyncio.sleep(1.0)
    assert running == ["a"]  # b waits while a holds the lease

    async def dies_without_a_word(name: str, holder: str) -> None:
        """A killed process gives nothing up: its lease must expire."""

    monkeypatch.setattr(first.leases, "give_up", dies_without_a_word)
    a.cancel()
    await asyncio.gather(a, return_exceptions=True)
    lost = asyncio.get_running_loop().time()
    while running != ["b"]:
        await asyncio.sleep(0.05)
    assert asyncio.get_running_loop().time() - lost <= exclusive.LEASE_S + 2 * exclusive.RENEW_S + 0.3
    assert overlaps == 1  # never both at once
    b.cancel()
    await asyncio.gather(b, return_exceptions=True)
    await first.close()
    await second.close()


async def test_a_holder_that_cannot_renew_stops_its_job_before_the_lease_expires(
    database: Path | str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = await Store.open(database)
    stopped = asyncio.Event()

    async def job() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            stopped.set()

    task = asyncio.create_task(exclusive.run_exclusively(store, "sender", "a", job))
    await asyncio.sleep(0.3)
    real_take = store.leases.take

    async def unreachable(*args, **kwargs) -> bool:
        await asyncio.sleep(10)  # the database does not answer
        return await real_take(*args, **kwargs)

    monkeypatch.setattr(store.leases, "take", unreachable)
    cut = asyncio.get_running_loop().time()
    await asyncio.wait_for(stopped.wait(), 2)
    assert asyncio.get_running_loop().time() - cut < exclusive.LEASE_S  # before another could take it
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await store.close()


async def test_one_persons_updates_never_run_at_once_in_two_instances(database) -> None:
    """The lock the update processor takes around each update (`Database.person_lock`): on
    PostgreSQL it holds across instances; on SQLite (one process) there is nothing to share."""
    first, second = await Store.open(database), await Store.open(database)
    running: dict[int, int] = {}
    overlap: dict[int, int] = {}

    async def update(store: Store, user_id: int) -> None:
        async with store.db.person_lock(user_id):
            running[user_id] = running.get(user_id, 0) + 1
            overlap[user_id] = max(overlap.get(user_id, 0), running[user_id])
            await asyncio.sleep(0.05)
            running[user_id] -= 1

    started = asyncio.get_running_loop().time()
    await asyncio.gather(*(update(store, user) for store in (first, second) for user in (7, 7, 8, 8)))
    elapsed = asyncio.get_running_loop().time() - started
    if first.db.dialect == "postgres":
        assert overlap == {7: 1, 8: 1}  # a person's updates one at a time, across both instances
        assert elapsed < 4 * 0.05 + 0.5  # two people in parallel, not all eight in a row
    await first.close()
    await second.close()
