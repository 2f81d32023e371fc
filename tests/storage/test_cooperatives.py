from pathlib import Path

import pytest

from advisor.records import StoreError
from advisor.storage import Store


@pytest.fixture
async def store(database: Path | str):
    opened = await Store.open(database)
    yield opened
    await opened.close()


async def test_coop_is_created_with_its_creator_and_joined_by_invite(store: Store) -> None:
    await store.users.touch(1, 1, "vi")
    await store.users.touch(2, 2, "vi")
    coop = await store.coops.create(1, "HTX A", "Huế", "agriculture", 7)
    assert (await store.coops.of_user(1)) == coop
    assert await store.coops.join(2, "no-such-code") is None
    assert (await store.coops.join(2, coop.invite_code)).id == coop.id
    await store.coops.update(coop.id, members=9)
    assert (await store.coops.get(coop.id)).members == 9
    with pytest.raises(ValueError):
        await store.coops.update(coop.id, invite_code="x")


async def test_answers_are_logged_once_and_never_rewritten(store: Store) -> None:
    await store.users.touch(1, 1, "vi")
    coop = await store.coops.create(1, "HTX A", "Huế", "agriculture", 7)
    started = await store.assessments.start(1, coop.id, "v1", "q1")
    assert (await store.assessments.open_of(1)) == started
    assert await store.assessments.record_answer(started, "q1", 2, 50, "q2") is True
    assert await store.assessments.record_answer(started, "q1", 3, 75, "q2") is False  # double tap
    assert await store.assessments.move_to(started.id, "q2", "q1") is True  # Back
    assert await store.assessments.record_answer(started, "q1", 3, 75, None) is True
    assert await store.assessments.answers(started.id) == {"q1": 3}
    assert await store.assessments.finish(started.id, 75.0, 3, "Khá", {"p": 75.0}) is True
    assert await store.assessments.finish(started.id, 75.0, 3, "Khá", {"p": 75.0}) is False
    [done] = await store.assessments.history(coop.id)
    assert done.status == "done" and done.pillar_scores == {"p": 75.0}
    with pytest.raises(StoreError):
        async with store.db.transaction() as tx:
            await tx.write("DELETE FROM answers")
    assert len(await store.reports.export("assessments")) == 2


async def test_stats_of_a_province_count_only_that_province(store: Store) -> None:
    for user, province in ((1, "Huế"), (2, "Hà Nội"), (3, "Hà Nội")):
        await store.users.touch(user, user, "vi")
        await store.coops.create(user, f"HTX {user}", province, "agriculture", 5)
        await store.questions.log(user, "hoi", "hoi", "answer", "tm.fees", 90.0, "v1")
    await store.users.touch(4, 4, "vi")  # no cooperative: counted by the whole bot only
    whole, hue = await store.reports.stats(), await store.reports.stats("Huế")
    assert (whole["users"], whole["cooperatives"], whole["per_day"][0]["asked"]) == (4, 3, 3)
    assert (hue["users"], hue["cooperatives"], hue["per_day"][0]["asked"]) == (1, 1, 1)
    assert hue["top_entries"][0]["n"] == 1
