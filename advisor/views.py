"""What the bot shows, as channel-free data: Telegram-safe HTML plus buttons with actions.

The Telegram adapter turns `Button.action` into callback data and sends `View.html`; the
`ask` command prints the visible text. Every user-facing text comes from the knowledge
base (`ui.yaml` and the entries), so curators can change wording without code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from advisor import markup
from advisor.answering import Decision
from advisor.kb.models import Entry, KnowledgeBase


@dataclass(frozen=True)
class Button:
    """An inline button: `action` is a short tuple the adapter encodes, or a `url`."""

    label: str
    action: tuple[str, ...] = ()
    url: str | None = None


@dataclass(frozen=True)
class View:
    """One message: paragraphs of Telegram HTML (split between paragraphs if too long)."""

    paragraphs: tuple[str, ...]
    buttons: tuple[tuple[Button, ...], ...] = field(default=())

    @property
    def html(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def text(self) -> str:
        """The text a reader sees (no tags), for the command line and tests."""
        return markup.html_visible_text(self.html)


def _date(value) -> str:
    return value.strftime("%d/%m/%Y")


def entry_view(kb: KnowledgeBase, entry: Entry, lang: str) -> View:
    """An entry's answer with its source, review date, related entries and 👍/👎."""
    body = markup.render(entry.text(lang))
    paragraphs = [f"<b>{markup.escape(entry.heading(lang))}</b>", *body.paragraphs]
    if lang == "en" and not entry.answer_en:
        paragraphs.insert(1, f"<i>{markup.escape(kb.ui.get('answer_only_vi', lang))}</i>")
    source = kb.ui.get("source_line", lang, source=entry.source, date=_date(entry.reviewed))
    paragraphs.append(f"<i>{markup.escape(source)}</i>")
    rows: list[tuple[Button, ...]] = []
    if entry.guide and entry.guide in kb.guides:
        rows.append((Button("🧭 " + kb.ui.get("open_guide", lang), ("guide", entry.guide, "0")),))
    linked = list(dict.fromkeys([*body.entry_refs, *entry.related]))
    for ref in linked[:6]:
        if ref in kb.entries and ref != entry.id:
            rows.append((Button("➜ " + kb.entries[ref].heading(lang), ("entry", ref)),))
    rows.append(
        (
            Button("👍", ("vote", entry.id, "up")),
            Button("👎", ("vote", entry.id, "down")),
            Button(kb.ui.get("menu_button", lang), ("menu",)),
        )
    )
    return View(tuple(paragraphs), tuple(rows))


def suggest_view(kb: KnowledgeBase, decision: Decision, lang: str) -> View:
    """ "Có phải bạn muốn hỏi": the top candidates as buttons."""
    rows = [
        (Button(kb.entries[hit.entry_id].heading(lang), ("entry", hit.entry_id)),)
        for hit in decision.suggestions
    ]
    rows.append((Button(kb.ui.get("menu_button", lang), ("menu",)),))
    return View((markup.escape(kb.ui.get("suggest_intro", lang)),), tuple(rows))


def decline_view(kb: KnowledgeBase, lang: str) -> View:
    """An honest "no answer yet" with the topic menu to browse instead."""
    rows = [(Button(f"{topic.icon} {topic.name(lang)}", ("topic", topic.id, "0")),) for topic in kb.topics]
    return View((markup.render_html(kb.ui.get("decline", lang)),), tuple(rows))


def decision_view(kb: KnowledgeBase, decision: Decision, lang: str) -> View:
    if decision.kind == "answer" and decision.entry_id:
        return entry_view(kb, kb.entries[decision.entry_id], lang)
    if decision.kind == "suggest":
        return suggest_view(kb, decision, lang)
    return decline_view(kb, lang)
