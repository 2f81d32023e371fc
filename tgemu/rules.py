"""Telegram's limits on what a bot sends: lengths, keyboards, commands, descriptions, media.

Every check raises `ApiError` with the code and description Telegram would send, so a test
fails wherever the real Bot API would reject what the bot sends.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tgemu.errors import ApiError, bad_request

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_ANSWER = 200
MAX_CALLBACK_DATA_BYTES = 64
MAX_BUTTONS = 100
MAX_BUTTONS_PER_ROW = 8
MAX_MARKUP_JSON = 10_000
MAX_COMMANDS = 100
MAX_COMMAND_DESCRIPTION = 256
MAX_DESCRIPTION = 512
MAX_SHORT_DESCRIPTION = 120

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024


# --- lengths ------------------------------------------------------------------------------


def check_message_text(plain: str, *, editing: bool = False) -> None:
    """1..4096 characters after entity parsing; Telegram trims surrounding whitespace first."""
    if not plain.strip():
        raise bad_request("message text is empty")
    if len(plain.strip()) > MAX_TEXT:
        raise bad_request("MESSAGE_TOO_LONG" if editing else "message is too long")


def check_caption(plain: str) -> None:
    if len(plain.strip()) > MAX_CAPTION:
        raise bad_request("message caption is too long")


def check_callback_answer(text: str | None) -> None:
    if text is not None and len(text) > MAX_CALLBACK_ANSWER:
        raise bad_request("MESSAGE_TOO_LONG")


# --- reply markup ---------------------------------------------------------------------------

_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
    "web_app",
)
_BUTTON_URL_RE = re.compile(r"(?:https?://[^\s/?#]+[^\s]*|tg://[a-z_]+[^\s]*)", re.IGNORECASE)


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    text = button.get("text")
    if not isinstance(text, str) or not text.strip():
        raise bad_request("can't parse inline keyboard button: Text must be non-empty")
    actions = [key for key in _BUTTON_ACTIONS if key in button]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise bad_request(
            "can't parse inline keyboard button: exactly one of the optional fields must be used"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button and not (isinstance(button["url"], str) and _BUTTON_URL_RE.fullmatch(button["url"])):
        raise bad_request("BUTTON_URL_INVALID")


def _check_rows(rows: Any, field: str) -> list[list[Any]]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f'field "{field}" must be an Array of Arrays')
    return rows


def check_reply_markup(markup: dict[str, Any] | None) -> None:
    """Inline keyboards strictly (data bytes, one action, 100 buttons, 8 a row); others by shape."""
    if markup is None:
        return
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if len(json.dumps(markup, ensure_ascii=False).encode("utf-8")) > MAX_MARKUP_JSON:
        raise bad_request("reply markup is too long")
    if "inline_keyboard" in markup:
        rows = _check_rows(markup["inline_keyboard"], "inline_keyboard")
        if sum(len(row) for row in rows) > MAX_BUTTONS or any(len(row) > MAX_BUTTONS_PER_ROW for row in rows):
            raise bad_request("reply markup is too long")
        for row in rows:
            for button in row:
                _check_inline_button(button)
    elif "keyboard" in markup:
        for row in _check_rows(markup["keyboard"], "keyboard"):
            for button in row:
                text = button if isinstance(button, str) else (button or {}).get("text")
                if not isinstance(text, str) or not text.strip():
                    raise bad_request("can't parse keyboard button: Text must be non-empty")
    elif not (markup.get("remove_keyboard") is True or markup.get("force_reply") is True):
        raise bad_request("can't parse reply keyboard markup JSON object")


def inline_callback_data(markup: dict[str, Any] | None) -> set[str]:
    """All callback_data values an inline keyboard offers (what a user can press)."""
    if not markup or "inline_keyboard" not in markup:
        return set()
    return {b["callback_data"] for row in markup["inline_keyboard"] for b in row if "callback_data" in b}


# --- commands and descriptions ---------------------------------------------------------------

_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
SCOPE_TYPES = {
    "default",
    "all_private_chats",
    "all_group_chats",
    "all_chat_administrators",
    "chat",
    "chat_administrators",
    "chat_member",
}


def check_commands(commands: Any) -> None:
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > MAX_COMMANDS:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    for item in commands:
        if not isinstance(item, dict) or "command" not in item or "description" not in item:
            raise bad_request('can\'t parse BotCommand: Can\'t find field "command" or "description"')
        if not isinstance(item["command"], str) or not _COMMAND_RE.fullmatch(item["command"]):
            raise bad_request("BOT_COMMAND_INVALID")
        description = item["description"]
        if not isinstance(description, str) or not description.strip():
            raise bad_request("command description must be non-empty")
        if len(description) > MAX_COMMAND_DESCRIPTION:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")


def check_scope(scope: Any) -> None:
    if not isinstance(scope, dict) or scope.get("type") not in SCOPE_TYPES:
        raise bad_request("can't parse BotCommandScope JSON object")
    if scope["type"] in ("chat", "chat_administrators", "chat_member") and "chat_id" not in scope:
        raise bad_request("chat_id is empty")
    if scope["type"] == "chat_member" and "user_id" not in scope:
        raise bad_request("user_id is empty")


def check_language_code(code: str) -> None:
    if code and not re.fullmatch(r"[a-z]{2}", code):
        raise bad_request("invalid language code specified")


def check_description(text: str, *, short: bool = False) -> None:
    limit = MAX_SHORT_DESCRIPTION if short else MAX_DESCRIPTION
    if len(text) > limit:
        raise bad_request("BOT_ABOUT_INVALID" if short else "BOT_DESCRIPTION_INVALID")


# --- media ----------------------------------------------------------------------------------


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG, GIF, BMP, WebP or JPEG header; None if it is no image."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    if data.startswith(b"BM") and len(data) >= 26:
        return int.from_bytes(data[18:22], "little", signed=True), abs(
            int.from_bytes(data[22:26], "little", signed=True)
        )
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return 512, 512  # good enough: the bot never sends WebP, the dimensions only decorate
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return int.from_bytes(data[i + 7 : i + 9], "big"), int.from_bytes(data[i + 5 : i + 7], "big")
        i += 2 + length
    return None


def check_photo(data: bytes) -> tuple[int, int]:
    """Telegram decodes every photo: non-images, huge files and extreme shapes are refused."""
    if len(data) > MAX_PHOTO_BYTES:
        raise bad_request("file is too big")
    size = image_size(data)
    if size is None or min(size) <= 0:
        raise bad_request("IMAGE_PROCESS_FAILED")
    width, height = size
    if width + height > 10_000 or max(width, height) > 20 * min(width, height):
        raise bad_request("PHOTO_INVALID_DIMENSIONS")
    return size


def check_document(data: bytes) -> None:
    if not data:
        raise bad_request("file must be non-empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ApiError(413, "Request Entity Too Large")
