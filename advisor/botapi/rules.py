"""Telegram's Bot API rules, written once, shared by the in-process fake and the HTTP emulator.

Every check raises `ApiError` with the code and description Telegram would send, so a test
fails wherever the real Bot API would reject what the bot sends. Where Telegram is lenient
but its documentation is not (a bare `&`, unknown tag attributes), the emulator follows the
documentation: being stricter can only surface bugs, never hide them.
"""

from __future__ import annotations

import json
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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


class ApiError(Exception):
    """A Bot API error response: HTTP code, Telegram's description, optional retry_after."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def to_response(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(message: str) -> ApiError:
    return ApiError(400, f"Bad Request: {message}")


def forbidden(message: str) -> ApiError:
    return ApiError(403, f"Forbidden: {message}")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: what Telegram's entity offsets and lengths count."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


# --- HTML parse mode -------------------------------------------------------------------------

_TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_TAG_ATTRS = {
    "a": {"href"},
    "code": {"class"},
    "span": {"class"},
    "blockquote": {"expandable"},
    "tg-emoji": {"emoji-id"},
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,8}));")
_NAME_RE = re.compile(r"[A-Za-z0-9_-]*")
_URL_RE = re.compile(r"(?:https?://[^\s/?#]+[^\s]*|tg://[a-z_]+[^\s]*|mailto:[^\s@]+@[^\s]+)", re.IGNORECASE)


def _entity_error(message: str) -> ApiError:
    return bad_request(f"can't parse entities: {message}")


def _char_ref(match: re.Match[str]) -> str | None:
    """The character a reference stands for, or None for an impossible code point."""
    named, dec, hexa = match.groups()
    if named:
        return _NAMED_ENTITIES[named]
    code = int(dec) if dec else int(hexa, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


class _HtmlParser:
    """A single pass over the text, tracking UTF-16 offsets of the plain text as it grows."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.out: list[str] = []
        self.offset = 0  # UTF-16 length of `out`
        self.stack: list[dict[str, Any]] = []
        self.entities: list[tuple[int, dict[str, Any]]] = []  # (opening order, entity)
        self.opened = 0

    def byte_offset(self, index: int) -> int:
        return len(self.text[:index].encode("utf-8"))

    def emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.offset += utf16_len(chunk)

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            if ch == "<":
                if text.startswith("</", self.pos):
                    self.end_tag()
                else:
                    self.start_tag()
            elif ch == "&":
                char, self.pos = self.decode(text, self.pos, 0)
                self.emit(char)
            else:
                nxt = min(
                    (i for i in (text.find("<", self.pos), text.find("&", self.pos)) if i >= 0),
                    default=len(text),
                )
                self.emit(text[self.pos : nxt])
                self.pos = nxt
        if self.stack:
            raise _entity_error(f'Can\'t find end tag corresponding to start tag "{self.stack[-1]["tag"]}"')
        # Outer entities first, as Telegram lists them: by offset, longer first, then opening order.
        self.entities.sort(key=lambda pair: (pair[1]["offset"], -pair[1]["length"], pair[0]))
        return "".join(self.out), [entity for _, entity in self.entities]

    def decode(self, source: str, i: int, base: int) -> tuple[str, int]:
        """Decode the character reference at `source[i]`; `base + i` indexes it in the text."""
        match = _ENTITY_RE.match(source, i)
        char = _char_ref(match) if match else None
        if match is None or char is None:
            raise _entity_error(
                f'Unsupported HTML entity or unescaped "&" at byte offset {self.byte_offset(base + i)}'
            )
        return char, match.end()

    def decode_value(self, raw: str, base: int) -> str:
        """Attribute values may hold character references; a bare `&` is refused as in text."""
        parts: list[str] = []
        i = 0
        while i < len(raw):
            if raw[i] == "&":
                char, i = self.decode(raw, i, base)
                parts.append(char)
            else:
                parts.append(raw[i])
                i += 1
        return "".join(parts)

    def start_tag(self) -> None:
        text, begin = self.text, self.pos
        where = self.byte_offset(begin)
        name_match = _NAME_RE.match(text, begin + 1)
        assert name_match
        tag = name_match.group().lower()
        if tag not in _TAG_ENTITY:
            raise _entity_error(f'Unsupported start tag "{tag}" at byte offset {where}')
        i = name_match.end()
        attrs: dict[str, str] = {}
        while True:
            while i < len(text) and text[i].isspace():
                i += 1
            if i >= len(text):
                raise _entity_error(f"Unclosed start tag at byte offset {where}")
            if text[i] == ">":
                i += 1
                break
            attr_match = _NAME_RE.match(text, i)
            assert attr_match
            attr = attr_match.group().lower()
            if not attr:
                raise _entity_error(f'Empty attribute name in the tag "{tag}" at byte offset {where}')
            i = attr_match.end()
            while i < len(text) and text[i].isspace():
                i += 1
            value = ""
            if i < len(text) and text[i] == "=":
                i += 1
                while i < len(text) and text[i].isspace():
                    i += 1
                if i < len(text) and text[i] in "\"'":
                    close = text.find(text[i], i + 1)
                    if close < 0:
                        raise _entity_error(f"Unclosed start tag at byte offset {where}")
                    value = self.decode_value(text[i + 1 : close], i + 1)
                    i = close + 1
                else:
                    end = i
                    while end < len(text) and not text[end].isspace() and text[end] != ">":
                        end += 1
                    value = self.decode_value(text[i:end], i)
                    i = end
            if attr not in _TAG_ATTRS.get(tag, set()):
                raise _entity_error(
                    f'Unsupported attribute "{attr}" in the tag "{tag}" at byte offset {where}'
                )
            attrs[attr] = value
        self.pos = i
        self.stack.append(self.open_entity(tag, attrs, where))

    def open_entity(self, tag: str, attrs: dict[str, str], where: int) -> dict[str, Any]:
        entity: dict[str, Any] = {"type": _TAG_ENTITY[tag]}
        if tag == "a":
            href = attrs.get("href", "").strip()
            if not href:
                raise _entity_error(f'Tag "a" must have attribute "href" at byte offset {where}')
            if not _URL_RE.fullmatch(href):
                raise _entity_error(f'Unsupported URL "{href}" in the tag "a" at byte offset {where}')
            entity["url"] = href
        elif tag == "span" and attrs.get("class") != "tg-spoiler":
            raise _entity_error(f'Tag "span" must have class "tg-spoiler" at byte offset {where}')
        elif tag == "code" and "class" in attrs:
            if not attrs["class"].startswith("language-") or len(attrs["class"]) == len("language-"):
                raise _entity_error(
                    f'Tag "code" has unsupported class "{attrs["class"]}" at byte offset {where}'
                )
            entity["language"] = attrs["class"].removeprefix("language-")
        elif tag == "blockquote" and "expandable" in attrs:
            entity["type"] = "expandable_blockquote"
        elif tag == "tg-emoji":
            emoji_id = attrs.get("emoji-id", "")
            if not emoji_id.isdigit():
                raise _entity_error(f'Tag "tg-emoji" must have a numeric "emoji-id" at byte offset {where}')
            entity["custom_emoji_id"] = emoji_id
        self.opened += 1
        return {"tag": tag, "entity": entity, "start": self.offset, "order": self.opened}

    def end_tag(self) -> None:
        begin = self.pos
        where = self.byte_offset(begin)
        close = self.text.find(">", begin)
        if close < 0:
            raise _entity_error(f"Unclosed end tag at byte offset {where}")
        name = self.text[begin + 2 : close].strip().lower()
        if not self.stack:
            raise _entity_error(f"Unexpected end tag at byte offset {where}")
        top = self.stack[-1]
        if name != top["tag"]:
            raise _entity_error(
                f'Unmatched end tag at byte offset {where}, expected "</{top["tag"]}>", found "</{name}>"'
            )
        self.stack.pop()
        self.pos = close + 1
        entity, length = top["entity"], self.offset - top["start"]
        parent = self.stack[-1] if self.stack else None
        if top["tag"] == "code" and parent and parent["tag"] == "pre":
            # <pre><code class="language-x"> is one pre entity carrying the language.
            if "language" in entity:
                parent["entity"]["language"] = entity["language"]
            return
        if entity["type"] == "code":
            entity.pop("language", None)
        if length > 0:
            self.entities.append((top["order"], {**entity, "offset": top["start"], "length": length}))


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's HTML parse mode: plain text plus MessageEntity dicts (UTF-16 offsets)."""
    return _HtmlParser(text).run()


