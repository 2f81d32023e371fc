"""Drive the real bot Application in-process through the Bot API emulator.

The bot starts and stops as in production (`advisor.telegram.lifecycle.running`). Updates go
through `Application.process_update` (real handlers, filters and flows); every call the bot
makes goes through `FakeRequest` into `BotApiState`, which rejects anything Telegram would
reject, so a test fails if the bot breaks Telegram's rules.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application

from advisor.config import Settings
from advisor.flood import FloodGuard
from advisor.kb import KnowledgeBase
from advisor.telegram import lifecycle
from advisor.telegram.app import build_application
from tgemu.request import FakeRequest
from tgemu.state import BotApiState
from tgemu.world import SentMessage


class BotHarness:
    """One emulated Telegram and one bot Application over a database file."""

    def __init__(
        self, state: BotApiState, app: Application, running: contextlib.AsyncExitStack, consent: bool = True
    ) -> None:
        self.state = state
        self.app = app
        self._running = running
        self.consent = consent
        """Every user has agreed to the privacy notice before their first update (the journeys
        of other features); False for the journeys of consent itself."""
        self._agreed: set[int] = set()

    @classmethod
    async def start(
        cls, settings: Settings, kb: KnowledgeBase, state: BotApiState | None = None, consent: bool = True
    ) -> BotHarness:
        """Start the bot (database, menus, broadcast sender) as `bot.py` does, without polling."""
        state = state or BotApiState()
        requests = FakeRequest(state), FakeRequest(state, read_timeout=None)
        app = build_application(replace(settings, token=state.token), kb, requests)
        runtime = app.bot_data["runtime"]
        runtime.flood = FloodGuard(limit=1000)  # scripted users type faster than people; see test_flood
        # Charts in a thread: the chart process post_init spawns and warms would double the
        # suite's time, one per test; what a chart shows does not depend on where it is drawn.
        runtime.charts = ThreadPoolExecutor(max_workers=1)
        running = contextlib.AsyncExitStack()
        await running.enter_async_context(lifecycle.running(app))
        return cls(state, app, running, consent)

    async def stop(self) -> None:
        """Stop the bot as `bot.py` does: the sender, then the Application, then the database."""
        await self._running.aclose()

    @property
    def runtime(self):
        return self.app.bot_data["runtime"]

    async def feed(self, update: dict[str, Any]) -> None:
        """Handle one update, then let the writes queued behind its reply land."""
        parsed = Update.de_json(update, self.app.bot)
        user = parsed.effective_user
        if self.consent and user is not None and not user.is_bot and user.id not in self._agreed:
            self._agreed.add(user.id)
            version = self.runtime.kb.privacy.version
            await self.runtime.store.consents.record(user.id, version, "granted")
        await self.app.process_update(parsed)
        await self.runtime.writes.drain(5.0)

    def _new(self, chat_id: int, before: int) -> list[SentMessage]:
        return self.state.messages(chat_id)[before:]

    async def say(self, user_id: int, text: str, **kwargs: Any) -> list[SentMessage]:
        """The user sends text; returns the bot's new messages in that chat."""
        chat_id = kwargs.get("chat_id") or user_id
        before = len(self.state.messages(chat_id))
        await self.feed(self.state.user_says(user_id, text, **kwargs))
        return self._new(chat_id, before)

    async def send_document(
        self, user_id: int, data: bytes, filename: str, **kwargs: Any
    ) -> list[SentMessage]:
        """The user sends a file in their private chat; returns the bot's new messages there."""
        before = len(self.state.messages(user_id))
        await self.feed(self.state.user_sends_document(user_id, data, filename, **kwargs))
        return self._new(user_id, before)

    async def press(
        self, user_id: int, message: SentMessage, label: str, exact: bool = False
    ) -> list[SentMessage]:
        """Tap the button whose label contains `label` on `message`; returns new messages."""
        data = button_data(message, label, exact)
        return await self.press_data(user_id, message, data)

    async def press_data(
        self, user_id: int, message: SentMessage, data: str, forge: bool = False
    ) -> list[SentMessage]:
        before = len(self.state.messages(message.chat_id))
        await self.feed(
            self.state.press(user_id, message.message_id, data, chat_id=message.chat_id, forge=forge)
        )
        return self._new(message.chat_id, before)

    def last(self, chat_id: int) -> SentMessage:
        return self.state.messages(chat_id)[-1]

    def refreshed(self, message: SentMessage) -> SentMessage:
        """The current state of a message (after edits)."""
        return next(m for m in self.state.messages(message.chat_id) if m.message_id == message.message_id)

    def last_answer(self) -> str | None:
        return self.state.callback_answers[-1][1] if self.state.callback_answers else None


def buttons(message: SentMessage) -> list[tuple[str, str]]:
    """(label, callback_data) of every inline button of a message."""
    markup = message.reply_markup or {}
    return [
        (button["text"], button.get("callback_data", ""))
        for row in markup.get("inline_keyboard", [])
        for button in row
    ]


def button_data(message: SentMessage, label: str, exact: bool = False) -> str:
    for text, data in buttons(message):
        if (text == label) if exact else (label in text):
            return data
    raise AssertionError(f"no button {label!r} in {[t for t, _ in buttons(message)]}")


def settings_for(tmp: Path, database: Path | str | None = None, **changes: Any) -> Settings:
    """Settings for a test bot over `database`: an SQLite file (default: one in `tmp`) or a
    PostgreSQL URL (the `database` fixture gives one of each)."""
    base = Settings(token="123456:TEST-TOKEN", db_path=tmp / "advisor.db", knowledge_dir=Path("knowledge"))
    if isinstance(database, str):
        base = replace(base, db_url=database)
    elif database is not None:
        base = replace(base, db_path=database)
    return replace(base, **changes)
