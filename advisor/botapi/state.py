"""One in-memory Bot API: what the fake request layer and the HTTP emulator both talk to.

It answers the methods the bot uses with dicts shaped like Telegram's, applies `rules` to
everything the bot sends, simulates users (messages, button presses, blocking), and records
what the bot did so tests and the sandbox can inspect or wait for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import mimetypes
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import IO, Any, TypeVar

from advisor.botapi import rules
from advisor.botapi.rules import ApiError, bad_request, forbidden

T = TypeVar("T")
FileInput = bytes | tuple[Any, ...]

_DEFAULT_SKIPPED_UPDATES = {"chat_member", "message_reaction", "message_reaction_count"}
_CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
_COMMAND_AT_START = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


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
class StoredFile:
    """An uploaded file, served back under its file_path like Telegram's file endpoint."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    filename: str | None = None
    mime_type: str | None = None


@dataclass
class _User:
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


class _Signal:
    """Wake every waiter; usable from sync code (no lock), bound to a loop only when awaited."""

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None

    def fire(self) -> None:
        if self._event is not None:
            self._event.set()
            self._event = None

    async def wait(self, timeout: float) -> None:
        if self._event is None:
            self._event = asyncio.Event()
        await asyncio.wait_for(self._event.wait(), timeout)


class _Params:
    """Bot API parameters arrive as form strings (objects JSON-encoded) or as JSON values."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.raw.get(name)
        if value is None:
            return default
        return value if isinstance(value, str) else str(value)

    def _converted(self, name: str, default: Any, convert: Callable[[Any], Any]) -> Any:
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        try:
            return convert(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def integer(self, name: str, default: int | None = None) -> int | None:
        return self._converted(name, default, int)

    def number(self, name: str, default: float = 0.0) -> float:
        return self._converted(name, default, float)

    def flag(self, name: str) -> bool:
        value = self.raw.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def obj(self, name: str, default: Any = None) -> Any:
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value

    def chat_id(self) -> int | str:
        value = self.raw.get("chat_id")
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        if isinstance(value, str) and value.startswith("@"):
            return value
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None


class BotApiState:
    """The emulated Bot API server: chats, messages, updates, files, limits — all in memory."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_id: int | None = None,
        bot_username: str = "htx_advisor_bot",
        global_rate: rules.RateSpec = None,
        per_chat_rate: rules.RateSpec = None,
        clock: Callable[[], float] = time.monotonic,
        *,
        group_rate: rules.RateSpec = None,
        bot_name: str = "HTX Advisor",
    ) -> None:
        self.token = token
        self.bot_id = bot_id if bot_id is not None else int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.limiter = rules.RateLimiter(global_rate, per_chat_rate, group_rate, clock=clock)
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
        self._users: dict[int, _User] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._history: dict[int, list[SentMessage]] = {}
        self._next_message_id: dict[int, int] = {}
        self._files: dict[str, StoredFile] = {}
        self._file_paths: dict[str, StoredFile] = {}
        self._file_counter = itertools.count(1)
        self._callback_counter = itertools.count(1)
        self.pending_callbacks: dict[str, dict[str, Any]] = {}
        # getUpdates.
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._allowed_updates: set[str] | None = None
        self._poll_generation = 0
        self._wake_generation = 0
        self._updates_signal = _Signal()
        # Live observers.
        self._changed = _Signal()
        self._subscribers: list[asyncio.Queue[dict[str, Any]]] = []
        self._read_cursor: dict[int, int] = {}
        self._handlers: dict[str, Callable[[_Params, dict[str, FileInput]], Awaitable[Any]]] = {
            name.removeprefix("_api_").lower(): getattr(self, name)
            for name in dir(self)
            if name.startswith("_api_")
        }

    # --- the Bot API -------------------------------------------------------------------------

    async def call(
        self, method: str, params: dict[str, Any], files: dict[str, FileInput] | None = None
    ) -> Any:
        """Run one Bot API method; raises `ApiError` exactly where Telegram would answer ok=false."""
        self.calls.append((method, dict(params)))
        handler = self._handlers.get(method.lower())
        try:
            if handler is None:
                raise ApiError(404, "Not Found")
            return await handler(_Params(params), files or {})
        except ApiError as exc:
            self.errors.append((method, exc.code, exc.description))
            if exc.code == 429:
                self.too_many_requests += 1
            self._publish(
                {"type": "error", "method": method, "code": exc.code, "description": exc.description}
            )
            raise

    async def handle(
        self, method: str, params: dict[str, Any], files: dict[str, FileInput] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """`call` wrapped in Telegram's JSON envelope: (HTTP status, body)."""
        try:
            result = await self.call(method, params, files)
        except ApiError as exc:
            return exc.code, exc.to_response()
        return 200, {"ok": True, "result": result}

    async def _api_getMe(self, p: _Params, files: dict[str, FileInput]) -> Any:
        return dict(self.bot_user)

    async def _api_logOut(self, p: _Params, files: dict[str, FileInput]) -> Any:
        return True

    async def _api_close(self, p: _Params, files: dict[str, FileInput]) -> Any:
        return True

    async def _api_getUpdates(self, p: _Params, files: dict[str, FileInput]) -> Any:
        if self.webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = p.integer("offset", 0) or 0
        limit = min(max(p.integer("limit", 100) or 100, 1), 100)
        timeout = max(p.number("timeout"), 0.0)  # fractions help tests
        allowed = p.obj("allowed_updates")
        if allowed is not None:
            self._allowed_updates = set(allowed) or None
        self._confirm(offset)
        self._poll_generation += 1
        generation, wake = self._poll_generation, self._wake_generation
        self._updates_signal.fire()  # an older poller still waiting is terminated, as on Telegram
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self._poll_generation != generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            ready = [u for u in self._updates if self._is_allowed(u)]
            remaining = deadline - loop.time()
            if ready or remaining <= 0 or self._wake_generation != wake:
                return ready[:limit]
            with contextlib.suppress(TimeoutError):
                await self._updates_signal.wait(remaining)

    async def _api_deleteWebhook(self, p: _Params, files: dict[str, FileInput]) -> Any:
        self.webhook = {}
        if p.flag("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _api_setWebhook(self, p: _Params, files: dict[str, FileInput]) -> Any:
        url = p.text("url", "") or ""
        if url and not url.startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = {key: value for key, value in p.raw.items() if key != "certificate"} if url else {}
        if p.flag("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _api_getWebhookInfo(self, p: _Params, files: dict[str, FileInput]) -> Any:
        return {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _api_sendMessage(self, p: _Params, files: dict[str, FileInput]) -> Any:
        chat = self._target_chat(p)
        html = p.text("text", "") or ""
        parse_mode = p.text("parse_mode")
        plain, entities = rules.parse_text(html, parse_mode, p.obj("entities"))
        rules.check_message_text(plain)
        markup = self._markup(p)
        reply_to = self._reply_to(chat["id"], p)
        self.limiter.acquire(chat["id"])
        msg = self._add_bot_message(
            chat["id"],
            "text",
            html=html,
            parse_mode=parse_mode,
            text=plain,
            entities=entities,
            reply_markup=markup,
            reply_to_message_id=reply_to,
        )
        return self._message_dict(msg)

    async def _api_sendPhoto(self, p: _Params, files: dict[str, FileInput]) -> Any:
        return await self._send_media(p, files, "photo")

    async def _api_sendDocument(self, p: _Params, files: dict[str, FileInput]) -> Any:
        return await self._send_media(p, files, "document")

    async def _send_media(self, p: _Params, files: dict[str, FileInput], kind: str) -> Any:
        chat = self._target_chat(p)
        html = p.text("caption")
        parse_mode = p.text("parse_mode")
        caption, caption_entities = (None, [])
        if html is not None:
            caption, caption_entities = rules.parse_text(html, parse_mode, p.obj("caption_entities"))
            rules.check_caption(caption)
        markup = self._markup(p)
        reply_to = self._reply_to(chat["id"], p)
        stored = self._media_input(p, files, kind)
        self.limiter.acquire(chat["id"])
        media = self._photo_sizes(stored) if kind == "photo" else self._document_dict(stored)
        msg = self._add_bot_message(
            chat["id"],
            kind,
            html=html,
            parse_mode=parse_mode,
            caption=caption or None,
            caption_entities=caption_entities,
            reply_markup=markup,
            reply_to_message_id=reply_to,
            filename=stored.filename,
            file_id=stored.file_id,
            media=media,
            **{kind: stored.data},
        )
        return self._message_dict(msg)

    async def _api_sendChatAction(self, p: _Params, files: dict[str, FileInput]) -> Any:
        chat = self._target_chat(p)
        action = p.text("action", "") or ""
        if action not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self.chat_actions.append((chat["id"], action))
        self._publish({"type": "chat_action", "chat_id": chat["id"], "action": action})
        return True

    async def _api_editMessageText(self, p: _Params, files: dict[str, FileInput]) -> Any:
        msg = self._editable(p)
        if msg.kind != "text":
            raise bad_request("there is no text in the message to edit")
        html = p.text("text", "") or ""
        parse_mode = p.text("parse_mode")
        plain, entities = rules.parse_text(html, parse_mode, p.obj("entities"))
        rules.check_message_text(plain, editing=True)
        markup = self._markup(p, editing=True)
        if (plain, entities, markup) == (msg.text, msg.entities, msg.reply_markup):
            raise bad_request(_NOT_MODIFIED)
        msg.html, msg.parse_mode, msg.text, msg.entities = html, parse_mode, plain, entities
        return self._edited(msg, markup)

    async def _api_editMessageCaption(self, p: _Params, files: dict[str, FileInput]) -> Any:
        msg = self._editable(p)
        if msg.kind == "text":
            raise bad_request("there is no caption in the message to edit")
        html = p.text("caption")
        parse_mode = p.text("parse_mode")
        caption, entities = rules.parse_text(html or "", parse_mode, p.obj("caption_entities"))
        rules.check_caption(caption)
        markup = self._markup(p, editing=True)
        if (caption or None, entities, markup) == (msg.caption, msg.caption_entities, msg.reply_markup):
            raise bad_request(_NOT_MODIFIED)
        msg.html, msg.parse_mode, msg.caption, msg.caption_entities = (
            html,
            parse_mode,
            caption or None,
            entities,
        )
        return self._edited(msg, markup)

    async def _api_editMessageReplyMarkup(self, p: _Params, files: dict[str, FileInput]) -> Any:
        msg = self._editable(p)
        markup = self._markup(p, editing=True)
        if markup == msg.reply_markup:
            raise bad_request(_NOT_MODIFIED)
        return self._edited(msg, markup)

    async def _api_deleteMessage(self, p: _Params, files: dict[str, FileInput]) -> Any:
        msg = self._message(p, "message to delete not found")
        chat_id, message_id = msg.chat_id, msg.message_id
        msg.deleted = True
        self._publish({"type": "delete", "chat_id": chat_id, "message_id": message_id})
        return True

    async def _api_answerCallbackQuery(self, p: _Params, files: dict[str, FileInput]) -> Any:
        query_id = p.text("callback_query_id", "") or ""
        text = p.text("text")
        rules.check_callback_answer(text)
        query = self.pending_callbacks.pop(query_id, None)
        if query is None:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        show_alert = p.flag("show_alert")
        self.callback_answers.append((query_id, text, show_alert))
        self._publish(
            {
                "type": "callback_answer",
                "callback_query_id": query_id,
                "user_id": query["from"]["id"],
                "text": text,
                "show_alert": show_alert,
                "url": p.text("url"),
            }
        )
        return True

    async def _api_getFile(self, p: _Params, files: dict[str, FileInput]) -> Any:
        stored = self._files.get(p.text("file_id", "") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.data) > rules.MAX_DOWNLOAD_BYTES:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    async def _api_getChat(self, p: _Params, files: dict[str, FileInput]) -> Any:
        chat = dict(self._chats[self._known_chat_id(p)])
        chat.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return chat

    async def _api_setMyCommands(self, p: _Params, files: dict[str, FileInput]) -> Any:
        commands = p.obj("commands", [])
        rules.check_commands(commands)
        key = self._commands_key(p)
        if commands:
            self.commands[key] = [
                {"command": c["command"], "description": c["description"]} for c in commands
            ]
        else:
            self.commands.pop(key, None)
        self._publish({"type": "commands", "scope": key[0], "language_code": key[1], "commands": commands})
        return True

    async def _api_getMyCommands(self, p: _Params, files: dict[str, FileInput]) -> Any:
        return list(self.commands.get(self._commands_key(p), []))

    async def _api_deleteMyCommands(self, p: _Params, files: dict[str, FileInput]) -> Any:
        self.commands.pop(self._commands_key(p), None)
        return True

    async def _api_setMyDescription(self, p: _Params, files: dict[str, FileInput]) -> Any:
        return self._set_text(p, "description", self.descriptions, short=False)

    async def _api_setMyShortDescription(self, p: _Params, files: dict[str, FileInput]) -> Any:
        return self._set_text(p, "short_description", self.short_descriptions, short=True)

    async def _api_getMyDescription(self, p: _Params, files: dict[str, FileInput]) -> Any:
        return {"description": self.descriptions.get(self._language(p), "")}

    async def _api_getMyShortDescription(self, p: _Params, files: dict[str, FileInput]) -> Any:
        return {"short_description": self.short_descriptions.get(self._language(p), "")}

    # --- helpers for the methods ---------------------------------------------------------------

    def _known_chat_id(self, p: _Params) -> int:
        chat_id = p.chat_id()
        if isinstance(chat_id, str):
            found = [
                c for c in self._chats.values() if c.get("username") == chat_id[1:] and c["type"] != "private"
            ]
            if not found:
                raise bad_request("chat not found")
            return found[0]["id"]
        if chat_id not in self._chats:
            raise bad_request("chat not found")
        return chat_id

    def _target_chat(self, p: _Params) -> dict[str, Any]:
        """The chat a send goes to, refusing unknown chats and users who blocked the bot."""
        chat = self._chats[self._known_chat_id(p)]
        user = self._users.get(chat["id"]) if chat["type"] == "private" else None
        if user is not None and user.blocked:
            raise forbidden("bot was blocked by the user")
        if user is not None and not user.started:
            raise forbidden("bot can't initiate conversation with a user")
        return chat

    def _markup(self, p: _Params, *, editing: bool = False) -> dict[str, Any] | None:
        markup = p.obj("reply_markup")
        rules.check_reply_markup(markup)
        if editing and markup is not None and "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected")
        return markup

    def _reply_to(self, chat_id: int, p: _Params) -> int | None:
        params = p.obj("reply_parameters") or {}
        message_id = params.get("message_id") or p.integer("reply_to_message_id")
        if message_id is None:
            return None
        msg = self._find(chat_id, int(message_id))
        if msg is None or msg.deleted:
            if params.get("allow_sending_without_reply") or p.flag("allow_sending_without_reply"):
                return None
            raise bad_request("message to be replied not found")
        return msg.message_id

    def _message(self, p: _Params, missing: str) -> SentMessage:
        """The message `chat_id` + `message_id` name; `missing` is Telegram's 400 if there is none."""
        chat_id = self._known_chat_id(p)
        message_id = p.integer("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        msg = self._find(chat_id, message_id)
        if msg is None or msg.deleted:
            raise bad_request(missing)
        return msg

    def _editable(self, p: _Params) -> SentMessage:
        if p.text("inline_message_id"):
            raise bad_request("inline messages are not supported by this emulator")
        msg = self._message(p, "message to edit not found")
        if not msg.from_bot:
            raise bad_request("message can't be edited")
        return msg

    def _edited(self, msg: SentMessage, markup: dict[str, Any] | None) -> dict[str, Any]:
        # Like Telegram, an edit without reply_markup removes the inline keyboard.
        msg.reply_markup = markup
        msg.edits += 1
        self._publish({"type": "edit", "chat_id": msg.chat_id, "message": msg.to_dict()})
        return self._message_dict(msg, edited=True)

    def _commands_key(self, p: _Params) -> tuple[str, str]:
        scope = p.obj("scope") or {"type": "default"}
        rules.check_scope(scope)
        return json.dumps(scope, sort_keys=True), self._language(p)

    def _language(self, p: _Params) -> str:
        code = p.text("language_code", "") or ""
        rules.check_language_code(code)
        return code

    def _set_text(self, p: _Params, name: str, store: dict[str, str], *, short: bool) -> bool:
        text = p.text(name, "") or ""
        rules.check_description(text, short=short)
        language = self._language(p)
        if text:
            store[language] = text
        else:
            store.pop(language, None)
        return True

    def commands_for(
        self, language_code: str = "", scope: dict[str, Any] | None = None
    ) -> list[dict[str, str]]:
        """The command menu stored for a scope (default scope if None) and language."""
        return self.commands.get(
            (json.dumps(scope or {"type": "default"}, sort_keys=True), language_code), []
        )

    # --- files ------------------------------------------------------------------------------

    def upload(
        self,
        data: bytes,
        *,
        filename: str | None = None,
        kind: str = "document",
        mime_type: str | None = None,
    ) -> StoredFile:
        """Store a file as if it had been uploaded; also for simulated users sending files."""
        n = next(self._file_counter)
        prefix = "AgAC" if kind == "photo" else "BQAC"
        if kind == "photo":
            folder, suffix = "photos", "jpg"  # Telegram re-encodes every photo as JPEG
        else:
            folder = "documents"
            suffix = filename.rpartition(".")[2] if filename and "." in filename else "bin"
        stored = StoredFile(
            file_id=f"{prefix}EMU{n:06d}",
            file_unique_id=f"AQADEMU{n}",
            file_path=f"{folder}/file_{n}.{suffix}",
            data=data,
            filename=filename,
            mime_type=mime_type or (mimetypes.guess_type(filename)[0] if filename else None),
        )
        self._files[stored.file_id] = stored
        self._file_paths[stored.file_path] = stored
        return stored

    def file_bytes(self, file_path: str) -> bytes | None:
        stored = self._file_paths.get(file_path)
        return stored.data if stored else None

    def _media_input(self, p: _Params, files: dict[str, FileInput], kind: str) -> StoredFile:
        value = p.raw.get(kind)
        upload: FileInput | None = files.get(kind)
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
        if upload is not None:
            filename, data, mime = _unpack_file(upload)
            if kind == "photo":
                rules.check_photo(data)
            else:
                rules.check_document(data)
            return self.upload(
                data, filename=filename or (None if kind == "photo" else "file"), kind=kind, mime_type=mime
            )
        if isinstance(value, str) and value in self._files:
            return self._files[value]
        if isinstance(value, str) and re.match(r"https?://", value):
            # Telegram would download it; the emulator has no network, so it keeps a placeholder.
            return self.upload(b"", filename=value.rsplit("/", 1)[-1] or None, kind=kind)
        if not value:
            raise bad_request(f"there is no {kind} in the request")
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _photo_sizes(self, stored: StoredFile) -> list[dict[str, Any]]:
        width, height = rules.image_size(stored.data) or (800, 600)
        full = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": width,
            "height": height,
            "file_size": len(stored.data),
        }
        if max(width, height) <= 90:
            return [full]
        scale = 90 / max(width, height)
        thumb = {
            "file_id": stored.file_id + "s",
            "file_unique_id": stored.file_unique_id + "s",
            "width": max(1, round(width * scale)),
            "height": max(1, round(height * scale)),
        }
        self._files[thumb["file_id"]] = stored
        return [thumb, full]

    @staticmethod
    def _document_dict(stored: StoredFile) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        if stored.filename:
            doc["file_name"] = stored.filename
        if stored.mime_type:
            doc["mime_type"] = stored.mime_type
        return doc

    # --- messages ---------------------------------------------------------------------------

    def _new_message_id(self, chat_id: int) -> int:
        self._next_message_id[chat_id] = self._next_message_id.get(chat_id, 0) + 1
        return self._next_message_id[chat_id]

    def _add_bot_message(self, chat_id: int, kind: str, **fields: Any) -> SentMessage:
        msg = SentMessage(
            message_id=self._new_message_id(chat_id),
            chat_id=chat_id,
            kind=kind,
            date=int(time.time()),
            **fields,
        )
        self._history.setdefault(chat_id, []).append(msg)
        self._publish({"type": "message", "chat_id": chat_id, "message": msg.to_dict()})
        return msg

    def _find(self, chat_id: int, message_id: int) -> SentMessage | None:
        for msg in self._history.get(chat_id, []):
            if msg.message_id == message_id:
                return msg
        return None

    def _message_dict(
        self, msg: SentMessage, *, edited: bool = False, nested: bool = False
    ) -> dict[str, Any]:
        """The Message object Telegram would return for `msg`."""
        if not msg.from_bot and msg.payload is not None:
            return msg.payload
        data: dict[str, Any] = {
            "message_id": msg.message_id,
            "from": dict(self.bot_user),
            "chat": dict(self._chats[msg.chat_id]),
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
            replied = self._find(msg.chat_id, msg.reply_to_message_id)
            if replied is not None:
                data["reply_to_message"] = self._message_dict(replied, nested=True)
        return data

    def messages(self, chat_id: int, *, include_user: bool = False) -> list[SentMessage]:
        """What the bot sent to `chat_id`, oldest first (deleted ones flagged, not removed)."""
        return [m for m in self._history.get(chat_id, []) if m.from_bot or include_user]

    def last_message(self, chat_id: int) -> SentMessage:
        sent = self.messages(chat_id)
        if not sent:
            raise LookupError(f"the bot sent nothing to chat {chat_id}")
        return sent[-1]

    # --- simulated users --------------------------------------------------------------------

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
        user = self._users.get(user_id)
        if user is None:
            user = self._users[user_id] = _User(user_id, first_name, username, language_code, started=started)
        else:
            user.first_name, user.username, user.language_code = first_name, username, language_code
            user.started = user.started or started
        chat = {"id": user_id, "type": "private", "first_name": user.first_name}
        if user.username:
            chat["username"] = user.username
        self._chats[user_id] = chat
        return user.to_dict()

    def user_says(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "An",
        username: str | None = None,
        language_code: str | None = "vi",
        reply_to_message_id: int | None = None,
        title: str | None = None,
    ) -> dict[str, Any]:
        """A user sends `text`; returns the update (also queued for getUpdates)."""
        if not text:
            raise ValueError("a user cannot send an empty message")
        sender = self.add_user(
            user_id,
            first_name=first_name,
            username=username,
            language_code=language_code,
            started=chat_type == "private",
        )
        chat_id = self._user_chat(user_id, chat_id, chat_type, title)
        if chat_type == "private" and self._users[user_id].blocked:
            self.unblock(user_id)  # writing to a bot you blocked means restarting it first
        message: dict[str, Any] = {
            "message_id": self._new_message_id(chat_id),
            "from": sender,
            "chat": dict(self._chats[chat_id]),
            "date": int(time.time()),
            "text": text,
        }
        command = _COMMAND_AT_START.match(text)
        if command:
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": rules.utf16_len(command.group())}
            ]
        if reply_to_message_id is not None:
            replied = self._find(chat_id, reply_to_message_id)
            if replied is None:
                raise ValueError(f"no message {reply_to_message_id} in chat {chat_id} to reply to")
            message["reply_to_message"] = self._message_dict(replied, nested=True)
        self._store_user_message(chat_id, message, kind="text", text=text)
        return self._queue_update("message", message)

    def press(
        self, user_id: int, message_id: int, data: str, *, chat_id: int | None = None, forge: bool = False
    ) -> dict[str, Any]:
        """A user taps an inline button; refuses buttons that do not exist unless `forge=True`."""
        chat_id = user_id if chat_id is None else chat_id
        msg = self._find(chat_id, message_id)
        if not forge:
            if msg is None or msg.deleted or not msg.from_bot:
                raise ValueError(f"no bot message {message_id} in chat {chat_id}")
            offered = rules.inline_callback_data(msg.reply_markup)
            if data not in offered:
                raise ValueError(f"message {message_id} has no button {data!r} (it has {sorted(offered)})")
        user = self._users.get(user_id)
        sender = user.to_dict() if user else self.add_user(user_id)
        if chat_id not in self._chats:
            raise ValueError(f"chat {chat_id} is unknown")
        query: dict[str, Any] = {
            "id": f"{user_id}{next(self._callback_counter):06d}",
            "from": sender,
            "chat_instance": str(abs(chat_id) * 31 + 7),
            "data": data,
        }
        if msg is not None and not msg.deleted:
            query["message"] = self._message_dict(msg)
        else:
            query["message"] = {"chat": dict(self._chats[chat_id]), "message_id": message_id, "date": 0}
        self.pending_callbacks[query["id"]] = query
        return self._queue_update("callback_query", query)

    def send_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Any other update (sticker, photo, edited_message, ...); message-like payloads are completed."""
        payload = dict(payload)
        if kind in ("message", "edited_message", "channel_post", "edited_channel_post"):
            chat = payload.get("chat")
            if not isinstance(chat, dict) or "id" not in chat:
                raise ValueError(f"a {kind} payload needs chat.id")
            sender = payload.get("from")
            if isinstance(sender, dict) and chat.get("type", "private") == "private":
                self.add_user(
                    sender["id"],
                    first_name=sender.get("first_name", "An"),
                    username=sender.get("username"),
                    language_code=sender.get("language_code"),
                )
            self._chats.setdefault(chat["id"], {"type": "private", **chat})
            payload.setdefault("date", int(time.time()))
            if kind == "message":
                payload.setdefault("message_id", self._new_message_id(chat["id"]))
                self._store_user_message(chat["id"], payload, kind="other", text=payload.get("text"))
        return self._queue_update(kind, payload)

    def block(self, user_id: int) -> dict[str, Any] | None:
        """The user blocks the bot: sends now fail with 403; emits my_chat_member (kicked)."""
        return self._set_blocked(user_id, True)

    def unblock(self, user_id: int) -> dict[str, Any] | None:
        return self._set_blocked(user_id, False)

    def _set_blocked(self, user_id: int, blocked: bool) -> dict[str, Any] | None:
        if user_id not in self._users:
            self.add_user(user_id)
        user = self._users[user_id]
        if user.blocked == blocked:
            return None
        user.blocked = blocked
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        new_member: dict[str, Any] = {"status": new, "user": dict(self.bot_user)}
        old_member: dict[str, Any] = {"status": old, "user": dict(self.bot_user)}
        for member in (new_member, old_member):
            if member["status"] == "kicked":
                member["until_date"] = 0
        self._publish({"type": "block", "user_id": user_id, "blocked": blocked})
        return self._queue_update(
            "my_chat_member",
            {
                "chat": dict(self._chats[user_id]),
                "from": user.to_dict(),
                "date": int(time.time()),
                "old_chat_member": old_member,
                "new_chat_member": new_member,
            },
        )

    def _user_chat(self, user_id: int, chat_id: int | None, chat_type: str, title: str | None) -> int:
        if chat_type == "private":
            if chat_id not in (None, user_id):
                raise ValueError("a private chat's id is the user's id")
            return user_id
        if chat_id is None or chat_id >= 0:
            raise ValueError("group chats need a negative chat_id")
        chat = self._chats.setdefault(chat_id, {"id": chat_id, "type": chat_type, "title": title or "Group"})
        if title:
            chat["title"] = title
        return chat_id

    def _store_user_message(
        self, chat_id: int, message: dict[str, Any], *, kind: str, text: str | None
    ) -> None:
        reply = message.get("reply_to_message")
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
        )
        self._history.setdefault(chat_id, []).append(msg)
        self._publish({"type": "user_message", "chat_id": chat_id, "message": msg.to_dict()})

    # --- updates ----------------------------------------------------------------------------

    def _queue_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self._updates.append(update)
        self._updates_signal.fire()
        return update

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            self._updates = self._updates[offset:]
        elif offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    def _is_allowed(self, update: dict[str, Any]) -> bool:
        kind = next(key for key in update if key != "update_id")
        if self._allowed_updates is None:
            return kind not in _DEFAULT_SKIPPED_UPDATES
        return kind in self._allowed_updates

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return list(self._updates)

    def wake_pollers(self) -> None:
        """Make waiting getUpdates calls return now (used when the server shuts down)."""
        self._wake_generation += 1
        self._updates_signal.fire()

    # --- observing --------------------------------------------------------------------------

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        """A queue of every event from now on: message, edit, delete, callback_answer, error ..."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._subscribers.append(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        if queue in self._subscribers:
            self._subscribers.remove(queue)

    def _publish(self, event: dict[str, Any]) -> None:
        for queue in self._subscribers:
            queue.put_nowait(event)
        self._changed.fire()

    async def wait_for(self, check: Callable[[], T | None], timeout: float = 5.0) -> T:
        """Wait until `check()` returns something other than None (re-checked on every event)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = check()
            if result is not None:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"nothing matched within {timeout} s; last calls: {self.calls[-5:]}")
            with contextlib.suppress(TimeoutError):
                await self._changed.wait(remaining)

    async def wait_for_message(self, chat_id: int, timeout: float = 5.0) -> SentMessage:
        """The next bot message to `chat_id` not yet returned by this method (a per-chat cursor)."""

        def next_unread() -> SentMessage | None:
            sent = self.messages(chat_id)
            cursor = self._read_cursor.get(chat_id, 0)
            return sent[cursor] if cursor < len(sent) else None

        msg = await self.wait_for(next_unread, timeout)
        self._read_cursor[chat_id] = self._read_cursor.get(chat_id, 0) + 1
        return msg

    def builder(self) -> Any:
        """A PTB ApplicationBuilder wired to this state in-process (see fake_request)."""
        from advisor.botapi.fake_request import application_builder

        return application_builder(self)


def _unpack_file(upload: FileInput) -> tuple[str | None, bytes, str | None]:
    """bytes, or PTB/aiohttp style (filename, bytes-or-file, mime type)."""
    if isinstance(upload, bytes | bytearray):
        return None, bytes(upload), None
    filename = upload[0] if upload else None
    content: bytes | IO[bytes] = upload[1] if len(upload) > 1 else b""
    mime = upload[2] if len(upload) > 2 else None
    data = content if isinstance(content, bytes | bytearray) else content.read()
    return filename, bytes(data), mime
