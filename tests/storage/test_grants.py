from pathlib import Path

from advisor.storage import Store


async def test_grants_replace_and_revoke(database: Path | str) -> None:
    store = await Store.open(database)
    await store.grants.grant(5, "officer", "Huế", by=1)
    await store.grants.grant(5, "admin", None, by=1)
    assert (await store.grants.of(5)).role == "admin"
    assert await store.grants.revoke(5) is True
    assert await store.grants.revoke(5) is False
    assert await store.grants.of(5) is None
    await store.close()
