"""Telegram's HTML parse mode: the text the bot sends becomes plain text plus entities.

Where Telegram is lenient but its documentation is not (a bare `&`, unknown tag attributes),
the emulator follows the documentation: being stricter can only surface bugs, never hide them.
It is written from Telegram's documentation, never from the bot's renderer, so it judges it.
"""

from __future__ import annotations

import re
from typing import Any

from tgemu.errors import ApiError, bad_request


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: what Telegram's entity offsets and lengths count."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


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
