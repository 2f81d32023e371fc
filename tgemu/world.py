"""What the emulated Telegram holds: the bot, users, chats and their messages, files, updates.

The Bot API methods (`tgemu.methods`) and the simulated users (`tgemu.state`) both act on
this world; it also records what the bot did, so tests and the sandbox can inspect it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tgemu import flood
from tgemu.errors import bad_request, forbidden
from tgemu.events import Events
from tgemu.files import FileStore, StoredFile
from tgemu.updates import UpdateQueue

T = TypeVar("T")


@dataclass
class SentMessage:
    """A message in a chat as the emulator keeps it (the bot's, or a simulated user's)."""

    message_id: int
    chat_id: int
    kind: str  # "text", "photo", "document" (or "other" for simulated user payloads)
    date: int
    html: str | None = None  # text or caption exactly as the bot sent it
    parse_mode: str | None = None
    text: str | None = None  # after entity parsing
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    photo: bytes | None = None
    document: bytes | None = None
    filename: str | None = None
    file_id: str | None = None
    media: Any = None  # the Bot API `photo` list or `document` dict
    reply_to_message_id: int | None = None
    edits: int = 0
    deleted: bool = False
    from_bot: bool = True
    payload: dict[str, Any] | None = None  # a user message's dict as delivered to the bot

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe view for the control API and the event stream (no raw bytes)."""
        data = {
            key: getattr(self, key)
            for key in (
                "message_id",
                "chat_id",
                "kind",
                "date",
                "from_bot",
                "html",
                "parse_mode",
                "text",
                "entities",
                "caption",
                "caption_entities",
                "reply_markup",
                "filename",
                "file_id",
                "reply_to_message_id",
                "edits",
                "deleted",
            )
        }
        if self.payload is not None:
            data["payload"] = self.payload
        return data


@dataclass
class User:
    """A simulated Telegram user; `started` is false until they open the bot themselves."""

    id: int
    first_name: str
    username: str | None
    language_code: str | None
    blocked: bool = False
    started: bool = True

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


