"""The emulated Bot API: the world, its methods dispatched by name, and simulated users.

`call`/`handle` are what the transports (`tgemu.request` in-process, `tgemu.server` over
HTTP) send the bot's requests to; `user_says`, `press`, `block` ... are how tests and the
sandbox page play the people on the other side.
"""

from __future__ import annotations

import mimetypes
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tgemu import html
from tgemu.errors import ApiError
from tgemu.files import FileInput
from tgemu.methods import bot, messages, updates
from tgemu.methods.params import Params
from tgemu.rules import inline_callback_data
from tgemu.world import World

Method = Callable[[World, Params, dict[str, FileInput]], Awaitable[Any]]

METHODS: dict[str, Method] = {
    name.lower(): method
    for name, method in {
        "getMe": bot.get_me,
        "logOut": bot.log_out,
        "close": bot.close,
        "getFile": bot.get_file,
        "getChat": bot.get_chat,
        "setMyCommands": bot.set_my_commands,
        "getMyCommands": bot.get_my_commands,
        "deleteMyCommands": bot.delete_my_commands,
        "setMyDescription": bot.set_my_description,
        "setMyShortDescription": bot.set_my_short_description,
        "getMyDescription": bot.get_my_description,
        "getMyShortDescription": bot.get_my_short_description,
        "getUpdates": updates.get_updates,
        "deleteWebhook": updates.delete_webhook,
        "setWebhook": updates.set_webhook,
        "getWebhookInfo": updates.get_webhook_info,
        "sendMessage": messages.send_message,
        "sendPhoto": messages.send_photo,
        "sendDocument": messages.send_document,
        "sendChatAction": messages.send_chat_action,
        "editMessageText": messages.edit_message_text,
        "editMessageCaption": messages.edit_message_caption,
        "editMessageReplyMarkup": messages.edit_message_reply_markup,
        "deleteMessage": messages.delete_message,
        "answerCallbackQuery": messages.answer_callback_query,
    }.items()
}
"""Method names are case-insensitive, as on Telegram."""

_COMMAND_AT_START = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


