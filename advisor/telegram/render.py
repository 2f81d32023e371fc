"""The one place where views become Telegram messages.

Text is already escaped HTML from `advisor.markup`/`advisor.views`; here it is split on
paragraph boundaries to fit 4096 characters and buttons become an inline keyboard whose
callback data is encoded with the knowledge-base version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from advisor import markup
from advisor.telegram import callbacks
from advisor.views import Button, View

MAX_MESSAGE = 4096
MAX_BUTTON_LABEL = 60
MAX_BUTTONS = 100


@dataclass(frozen=True)
class Message:
    """One Telegram message ready to send: HTML text and an optional keyboard."""

    html: str
    keyboard: InlineKeyboardMarkup | None = None


def _visible(html: str) -> int:
    return markup.visible_length(markup.html_visible_text(html))


def _hard_split(paragraph: str, limit: int) -> list[str]:
    """Last resort for one paragraph longer than a message: split between lines, else cut
    at a word boundary, keeping tags balanced by dropping them (plain, escaped text)."""
    pieces: list[str] = []
    current = ""
    for line in paragraph.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if _visible(candidate) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        if _visible(line) <= limit:
            current = line
            continue
        text = markup.html_visible_text(line)
        while text:
            cut = text[:limit]
            if len(text) > limit and " " in cut:
                cut = cut[: cut.rindex(" ")]
            pieces.append(markup.escape(cut))
            text = text[len(cut) :].lstrip()
        current = ""
    if current:
        pieces.append(current)
    return pieces


def split_paragraphs(paragraphs: tuple[str, ...] | list[str], limit: int = MAX_MESSAGE) -> list[str]:
    """Group HTML paragraphs into messages of at most `limit` visible characters."""
    messages: list[str] = []
    current: list[str] = []
    for paragraph in paragraphs:
        parts = [paragraph] if _visible(paragraph) <= limit else _hard_split(paragraph, limit)
        for part in parts:
            candidate = "\n\n".join([*current, part])
            if current and _visible(candidate) > limit:
                messages.append("\n\n".join(current))
                current = [part]
            else:
                current.append(part)
    if current:
        messages.append("\n\n".join(current))
    return messages or [""]


def _label(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_BUTTON_LABEL else text[: MAX_BUTTON_LABEL - 1].rstrip() + "…"


def keyboard(rows: tuple[tuple[Button, ...], ...], version: str) -> InlineKeyboardMarkup | None:
    """Inline keyboard for button rows; at most 100 buttons and 8 per row, as Telegram allows."""
    out: list[list[InlineKeyboardButton]] = []
    count = 0
    for row in rows:
        buttons = []
        for button in row[:8]:
            if count >= MAX_BUTTONS:
                break
            if button.url:
                buttons.append(InlineKeyboardButton(_label(button.label), url=button.url))
            else:
                data = callbacks.encode(version, button.action)
                buttons.append(InlineKeyboardButton(_label(button.label), callback_data=data))
            count += 1
        if buttons:
            out.append(buttons)
    return InlineKeyboardMarkup(out) if out else None


_ENTRY_LINK = re.compile(r'<a href="entry:([A-Za-z0-9_.\-]+)">(.*?)</a>', re.DOTALL)


def entry_links(html: str, bot_username: str | None) -> str:
    """Cross-references between entries (`entry:` links in the knowledge) as links that open
    the entry in this bot (`/start e_<id>`); underlined text when the bot's name is unknown."""
    if not bot_username:
        return _ENTRY_LINK.sub(r"<u>\2</u>", html)
    return _ENTRY_LINK.sub(
        lambda m: (
            f'<a href="https://t.me/{bot_username}?start=e_{m.group(1).replace(".", "-")}">{m.group(2)}</a>'
        ),
        html,
    )


def messages(view: View, version: str, bot_username: str | None = None) -> list[Message]:
    """A view as one or more messages; the keyboard goes on the last one."""
    texts = [entry_links(text, bot_username) for text in split_paragraphs(view.paragraphs)]
    markup_ = keyboard(view.buttons, version)
    return [Message(text, markup_ if i == len(texts) - 1 else None) for i, text in enumerate(texts)]
