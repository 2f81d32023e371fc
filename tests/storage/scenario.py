"""One busy day of the bot, written through the repositories (every table gets rows), and
everything the repositories can read back, as plain comparable data."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from advisor.records import Audience
from advisor.storage import Store
from advisor.storage.reports import EXPORTS

MOVING = {"at", "first_seen", "last_seen", "invite_code", "median_hours", "day"}
"""Values that depend on the clock or on chance: compared by type only."""


async def fill(store: Store) -> None:
    """Rows in every table, through the same calls the bot makes."""
    for user, name in ((1, "Alice"), (2, "binh"), (3, None), (4, "Dung"), (7_000_000_001, "big")):
        await store.users.touch(user, user + 10, "vi", name)
    await store.users.set_language(2, "en")
    await store.users.set_share_name(1, True)
    hue = await store.coops.create(1, "HTX Rau sạch", "Huế", "agriculture", 25)
    hanoi = await store.coops.create(4, "HTX Gạo", "Hà Nội", "trade", 9)
    await store.coops.join(2, hue.invite_code)
    await store.coops.update(hanoi.id, members=12, sector="services")
    first = await store.assessments.start(1, hue.id, "v1", "q1")
    await store.assessments.record_answer(first, "q1", 2, 50, "q2")
    await store.assessments.move_to(first.id, "q2", "q1")
    await store.assessments.record_answer(first, "q1", 3, 75, "q2")
    await store.assessments.record_answer(first, "q2", 1, 25, None)
    await store.assessments.finish(first.id, 62.5, 3, "Khá", {"data": 62.5, "people": 0.0})
    second = await store.assessments.start(4, hanoi.id, "v1", "q1")
    await store.assessments.record_answer(second, "q1", 4, 100, None)
    await store.assessments.finish(second.id, 100, 5, "Xuất sắc", {"data": 100.0})
    await store.assessments.start(2, hue.id, "v1", "q1")  # left open
    for user, decision, entry, score in (
        (1, "answer", "tm.fees", 91.5),
        (1, "suggest", "tm.steps", 60.0),
        (2, "decline", None, 12.25),
        (3, "flood", None, 0),
        (None, "answer", "tm.fees", 88.0),
    ):
        await store.questions.log(
            user, f"hỏi {user} {decision}", f"hoi {user}", decision, entry, score, "kb1"
        )
    await store.feedback.vote(1, "tm.fees", 1)
    await store.feedback.vote(2, "tm.fees", -1)
    await store.feedback.vote(2, "tm.steps", -1)
    await store.grants.grant(9, "officer", "Huế", by=1)
    await store.grants.grant(8, "admin", None, by=1)
    await store.audit.record(1, "grant", "9 officer Huế")
    await store.audit.record(None, "reload", "")
    await store.flows.set(3, "register", {"step": "name", "tên": "Hợp tác xã", "n": 2})
    await store.users.mark_blocked(14)  # user 4's chat
    sent, _ = await store.broadcasts.create(8, 18, "Tin", "<b>Tin</b>", Audience(), None)
    for outcome in ("sent", "blocked"):
        delivery = await store.deliveries.claim(sent.id)
        await store.deliveries.finish(delivery, outcome, message_id=77 if outcome == "sent" else None)
    await store.deliveries.release(await store.deliveries.claim(sent.id))
    await store.deliveries.claim(sent.id, exclude_chats=[11])
    await store.broadcasts.set_progress_message(sent.id, 5)
    later, _ = await store.broadcasts.create(
        8, 18, "Sau", "Sau", Audience(levels=frozenset({3})), "2030-01-01"
    )
    await store.broadcasts.cancel(later.id)
    asked, _ = await store.handoffs.ask(1, 11, "Huế", "nhà màng?", "Alice")
    await store.handoffs.ask(1, 11, "Huế", "ở đâu?")
    await store.handoffs.claim(asked.id, 9, "An")
    await store.handoffs.answer(asked.id, 9, "<b>Sở</b>", "**Sở**", "Cán bộ – Huế")
    await store.handoffs.follow_up(asked.id, 1, "khi nào?")
    await store.handoffs.answer(asked.id, 9, "tuần sau", "tuần sau", "Cán bộ – Huế")
    await store.handoffs.rate(asked.id, 1, 1)
    await store.handoffs.mark_for_kb(asked.id)
    moved, _ = await store.handoffs.ask(2, 12, "Huế", "gạo?")
    await store.handoffs.move(moved.id, "Hà Nội")
    await store.handoffs.mark(moved.id, "reminded_at")
    waiting, _ = await store.handoffs.ask(4, 14, None, "thuế?")
    dropped, _ = await store.handoffs.ask(7_000_000_001, 7_000_000_011, "Huế", "xa?")
    await store.handoffs.out_of_scope(dropped.id)
    del waiting
    await _personal_data(store)
    await _knowledge_and_leases(store)


ZIP = bytes(range(256)) * 3 + b"PK\x03\x04\x00'?\\"
"""Stand-in for a knowledge zip: every byte value, quotes, a backslash, NUL."""
LEASE_TIME = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)


async def _personal_data(store: Store) -> None:
    """Consents (user 2 withdraws), and user 5, the only member of the newest cooperative,
    erased with it: answers deleted after their erasure record, its id gone for good."""
    for user in (1, 2, 4):
        await store.consents.record(user, "v1", "granted")
    await store.consents.record(2, "v1", "withdrawn")
    await store.consents.record(3, "v1", "refused")
    await store.users.touch(5, 15, "vi", "Em")
    await store.consents.record(5, "v1", "granted")
    sole = await store.coops.create(5, "HTX Một mình", "Huế", "trade", 2)
    alone = await store.assessments.start(5, sole.id, "v1", "q1")
    await store.assessments.record_answer(alone, "q1", 1, 25, None)
    await store.feedback.vote(5, "tm.steps", 1)
    await store.feedback.vote(None, "tm.steps", 1)  # a vote without consent: unlinked
    await store.personal.erase(5, delete_coop=True)


async def _knowledge_and_leases(store: Store) -> None:
    first = await store.kb_versions.add("h1", None, "server", {"files": ["a.yaml"]}, ZIP)
    proposal = await store.kb_versions.propose(8, "h1", "h2", "upload:a.yaml", {"edited": ["x"]}, ZIP[::-1])
    await store.kb_versions.applied(await store.kb_versions.proposal(proposal), ZIP[::-1])
    await store.kb_versions.propose(8, "h2", "h3", "upload:b.yaml", {}, b"")
    await store.kb_versions.propose(9, "h2", "h4", f"rollback:{first}", {}, ZIP)  # left pending
    await store.leases.take("broadcast-sender", "a", 8, LEASE_TIME)
    await store.leases.take("reminders", "b", 8, LEASE_TIME)


async def read_all(store: Store) -> dict[str, Any]:
    """Every read the repositories offer, over the filled store."""
    coop = await store.coops.of_user(1)
    [done, *_] = await store.assessments.history(coop.id)
    return {
        "users": [await store.users.get(user) for user in (1, 2, 3, 4, 7_000_000_001, 99)],
        "by_username": [await store.users.by_username(name) for name in ("ALICE", "@Binh", "nobody")],
        "flow": await store.flows.get(3),
        "last_question": [await store.questions.last_of(user) for user in (1, 3)],
        "declined": await store.questions.declined(),
        "disliked": await store.feedback.disliked(),
        "coop": [coop, await store.coops.get(coop.id + 1)],
        "assessment": [done, await store.assessments.get(done.id), await store.assessments.open_of(2)],
        "answers": await store.assessments.answers(done.id),
        "recipients": [
            await store.broadcasts.recipients(audience)
            for audience in (
                Audience(),
                Audience(levels=frozenset({3, 5})),
                Audience(not_assessed=True),
                Audience(levels=frozenset({5}), not_assessed=True),
                Audience(provinces=frozenset({"Huế"}), sectors=frozenset({"agriculture"})),
                Audience(province_scope="Hà Nội"),
            )
        ],
        "broadcasts": [await store.broadcasts.recent(), await store.broadcasts.recent(author_id=8)],
        "due": await store.broadcasts.due("2031-01-01"),
        "delivery_counts": [await store.deliveries.counts(b.id) for b in await store.broadcasts.recent()],
        "grants": [await store.grants.all(), await store.grants.of(9)],
        "handoffs": [
            await store.handoffs.waiting(None),
            await store.handoffs.waiting("Hà Nội"),
            await store.handoffs.overdue("9999", "reminded_at"),
            await store.handoffs.overdue("9999", "escalated_at"),
            await store.handoffs.answered(),
            await store.handoffs.answered(only_for_kb=True),
            await store.handoffs.of_user(1),
        ],
        "stats": [await store.reports.stats(), await store.reports.stats("Huế")],
        "consents": [[await store.consents.latest(u), await store.consents.history(u)] for u in (1, 2, 3, 5)],
        "personal": [await store.personal.of(user) for user in (1, 2, 5)],
        "sole_coop": [await store.personal.sole_coop(user) for user in (1, 4)],
        "erasures": await store.db.all(
            "SELECT coop_id, answers_unlinked, coop_deleted FROM erasures ORDER BY id"
        ),
        "kb_versions": [
            await store.kb_versions.recent(),
            await store.kb_versions.with_hash("h2"),
            [await store.kb_versions.files(v.id) for v in await store.kb_versions.recent()],
            [await store.kb_versions.proposal(n) for n in (1, 2, 3, 4)],
            [await store.kb_versions.proposal_files(n) for n in (1, 2, 3, 4)],
        ],
        "leases": [
            await store.leases.holder(name, LEASE_TIME + dt.timedelta(seconds=seconds))
            for name in ("broadcast-sender", "reminders")
            for seconds in (1, 9)
        ],
        "exports": {table: await store.reports.export(table) for table in [*EXPORTS, "handoffs"]},
        "province_exports": {
            table: await store.reports.export(table, "Huế")
            for table in ("cooperatives", "assessments", "results")
        },
    }


def comparable(value: Any, key: str = "", times: bool = False) -> Any:
    """Records and rows as plain data with each scalar's type beside it (1 and 1.0 differ);
    times and chance values as their type only, unless `times` (an exact copy keeps them)."""
    if dataclasses.is_dataclass(value):
        value = dataclasses.asdict(value)
    if isinstance(value, dict):
        return {k: comparable(v, k, times) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [comparable(v, key, times) for v in value]
    if not times and (key in MOVING or key.endswith("_at")):
        return type(value).__name__
    return (type(value).__name__, value)
