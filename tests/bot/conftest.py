"""Fixtures for driving the bot: the real knowledge base, loaded once, and a fresh bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from advisor.kb import KnowledgeBase
from tests.bot.harness import BotHarness, settings_for

ADMIN, OFFICER, MEMBER = 900, 800, 100


@pytest.fixture
def bot_database(tmp_path: Path) -> Path | str:
    """The bot's database: SQLite; a module overrides it with the `database` fixture to run
    its journeys on PostgreSQL too."""
    return tmp_path / "advisor.db"


@pytest.fixture
async def bot(tmp_path: Path, bot_database: Path | str, real_kb: KnowledgeBase) -> AsyncIterator[BotHarness]:
    harness = await BotHarness.start(
        settings_for(tmp_path, bot_database, admins=frozenset({ADMIN}), officers=frozenset({OFFICER})),
        real_kb,
    )
    yield harness
    await harness.stop()
