"""Sending, editing and deleting messages, chat actions and answers to button presses."""

from __future__ import annotations

import re
from typing import Any

from tgemu import html, rules
from tgemu.errors import bad_request
from tgemu.files import FileInput, StoredFile, unpack_file
from tgemu.methods.params import Params
from tgemu.world import SentMessage, World

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
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


async def send_message(world: World, p: Params, uploads: dict[str, FileInput]) -> Any:
    chat = world.target_chat(p.chat_id())
    text = p.text("text", "") or ""
    parse_mode = p.text("parse_mode")
    plain, entities = html.parse_text(text, parse_mode, p.obj("entities"))
    rules.check_message_text(plain)
    markup = _markup(p)
    reply_to = _reply_to(world, chat["id"], p)
    world.limiter.acquire(chat["id"])
    msg = world.add_bot_message(
        chat["id"],
        "text",
        html=text,
        parse_mode=parse_mode,
        text=plain,
        entities=entities,
        reply_markup=markup,
        reply_to_message_id=reply_to,
    )
    return world.message_dict(msg)


async def send_photo(world: World, p: Params, uploads: dict[str, FileInput]) -> Any:
    return _send_media(world, p, uploads, "photo")


async def send_document(world: World, p: Params, uploads: dict[str, FileInput]) -> Any:
    return _send_media(world, p, uploads, "document")


