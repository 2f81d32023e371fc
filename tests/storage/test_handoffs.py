"""The handoff repository's rules, on two connections as two bot instances would use them."""

from __future__ import annotations

import asyncio
from pathlib import Path

from advisor.storage import Store


async def test_two_officers_claiming_at_once_from_two_instances_one_wins(database: Path | str) -> None:
    first, second = await Store.open(database), await Store.open(database)
    try:
        handoff, created = await first.handoffs.ask(1, 1, "Huế", "nhà màng?", "Hoa")
        assert created and handoff.asker == "Hoa"
        results = await asyncio.gather(
            first.handoffs.claim(handoff.id, 701, "An"), second.handoffs.claim(handoff.id, 702, "Bình")
        )
        assert sorted(results) == [False, True]
        winner = 701 if results[0] else 702
        loser = 702 if winner == 701 else 701
        assert not await first.handoffs.answer(handoff.id, loser, "<b>x</b>", "**x**", "Cán bộ")
        assert await first.handoffs.answer(handoff.id, winner, "<b>x</b>", "**x**", "Cán bộ – Huế")
    finally:
        await first.close()
        await second.close()


async def test_one_follow_up_back_to_the_same_officer_and_its_answer_kept_apart(database: Path | str) -> None:
    store = await Store.open(database)
    handoff, _ = await store.handoffs.ask(1, 1, "Huế", "nhà màng?")
    await store.handoffs.claim(handoff.id, 701, "An")
    await store.handoffs.answer(handoff.id, 701, "dưới 500 m²", "dưới 500 m²", "Cán bộ – Huế")
    assert not await store.handoffs.follow_up(handoff.id, 2, "của người khác?")  # not their question
    assert await store.handoffs.follow_up(handoff.id, 1, "trên 1000 m²?")
    assert not await store.handoffs.follow_up(handoff.id, 1, "lần nữa?")  # once
    following = await store.handoffs.get(handoff.id)
    assert following.status == "claimed" and following.claimed_by == 701
    assert not await store.handoffs.move(handoff.id, "Hà Nội")  # a follow-up stays with its officer
    assert await store.handoffs.overdue("9999", "reminded_at") == []  # and is not re-announced
    assert await store.handoffs.answer(handoff.id, 701, "cần xin phép", "cần xin phép", "Cán bộ – Huế")
    done = await store.handoffs.get(handoff.id)
    assert done.answer == "dưới 500 m²" and done.follow_up_answer == "cần xin phép"
    assert await store.handoffs.mark_for_kb(handoff.id) and not await store.handoffs.mark_for_kb(handoff.id)
    assert [h.id for h in await store.handoffs.answered(only_for_kb=True)] == [handoff.id]
    await store.close()


async def test_a_transfer_reopens_the_question_in_the_other_province(database: Path | str) -> None:
    store = await Store.open(database)
    handoff, _ = await store.handoffs.ask(1, 1, "Huế", "gạo Hà Nội?")
    await store.handoffs.claim(handoff.id, 701, "An")
    assert not await store.handoffs.move(handoff.id, "Huế")  # already there
    assert await store.handoffs.move(handoff.id, "Hà Nội")
    moved = await store.handoffs.get(handoff.id)
    assert (moved.province, moved.moved_from, moved.status, moved.claimed_by) == (
        "Hà Nội",
        "Huế",
        "open",
        None,
    )
    assert [h.id for h in await store.handoffs.waiting("Hà Nội")] == [handoff.id]
    assert await store.handoffs.waiting("Huế") == []
    await store.close()
