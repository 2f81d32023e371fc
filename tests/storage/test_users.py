from pathlib import Path

import pytest

from advisor.storage import Store


async def test_users_questions_votes_and_export(database: Path | str) -> None:
    store = await Store.open(database)
    first = await store.users.touch(7, 7, "en")
    assert first.is_new and first.language == "en"
    again = await store.users.touch(7, 7, "vi")
    assert not again.is_new and again.language == "en"  # stored choice wins
    await store.users.set_language(7, "vi")
    assert (await store.users.get(7)).language == "vi"
    await store.questions.log(7, "lệ phí?", "le phi", "answer", "tm.fees", 91.5, "abcd1234")
    assert await store.feedback.vote(7, "tm.fees", 1) is True
    assert await store.feedback.vote(7, "tm.fees", 1) is False  # double tap
    assert await store.feedback.vote(7, "tm.fees", -1) is True
    rows = await store.reports.export("questions")
    assert rows[0]["text"] == "lệ phí?" and rows[0]["decision"] == "answer"
    assert (await store.reports.export("feedback"))[0]["vote"] == -1
    with pytest.raises(KeyError):
        await store.reports.export("nope")
    await store.close()


async def test_blocked_users_are_recorded_and_cleared_on_return(database: Path | str) -> None:
    store = await Store.open(database)
    await store.users.touch(5, 5, "vi")
    await store.users.mark_blocked(5)
    assert (await store.users.get(5)).blocked_at is not None
    await store.users.touch(5, 5, "vi")
    assert (await store.users.get(5)).blocked_at is None
    await store.close()