def _send_media(world: World, p: Params, uploads: dict[str, FileInput], kind: str) -> Any:
    chat = world.target_chat(p.chat_id())
    text = p.text("caption")
    parse_mode = p.text("parse_mode")
    caption, caption_entities = (None, [])
    if text is not None:
        caption, caption_entities = html.parse_text(text, parse_mode, p.obj("caption_entities"))
        rules.check_caption(caption)
    markup = _markup(p)
    reply_to = _reply_to(world, chat["id"], p)
    stored = _media_input(world, p, uploads, kind)
    world.limiter.acquire(chat["id"])
    media = world.files.photo_sizes(stored) if kind == "photo" else world.files.document_dict(stored)
    msg = world.add_bot_message(
        chat["id"],
        kind,
        html=text,
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
    return world.message_dict(msg)


def _media_input(world: World, p: Params, uploads: dict[str, FileInput], kind: str) -> StoredFile:
    """The photo or document of a send: an upload, a known file_id, or a URL."""
    value = p.raw.get(kind)
    upload: FileInput | None = uploads.get(kind)
    if isinstance(value, str) and value.startswith("attach://"):
        upload = uploads.get(value.removeprefix("attach://"))
    if upload is not None:
        filename, data, mime = unpack_file(upload)
        if kind == "photo":
            rules.check_photo(data)
        else:
            rules.check_document(data)
        return world.files.upload(
            data, filename=filename or (None if kind == "photo" else "file"), kind=kind, mime_type=mime
        )
    known = world.files.get(value) if isinstance(value, str) else None
    if known is not None:
        return known
    if isinstance(value, str) and re.match(r"https?://", value):
        # Telegram would download it; the emulator has no network, so it keeps a placeholder.
        return world.files.upload(b"", filename=value.rsplit("/", 1)[-1] or None, kind=kind)
    if not value:
        raise bad_request(f"there is no {kind} in the request")
    raise bad_request("wrong file identifier/HTTP URL specified")


async def send_chat_action(world: World, p: Params, uploads: dict[str, FileInput]) -> Any:
    chat = world.target_chat(p.chat_id())
    action = p.text("action", "") or ""
    if action not in _CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    world.chat_actions.append((chat["id"], action))
    world.events.publish({"type": "chat_action", "chat_id": chat["id"], "action": action})
    return True


async def edit_message_text(world: World, p: Params, uploads: dict[str, FileInput]) -> Any:
    msg = _editable(world, p)
    if msg.kind != "text":
        raise bad_request("there is no text in the message to edit")
    text = p.text("text", "") or ""
    parse_mode = p.text("parse_mode")
    plain, entities = html.parse_text(text, parse_mode, p.obj("entities"))
    rules.check_message_text(plain, editing=True)
    markup = _markup(p, editing=True)
    if (plain, entities, markup) == (msg.text, msg.entities, msg.reply_markup):
        raise bad_request(_NOT_MODIFIED)
    msg.html, msg.parse_mode, msg.text, msg.entities = text, parse_mode, plain, entities
    return _edited(world, msg, markup)


async def edit_message_caption(world: World, p: Params, uploads: dict[str, FileInput]) -> Any:
    msg = _editable(world, p)
    if msg.kind == "text":
        raise bad_request("there is no caption in the message to edit")
    text = p.text("caption")
    parse_mode = p.text("parse_mode")
    caption, entities = html.parse_text(text or "", parse_mode, p.obj("caption_entities"))
    rules.check_caption(caption)
    markup = _markup(p, editing=True)
    if (caption or None, entities, markup) == (msg.caption, msg.caption_entities, msg.reply_markup):
        raise bad_request(_NOT_MODIFIED)
    msg.html, msg.parse_mode, msg.caption, msg.caption_entities = (
        text,
        parse_mode,
        caption or None,
        entities,
    )
    return _edited(world, msg, markup)


async def edit_message_reply_markup(world: World, p: Params, uploads: dict[str, FileInput]) -> Any:
    msg = _editable(world, p)
    markup = _markup(p, editing=True)
    if markup == msg.reply_markup:
        raise bad_request(_NOT_MODIFIED)
    return _edited(world, msg, markup)


async def delete_message(world: World, p: Params, uploads: dict[str, FileInput]) -> Any:
    msg = _message(world, p, "message to delete not found")
    msg.deleted = True
    world.events.publish({"type": "delete", "chat_id": msg.chat_id, "message_id": msg.message_id})
    return True


async def answer_callback_query(world: World, p: Params, uploads: dict[str, FileInput]) -> Any:
    query_id = p.text("callback_query_id", "") or ""
    text = p.text("text")
    rules.check_callback_answer(text)
    query = world.pending_callbacks.pop(query_id, None)
    if query is None:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    show_alert = p.flag("show_alert")
    world.callback_answers.append((query_id, text, show_alert))
    world.events.publish(
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


def _markup(p: Params, *, editing: bool = False) -> dict[str, Any] | None:
    markup = p.obj("reply_markup")
    rules.check_reply_markup(markup)
    if editing and markup is not None and "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")
    return markup


def _reply_to(world: World, chat_id: int, p: Params) -> int | None:
    params = p.obj("reply_parameters") or {}
    message_id = params.get("message_id") or p.integer("reply_to_message_id")
    if message_id is None:
        return None
    msg = world.find(chat_id, int(message_id))
    if msg is None or msg.deleted:
        if params.get("allow_sending_without_reply") or p.flag("allow_sending_without_reply"):
            return None
        raise bad_request("message to be replied not found")
    return msg.message_id


def _message(world: World, p: Params, missing: str) -> SentMessage:
    """The message `chat_id` + `message_id` name; `missing` is Telegram's 400 if there is none."""
    chat_id = world.known_chat_id(p.chat_id())
    message_id = p.integer("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    msg = world.find(chat_id, message_id)
    if msg is None or msg.deleted:
        raise bad_request(missing)
    return msg


def _editable(world: World, p: Params) -> SentMessage:
    if p.text("inline_message_id"):
        raise bad_request("inline messages are not supported by this emulator")
    msg = _message(world, p, "message to edit not found")
    if not msg.from_bot:
        raise bad_request("message can't be edited")
    world.target_chat(msg.chat_id)  # like Telegram: 403 once the user has blocked the bot
    return msg


def _edited(world: World, msg: SentMessage, markup: dict[str, Any] | None) -> dict[str, Any]:
    # Like Telegram, an edit without reply_markup removes the inline keyboard.
    msg.reply_markup = markup
    msg.edits += 1
    world.events.publish({"type": "edit", "chat_id": msg.chat_id, "message": msg.to_dict()})
    return world.message_dict(msg, edited=True)