class BotApiState(World):
    """The emulated Bot API server: chats, messages, updates, files, limits — all in memory."""

    # --- the Bot API -------------------------------------------------------------------------

    async def call(
        self, method: str, params: dict[str, Any], files: dict[str, FileInput] | None = None
    ) -> Any:
        """Run one Bot API method; raises `ApiError` exactly where Telegram would answer ok=false."""
        self.calls.append((method, dict(params)))
        handler = METHODS.get(method.lower())
        try:
            if handler is None:
                raise ApiError(404, "Not Found")
            return await handler(self, Params(params), files or {})
        except ApiError as exc:
            self.errors.append((method, exc.code, exc.description))
            if exc.code == 429:
                self.too_many_requests += 1
            self.events.publish(
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

    # --- simulated users --------------------------------------------------------------------

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
        if chat_type == "private" and self.users[user_id].blocked:
            self.unblock(user_id)  # writing to a bot you blocked means restarting it first
        message: dict[str, Any] = {
            "message_id": self.new_message_id(chat_id),
            "from": sender,
            "chat": dict(self.chats[chat_id]),
            "date": int(time.time()),
            "text": text,
        }
        command = _COMMAND_AT_START.match(text)
        if command:
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": html.utf16_len(command.group())}
            ]
        if reply_to_message_id is not None:
            replied = self.find(chat_id, reply_to_message_id)
            if replied is None:
                raise ValueError(f"no message {reply_to_message_id} in chat {chat_id} to reply to")
            message["reply_to_message"] = self.message_dict(replied, nested=True)
        self.add_user_message(chat_id, message, kind="text", text=text)
        return self.updates.push("message", message)

    def user_sends_document(
        self,
        user_id: int,
        data: bytes,
        filename: str,
        *,
        mime_type: str | None = None,
        caption: str | None = None,
        first_name: str = "An",
        language_code: str | None = "vi",
    ) -> dict[str, Any]:
        """A user sends a file in their private chat; returns the update (also queued).

        As on Telegram, the bot gets a `document` with file_id, file_unique_id, file_name,
        mime_type and file_size, and fetches the bytes with getFile and the file URL."""
        sender = self.add_user(user_id, first_name=first_name, language_code=language_code)
        if self.users[user_id].blocked:
            self.unblock(user_id)
        mime_type = mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        stored = self.files.upload(data, filename=filename, mime_type=mime_type)
        message: dict[str, Any] = {
            "message_id": self.new_message_id(user_id),
            "from": sender,
            "chat": dict(self.chats[user_id]),
            "date": int(time.time()),
            "document": self.files.document_dict(stored),
        }
        if caption:
            message["caption"] = caption
        self.add_user_message(user_id, message, kind="document", text=caption)
        return self.updates.push("message", message)

    def press(
        self, user_id: int, message_id: int, data: str, *, chat_id: int | None = None, forge: bool = False
    ) -> dict[str, Any]:
        """A user taps an inline button; refuses buttons that do not exist unless `forge=True`."""
        chat_id = user_id if chat_id is None else chat_id
        msg = self.find(chat_id, message_id)
        if not forge:
            if msg is None or msg.deleted or not msg.from_bot:
                raise ValueError(f"no bot message {message_id} in chat {chat_id}")
            offered = inline_callback_data(msg.reply_markup)
            if data not in offered:
                raise ValueError(f"message {message_id} has no button {data!r} (it has {sorted(offered)})")
        user = self.users.get(user_id)
        sender = user.to_dict() if user else self.add_user(user_id)
        if chat_id not in self.chats:
            raise ValueError(f"chat {chat_id} is unknown")
        query: dict[str, Any] = {
            "id": f"{user_id}{next(self._callback_ids):06d}",
            "from": sender,
            "chat_instance": str(abs(chat_id) * 31 + 7),
            "data": data,
        }
        if msg is not None and not msg.deleted:
            query["message"] = self.message_dict(msg)
        else:
            query["message"] = {"chat": dict(self.chats[chat_id]), "message_id": message_id, "date": 0}
        self.pending_callbacks[query["id"]] = query
        return self.updates.push("callback_query", query)

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
            self.chats.setdefault(chat["id"], {"type": "private", **chat})
            payload.setdefault("date", int(time.time()))
            if kind == "message":
                payload.setdefault("message_id", self.new_message_id(chat["id"]))
                self.add_user_message(chat["id"], payload, kind="other", text=payload.get("text"))
        return self.updates.push(kind, payload)

    def block(self, user_id: int) -> dict[str, Any] | None:
        """The user blocks the bot: sends now fail with 403; emits my_chat_member (kicked)."""
        return self._set_blocked(user_id, True)

    def unblock(self, user_id: int) -> dict[str, Any] | None:
        return self._set_blocked(user_id, False)

    def _set_blocked(self, user_id: int, blocked: bool) -> dict[str, Any] | None:
        if user_id not in self.users:
            self.add_user(user_id)
        user = self.users[user_id]
        if user.blocked == blocked:
            return None
        user.blocked = blocked
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        new_member: dict[str, Any] = {"status": new, "user": dict(self.bot_user)}
        old_member: dict[str, Any] = {"status": old, "user": dict(self.bot_user)}
        for member in (new_member, old_member):
            if member["status"] == "kicked":
                member["until_date"] = 0
        self.events.publish({"type": "block", "user_id": user_id, "blocked": blocked})
        return self.updates.push(
            "my_chat_member",
            {
                "chat": dict(self.chats[user_id]),
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
        chat = self.chats.setdefault(chat_id, {"id": chat_id, "type": chat_type, "title": title or "Group"})
        if title:
            chat["title"] = title
        return chat_id
