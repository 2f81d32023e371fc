"""Fixtures for driving the bot: the real knowledge base, loaded once, and a fresh bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from advisor.kb import KnowledgeBase
from tests.bot.harness import BotHarness, settings_for

ADMIN, OFFICER, MEMBER = 900, 800, 100


@pytest.fixture
async def bot(tmp_path: Path, real_kb: KnowledgeBase) -> AsyncIterator[BotHarness]:
    harness = await BotHarness.start(
        settings_for(tmp_path, admins=frozenset({ADMIN}), officers=frozenset({OFFICER})), real_kb
    )
    yield harness
    await harness.stop()