class World:
    """The emulated Bot API server's memory: chats, messages, updates, files, limits."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_id: int | None = None,
        bot_username: str = "htx_advisor_bot",
        global_rate: flood.RateSpec = None,
        per_chat_rate: flood.RateSpec = None,
        clock: Callable[[], float] = time.monotonic,
        *,
        group_rate: flood.RateSpec = None,
        bot_name: str = "HTX Advisor",
    ) -> None:
        self.token = token
        self.bot_id = bot_id if bot_id is not None else int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.limiter = flood.RateLimiter(global_rate, per_chat_rate, group_rate, clock=clock)
        self.bot_user: dict[str, Any] = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        # What the bot did, for tests to inspect.
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.callback_answers: list[tuple[str, str | None, bool]] = []
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        self.chat_actions: list[tuple[int | str, str]] = []
        self.errors: list[tuple[str, int, str]] = []
        self.too_many_requests = 0
        self.webhook: dict[str, Any] = {}
        # The world the bot talks to.
        self.users: dict[int, User] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self.pending_callbacks: dict[str, dict[str, Any]] = {}
        self.files = FileStore()
        self.updates = UpdateQueue()
        self.events = Events()
        self._history: dict[int, list[SentMessage]] = {}
        self._next_message_id: dict[int, int] = {}
        self._read_cursor: dict[int, int] = {}
        self._callback_ids = itertools.count(1)

    # --- chats -----------------------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        *,
        first_name: str = "An",
        username: str | None = None,
        language_code: str | None = "vi",
        started: bool = True,
    ) -> dict[str, Any]:
        """Make a user (and their private chat) known, as if they had opened the bot."""
        user = self.users.get(user_id)
        if user is None:
            user = self.users[user_id] = User(user_id, first_name, username, language_code, started=started)
        else:
            user.first_name, user.username, user.language_code = first_name, username, language_code
            user.started = user.started or started
        chat = {"id": user_id, "type": "private", "first_name": user.first_name}
        if user.username:
            chat["username"] = user.username
        self.chats[user_id] = chat
        return user.to_dict()

    def known_chat_id(self, chat_id: int | str) -> int:
        """The id of a known chat (`@username` names a public group or channel), else 400."""
        if isinstance(chat_id, str):
            found = [
                c for c in self.chats.values() if c.get("username") == chat_id[1:] and c["type"] != "private"
            ]
            if not found:
                raise bad_request("chat not found")
            return found[0]["id"]
        if chat_id not in self.chats:
            raise bad_request("chat not found")
        return chat_id

    def target_chat(self, chat_id: int | str) -> dict[str, Any]:
        """The chat a send goes to, refusing unknown chats and users who blocked the bot."""
        chat = self.chats[self.known_chat_id(chat_id)]
        user = self.users.get(chat["id"]) if chat["type"] == "private" else None
        if user is not None and user.blocked:
            raise forbidden("bot was blocked by the user")
        if user is not None and not user.started:
            raise forbidden("bot can't initiate conversation with a user")
        return chat

    def commands_for(
        self, language_code: str = "", scope: dict[str, Any] | None = None
    ) -> list[dict[str, str]]:
        """The command menu stored for a scope (default scope if None) and language."""
        return self.commands.get(
            (json.dumps(scope or {"type": "default"}, sort_keys=True), language_code), []
        )

    # --- messages ---------------------------------------------------------------------------

    def new_message_id(self, chat_id: int) -> int:
        self._next_message_id[chat_id] = self._next_message_id.get(chat_id, 0) + 1
        return self._next_message_id[chat_id]

    def add_bot_message(self, chat_id: int, kind: str, **fields: Any) -> SentMessage:
        msg = SentMessage(
            message_id=self.new_message_id(chat_id),
            chat_id=chat_id,
            kind=kind,
            date=int(time.time()),
            **fields,
        )
        self._history.setdefault(chat_id, []).append(msg)
        self.events.publish({"type": "message", "chat_id": chat_id, "message": msg.to_dict()})
        return msg

    def add_user_message(self, chat_id: int, message: dict[str, Any], *, kind: str, text: str | None) -> None:
        """Keep a simulated user's message (as delivered to the bot) in the chat's history."""
        reply = message.get("reply_to_message")
        document = message.get("document") or {}
        msg = SentMessage(
            message_id=message["message_id"],
            chat_id=chat_id,
            kind=kind,
            date=message["date"],
            text=text,
            entities=message.get("entities", []),
            from_bot=False,
            payload=message,
            reply_to_message_id=reply["message_id"] if reply else None,
            filename=document.get("file_name"),
            file_id=document.get("file_id"),
            media=document or None,
        )
        self._history.setdefault(chat_id, []).append(msg)
        self.events.publish({"type": "user_message", "chat_id": chat_id, "message": msg.to_dict()})

    def find(self, chat_id: int, message_id: int) -> SentMessage | None:
        for msg in self._history.get(chat_id, []):
            if msg.message_id == message_id:
                return msg
        return None

    def message_dict(self, msg: SentMessage, *, edited: bool = False, nested: bool = False) -> dict[str, Any]:
        """The Message object Telegram would return for `msg`."""
        if not msg.from_bot and msg.payload is not None:
            return msg.payload
        data: dict[str, Any] = {
            "message_id": msg.message_id,
            "from": dict(self.bot_user),
            "chat": dict(self.chats[msg.chat_id]),
            "date": msg.date,
        }
        if msg.kind == "text":
            data["text"] = msg.text
            if msg.entities:
                data["entities"] = msg.entities
        else:
            data[msg.kind] = msg.media
            if msg.caption:
                data["caption"] = msg.caption
                if msg.caption_entities:
                    data["caption_entities"] = msg.caption_entities
        if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
            data["reply_markup"] = msg.reply_markup
        if edited or msg.edits:
            data["edit_date"] = int(time.time())
        if msg.reply_to_message_id is not None and not nested:
            replied = self.find(msg.chat_id, msg.reply_to_message_id)
            if replied is not None:
                data["reply_to_message"] = self.message_dict(replied, nested=True)
        return data

    def messages(self, chat_id: int, *, include_user: bool = False) -> list[SentMessage]:
        """What the bot sent to `chat_id`, oldest first (deleted ones flagged, not removed)."""
        return [m for m in self._history.get(chat_id, []) if m.from_bot or include_user]

    def last_message(self, chat_id: int) -> SentMessage:
        sent = self.messages(chat_id)
        if not sent:
            raise LookupError(f"the bot sent nothing to chat {chat_id}")
        return sent[-1]

    # --- files, updates and observers, for tests and transports ------------------------------

    def upload(self, data: bytes, **options: Any) -> StoredFile:
        """Store a file as if it had been uploaded (see `FileStore.upload`)."""
        return self.files.upload(data, **options)

    def file_bytes(self, file_path: str) -> bytes | None:
        return self.files.data_at(file_path)

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return self.updates.pending

    def wake_pollers(self) -> None:
        """Make waiting getUpdates calls return now (used when the server shuts down)."""
        self.updates.wake_pollers()

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        """A queue of every event from now on: message, edit, delete, callback_answer, error ..."""
        return self.events.subscribe()

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self.events.unsubscribe(queue)

    async def wait_for(self, check: Callable[[], T | None], timeout: float = 5.0) -> T:
        """Wait until `check()` returns something other than None or False (re-checked on every event)."""
        return await self.events.wait_for(check, timeout, lambda: f"last calls: {self.calls[-5:]}")

    async def wait_for_message(self, chat_id: int, timeout: float = 5.0) -> SentMessage:
        """The next bot message to `chat_id` not yet returned by this method (a per-chat cursor)."""

        def next_unread() -> SentMessage | None:
            sent = self.messages(chat_id)
            cursor = self._read_cursor.get(chat_id, 0)
            return sent[cursor] if cursor < len(sent) else None

        msg = await self.wait_for(next_unread, timeout)
        self._read_cursor[chat_id] = self._read_cursor.get(chat_id, 0) + 1
        return msg
