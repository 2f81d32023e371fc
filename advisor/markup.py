"""The curators' formatting subset, and its one translation into Telegram HTML.

Curators write `**bold**`, `*italic*`, `[text](https://…)`, `[text](entry:some.id)`,
`- ` bullets and blank lines between paragraphs; they never write HTML. Everything
else is text and is escaped, so nothing a curator or officer types can break
Telegram's HTML parser. Markers must close within their paragraph, which makes each
paragraph valid HTML on its own and lets long texts be split between paragraphs.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

ENTRY_SCHEME = "entry:"
MAX_URL_LENGTH = 2048
_URL_RE = re.compile(r"https?://[^\s<>\"']+\Z")
_ESCAPABLE = set("\\*[]()_-")


@dataclass(frozen=True)
class MarkupError:
    """A problem in a text: `line` counts from 0 within the text."""

    line: int
    message: str


@dataclass(frozen=True)
class Rendered:
    """A text turned into Telegram HTML, one string per paragraph."""

    paragraphs: tuple[str, ...]
    entry_refs: tuple[str, ...]
    errors: tuple[MarkupError, ...]

    @property
    def html(self) -> str:
        return "\n\n".join(self.paragraphs)


def visible_length(text: str) -> int:
    """Length as Telegram counts it after entity parsing: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def html_visible_text(html_text: str) -> str:
    """The text a reader sees for HTML this module produced (tags off, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


def _split_paragraphs(text: str) -> list[tuple[int, list[str]]]:
    """Paragraphs as (first line number, lines); blank lines separate them."""
    paragraphs: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n")):
        if line.strip():
            if not current:
                start = number
            current.append(line.rstrip())
        elif current:
            paragraphs.append((start, current))
            current = []
    if current:
        paragraphs.append((start, current))
    return paragraphs


class _Inline:
    """Turns one paragraph's inline markers into HTML, collecting errors."""

    def __init__(self, first_line: int) -> None:
        self.out: list[str] = []
        self.stack: list[tuple[str, int]] = []  # (marker, line) of open bold/italic
        self.errors: list[MarkupError] = []
        self.refs: list[str] = []
        self.line = first_line

    def error(self, message: str) -> None:
        self.errors.append(MarkupError(self.line, message))

    def toggle(self, marker: str) -> None:
        tag = "b" if marker == "**" else "i"
        if self.stack and self.stack[-1][0] == marker:
            self.stack.pop()
            self.out.append(f"</{tag}>")
        elif any(open_marker == marker for open_marker, _ in self.stack):
            self.error(f"'{marker}' closes while another marker inside it is still open")
        else:
            self.stack.append((marker, self.line))
            self.out.append(f"<{tag}>")

    def link(self, text: str, pos: int) -> int:
        """Parse `[label](target)` starting at text[pos] == '['; return the index after it."""
        close = _find_unescaped(text, "]", pos + 1)
        if close < 0 or not text.startswith("(", close + 1):
            self.error("'[' starts a link but no '](address)' follows (write \\[ for a bracket)")
            self.out.append("[")
            return pos + 1
        end = text.find(")", close + 2)
        if end < 0:
            self.error("link address is not closed with ')'")
            self.out.append("[")
            return pos + 1
        label, target = text[pos + 1 : close], text[close + 2 : end].strip()
        if not label.strip():
            self.error("link has no text")
        if "[" in label.replace("\\[", ""):
            self.error("links cannot be nested")
        inner = _Inline(self.line)
        inner.run(label)
        self.errors.extend(inner.errors)
        if target.startswith(ENTRY_SCHEME):
            ref = target[len(ENTRY_SCHEME) :]
            self.refs.append(ref)
            # an address the adapter makes tappable (a link that opens the entry in the bot)
            self.out.append(f'<a href="{ENTRY_SCHEME}{html.escape(ref, quote=True)}">{inner.html()}</a>')
        elif len(target) > MAX_URL_LENGTH or not _URL_RE.match(target):
            self.error(f"link address {target!r} must be an http:// or https:// address or entry:id")
            self.out.append(inner.html())
        else:
            self.out.append(f'<a href="{html.escape(target, quote=True)}">{inner.html()}</a>')
        return end + 1

    def run(self, text: str) -> None:
        pos = 0
        buffer: list[str] = []

        def flush() -> None:
            if buffer:
                self.out.append(html.escape("".join(buffer), quote=False))
                buffer.clear()

        while pos < len(text):
            char = text[pos]
            if char == "\n":
                self.line += 1
                buffer.append(char)
                pos += 1
            elif char == "\\" and pos + 1 < len(text) and text[pos + 1] in _ESCAPABLE:
                buffer.append(text[pos + 1])
                pos += 2
            elif char == "*":
                flush()
                marker = "**" if text.startswith("**", pos) else "*"
                self.toggle(marker)
                pos += len(marker)
            elif char == "[":
                flush()
                pos = self.link(text, pos)
            else:
                buffer.append(char)
                pos += 1
        flush()

    def close(self) -> None:
        for marker, line in reversed(self.stack):
            self.errors.append(MarkupError(line, f"'{marker}' is opened but never closed"))
            self.out.append("</b>" if marker == "**" else "</i>")
        self.stack.clear()

    def html(self) -> str:
        self.close()
        return "".join(self.out)


def _find_unescaped(text: str, char: str, start: int) -> int:
    pos = start
    while pos < len(text):
        if text[pos] == "\\":
            pos += 2
            continue
        if text[pos] == char:
            return pos
        pos += 1
    return -1


def render(text: str) -> Rendered:
    """Render curator text to Telegram HTML paragraphs; errors say what to fix and where."""
    paragraphs: list[str] = []
    refs: list[str] = []
    errors: list[MarkupError] = []
    if "<" in text and re.search(r"</?[a-zA-Z][^>]*>", text):
        first = next(i for i, line in enumerate(text.splitlines()) if re.search(r"</?[a-zA-Z]", line))
        errors.append(MarkupError(first, "HTML tags are not allowed; use **bold**, *italic*, [text](url)"))
    for first_line, lines in _split_paragraphs(text):
        body = "\n".join(
            "• " + line.lstrip()[2:].lstrip() if line.lstrip().startswith("- ") else line for line in lines
        )
        inline = _Inline(first_line)
        inline.run(body)
        paragraphs.append(inline.html())
        errors.extend(inline.errors)
        refs.extend(inline.refs)
    return Rendered(tuple(paragraphs), tuple(refs), tuple(errors))


def render_html(text: str) -> str:
    """Telegram HTML for curator text (errors ignored: validated texts have none)."""
    return render(text).html


def escape(text: str) -> str:
    """Escape plain text (names, questions, sources) for Telegram HTML."""
    return html.escape(text, quote=False)