def parse_text(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Apply the parse mode the bot asked for; explicit entities are used as given."""
    if entities:
        return text, list(entities)
    if not parse_mode:
        return text, []
    if parse_mode.upper() == "HTML":
        return parse_html(text)
    if parse_mode in ("Markdown", "MarkdownV2"):
        raise bad_request(f"unsupported parse_mode {parse_mode!r} in this emulator (it implements HTML)")
    raise bad_request(f"unsupported parse_mode {parse_mode!r}")


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


# --- flood limits ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    """At most `limit` messages in any window of `period` seconds (a burst of `limit` allowed)."""

    limit: int
    period: float = 1.0

    def __post_init__(self) -> None:
        if self.limit < 1 or self.period <= 0:
            raise ValueError("a rate needs limit >= 1 and period > 0")


RateSpec = Rate | float | int | None


def as_rate(spec: RateSpec) -> Rate | None:
    """`30` means 30 per second; a `Rate` is used as is; None switches the limit off."""
    if spec is None or isinstance(spec, Rate):
        return spec
    if spec >= 1:
        return Rate(int(spec), 1.0)
    return Rate(1, 1.0 / spec)


class _Window:
    def __init__(self, rate: Rate) -> None:
        self.rate = rate
        self.times: deque[float] = deque()

    def wait(self, now: float) -> float:
        """Seconds until one more message fits (0 when it fits now)."""
        while self.times and self.times[0] <= now - self.rate.period:
            self.times.popleft()
        if len(self.times) < self.rate.limit:
            return 0.0
        return self.times[0] + self.rate.period - now


class RateLimiter:
    """Sliding-window flood limits: global, per chat, and an extra one for group chats.

    Telegram's real numbers are unpublished (~30/s overall, ~1/s per chat with short bursts,
    20/min per group); all limits default to off so ordinary tests never see a 429.
    """

    def __init__(
        self,
        global_rate: RateSpec = None,
        per_chat_rate: RateSpec = None,
        group_rate: RateSpec = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.global_rate = as_rate(global_rate)
        self.per_chat_rate = as_rate(per_chat_rate)
        self.group_rate = as_rate(group_rate)
        self.clock = clock
        self._global = _Window(self.global_rate) if self.global_rate else None
        self._chats: dict[int | str, _Window] = {}
        self._groups: dict[int | str, _Window] = {}

    def _windows(self, chat_id: int | str) -> list[_Window]:
        windows = [self._global] if self._global else []
        if self.per_chat_rate:
            windows.append(self._chats.setdefault(chat_id, _Window(self.per_chat_rate)))
        is_group = isinstance(chat_id, str) or chat_id < 0
        if self.group_rate and is_group:
            windows.append(self._groups.setdefault(chat_id, _Window(self.group_rate)))
        return windows

    def acquire(self, chat_id: int | str) -> None:
        """Count one message to `chat_id`, or raise 429 without counting it."""
        now = self.clock()
        windows = self._windows(chat_id)
        wait = max((w.wait(now) for w in windows), default=0.0)
        if wait > 0:
            retry_after = max(1, int(-(-wait // 1)))
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)
        for window in windows:
            window.times.append(now)


# --- media ----------------------------------------------------------------------------------

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024


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
