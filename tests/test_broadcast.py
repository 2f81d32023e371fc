"""The durable, paced sender: audiences, crash safety, pacing, 429s and blocked chats."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.broadcast import Outcome, Pacer, Sender
from advisor.records import Audience
from advisor.storage import Store


@pytest.fixture
async def store(database: Path | str):
    opened = await Store.open(database)
    yield opened
    await opened.close()


async def people(store: Store, count: int) -> None:
    for user in range(1, count + 1):
        await store.users.touch(user, user, "vi")
        await store.coops.create(user, f"HTX {user}", "Huế" if user % 2 else "Hà Nội", "agriculture", 5)


async def test_audience_filters(store: Store) -> None:
    await people(store, 6)
    assert len(await store.broadcasts.recipients(Audience())) == 6
    assert len(await store.broadcasts.recipients(Audience(provinces=frozenset({"Huế"})))) == 3
    scoped = Audience(province_scope="Hà Nội", sectors=frozenset({"trade"}))
    assert len(await store.broadcasts.recipients(scoped)) == 0
    assert len(await store.broadcasts.recipients(Audience(not_assessed=True))) == 6
    await store.users.set_subscribed(1, False)
    assert len(await store.broadcasts.recipients(Audience())) == 5


async def test_claimed_rows_are_never_resent_after_a_crash(store: Store) -> None:
    await people(store, 3)
    broadcast, count = await store.broadcasts.create(1, 1, "x", "x", Audience(), None)
    assert count == 3
    first = await store.deliveries.claim(broadcast.id)
    await store.deliveries.finish(first, "sent", 10)
    await store.deliveries.claim(broadcast.id)  # crash while this one is being sent
    assert await store.deliveries.recover() == 1
    assert await store.deliveries.counts(broadcast.id) == {"sent": 1, "unknown": 1, "pending": 1}
    last = await store.deliveries.claim(broadcast.id)
    assert last.user_id == 3 and await store.deliveries.claim(broadcast.id) is None


async def test_sender_paces_retries_429_and_records_blocked(store: Store) -> None:
    await people(store, 4)
    broadcast, _ = await store.broadcasts.create(1, 1, "x", "<b>x</b>", Audience(), None)
    clock = [0.0]
    calls: list[int] = []
    answers = {2: [Outcome("retry", retry_after=2), Outcome("sent", 7)], 3: [Outcome("blocked", error="403")]}

    async def send(chat_id: int, html: str) -> Outcome:
        calls.append(chat_id)
        queued = answers.get(chat_id)
        return queued.pop(0) if queued else Outcome("sent", 1)

    async def sleep(seconds: float) -> None:
        clock[0] += seconds

    sender = Sender(store, send, rate=2.0, chat_interval=1.0, sleep=sleep, clock=lambda: clock[0])
    counts = await sender.run_broadcast(broadcast)
    assert counts == {"sent": 3, "blocked": 1}
    assert sender.retries_429 == 1 and calls.count(2) == 2
    assert clock[0] >= 2.0 + 3 * 0.5  # the 429 pause plus the pacing between sends
    assert sender.pacer.rate == pytest.approx(1.8)  # and 10 % slower after the 429
    assert (await store.users.get(3)).subscribed == 0
    assert (await store.broadcasts.get(broadcast.id)).status == "done"


def test_pacer_spaces_sends() -> None:
    clock = [0.0]
    pacer = Pacer(rate=10, chat_interval=1.0, clock=lambda: clock[0])
    pacer.sent(5, 0.0)
    assert pacer.wait_time() == pytest.approx(0.1)
    assert pacer.busy_chats() == [5]
    clock[0] = 1.5
    assert pacer.busy_chats() == [] and pacer.wait_time() == 0
