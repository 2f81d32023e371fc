"""Channel-free pieces: provinces, roles, gaps, knowledge diff, and the durable sender."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from advisor import gaps, provinces
from advisor.broadcast import Outcome, Pacer, Sender
from advisor.broadcast_draft import Draft, may_cancel, parse_time
from advisor.config import Settings
from advisor.profiles import parse_members
from advisor.records import Audience, Broadcast, Grant
from advisor.roles import Role, access
from advisor.storage import Store


def test_34_provinces_and_old_names() -> None:
    assert len(provinces.PROVINCES) == 34
    assert provinces.match("Tiền Giang").province == "Đồng Tháp"
    assert provinces.match("tien giang").old_name == "Tiền Giang"
    assert provinces.match("TP HCM").province == "TP. Hồ Chí Minh"
    assert provinces.match("Thanh Hoá").province == "Thanh Hóa"  # old tone placement
    assert provinces.match("gia lai ").province == "Gia Lai"
    assert provinces.match("ở đâu đó") is None and provinces.match("") is None


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("25", 25),
        ("khoảng 30 thành viên", 30),
        ("1.200", 1200),
        ("0", None),
        ("hai mươi", None),
        ("3 hay 4", None),
    ],
)
def test_member_count_parsing(text: str, count: int | None) -> None:
    assert parse_members(text) == count


def test_schedule_time_parsing() -> None:
    now = dt.datetime(2026, 11, 22, 1, 0, tzinfo=dt.UTC)  # 08:00 in Vietnam
    assert parse_time("25/12/2026 08:00", now) == dt.datetime(2026, 12, 25, 1, 0, tzinfo=dt.UTC)
    assert parse_time("22/11/2026 07:00", now) is None  # past
    assert parse_time("31/02/2026 08:00", now) is None
    assert parse_time("1/6/2027 08:00", now) is None  # beyond 60 days
    assert parse_time("mai nhé", now) is None


def test_roles_from_environment_and_grants() -> None:
    settings = Settings(admins=frozenset({1}), officers=frozenset({2}))
    grant = Grant(3, "officer", "Huế", 1, "now")
    assert access(1, settings, None).role == Role.ADMIN
    assert access(2, settings, None).scope is None
    assert access(3, settings, grant).scope == "Huế"
    assert access(4, settings, None).role == Role.MEMBER


def test_gaps_group_similar_questions() -> None:
    rows = [
        {"text": t, "normalised": t, "decision": "decline", "asked_at": "2026-11-22"}
        for t in ("gia vang hom nay", "gia vang hom nay bao nhieu", "thoi tiet ngay mai", "gia vang")
    ]
    grouped = gaps.group(rows)
    assert grouped[0].count == 3 and grouped[1].count == 1


@pytest.fixture
async def store(tmp_path: Path):
    opened = await Store.open(tmp_path / "a.db")
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


def test_broadcast_draft_rules_without_telegram() -> None:
    draft = Draft()
    assert draft.write("   ") == [] and not draft.written
    assert draft.write("Họp <b>thành viên</b>") is not None  # raw HTML is not the notice syntax
    assert draft.write("**Họp thành viên** lúc 8 giờ") is None and draft.step == "audience"
    assert draft.toggle("sector", "agriculture", None) and draft.sectors == ["agriculture"]
    assert draft.toggle("sector", "agriculture", None) and draft.sectors == []
    assert not draft.toggle("sector", "gold", None)  # forged button data
    assert not draft.toggle("province", "0", "Huế")  # an officer of one province cannot widen it
    assert draft.toggle("province", "0", None) and len(draft.provinces) == 1
    assert draft.audience("Huế").province_scope == "Huế"
    again = Draft.from_state(draft.state())
    assert again == draft  # what the flow table stores is the whole draft
    now = dt.datetime(2026, 11, 22, 1, 0, tzinfo=dt.UTC)
    assert again.schedule("25/12/2026 08:00", now) and again.send_at == "2026-12-25T01:00:00+00:00"
    stamp = "2026-11-22T01:00:00+00:00"
    notice = Broadcast(7, 42, 42, "x", "x", "{}", "sending", stamp, stamp)
    assert may_cancel(access(1, Settings(admins=frozenset({1})), None), 1, notice)
    assert may_cancel(access(42, Settings(officers=frozenset({42})), None), 42, notice)
    assert not may_cancel(access(43, Settings(officers=frozenset({43})), None), 43, notice)
