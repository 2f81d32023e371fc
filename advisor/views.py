"""What the bot shows, as channel-free data: Telegram-safe HTML plus buttons with actions.

The Telegram adapter turns `Button.action` into callback data and sends `View.html`; the
`ask` command prints the visible text. Every user-facing text comes from the knowledge
base (`ui.yaml` and the entries), so curators can change wording without code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from advisor import markup
from advisor.actions import EDIT, Action
from advisor.answering import Decision
from advisor.i18n import pick
from advisor.kb.models import PROGRAMME_KINDS, SECTORS, Entry, KnowledgeBase, Programme, Topic

PAGE_SIZE = 8
"""Trailing action part of ◀ ▶ buttons: edit the pressed message instead of sending anew."""
PROGRAMME_TOPIC = "prog"


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


def ui_html(kb: KnowledgeBase, key: str, lang: str, **values: str) -> str:
    """A ui.yaml text as HTML; values (names, numbers typed by users) are inserted escaped,
    after the template's formatting is rendered, so they always show exactly as typed."""
    template = markup.render_html(kb.ui.get(key, lang))
    return template.format(**{name: markup.escape(value) for name, value in values.items()})


def _date(value) -> str:
    return value.strftime("%d/%m/%Y")


def _programme_card(kb: KnowledgeBase, programme: Programme, lang: str) -> list[str]:
    """The structured facts of a programme, one labelled line each."""
    lines = []
    for key in ("eligible", "benefit", "amount", "apply", "contact", "legal_basis"):
        value = getattr(programme, key)
        if value:
            label = markup.escape(kb.ui.get(f"programme_{key}", lang))
            lines.append(f"<b>{label}:</b> {markup.render_html(value)}")
    return ["\n".join(lines)] if lines else []


def entry_view(kb: KnowledgeBase, entry: Entry, lang: str, offers: tuple[str, ...] = ()) -> View:
    """An entry's answer with its source, review date, related entries and 👍/👎.

    `offers` are other entries that may be what the member asked (a second question in the
    same message, a close neighbour): shown first, under "Có thể bạn cũng muốn xem"."""
    body = markup.render(entry.text(lang))
    paragraphs = [f"<b>{markup.escape(entry.heading(lang))}</b>", *body.paragraphs]
    if lang == "en" and not entry.answer_en:
        paragraphs.insert(1, f"<i>{markup.escape(kb.ui.get('answer_only_vi', lang))}</i>")
    if entry.programme:
        paragraphs.extend(_programme_card(kb, entry.programme, lang))
    source = kb.ui.get("source_line", lang, source=entry.source, date=_date(entry.reviewed))
    paragraphs.append(f"<i>{markup.escape(source)}</i>")
    offers = tuple(ref for ref in offers if ref in kb.entries and ref != entry.id)
    if offers:
        paragraphs.append(markup.escape(kb.ui.get("see_also", lang)))
    rows: list[tuple[Button, ...]] = [
        (Button("➕ " + kb.entries[ref].heading(lang), (Action.ENTRY, ref)),) for ref in offers
    ]
    if entry.guide and entry.guide in kb.guides:
        rows.append((Button("🧭 " + kb.ui.get("open_guide", lang), (Action.GUIDE, entry.guide, "0")),))
    linked = [ref for ref in dict.fromkeys([*body.entry_refs, *entry.related]) if ref not in offers]
    for ref in linked[:6]:
        if ref in kb.entries and ref != entry.id:
            rows.append((Button("➜ " + kb.entries[ref].heading(lang), (Action.ENTRY, ref)),))
    rows.append(
        (
            Button("👍", (Action.VOTE, entry.id, "up")),
            Button("👎", (Action.VOTE, entry.id, "down")),
            Button(kb.ui.get("menu_button", lang), (Action.MENU,)),
        )
    )
    return View(tuple(paragraphs), tuple(rows))


def suggest_view(kb: KnowledgeBase, decision: Decision, lang: str) -> View:
    """ "Có phải bạn muốn hỏi": the top candidates as buttons."""
    entries = [kb.entries[hit.entry_id] for hit in decision.suggestions]
    rows = _entry_rows(entries, lang)
    rows.append((_handoff_button(kb, lang),))
    rows.append((Button(kb.ui.get("menu_button", lang), (Action.MENU,)),))
    return View((markup.escape(kb.ui.get("suggest_intro", lang)), _entry_list(entries, lang)), tuple(rows))


def decline_view(kb: KnowledgeBase, lang: str, in_domain: bool = True) -> View:
    """An honest decline with the topic menu to browse instead: "the knowledge base has no
    answer yet" (logged for curators, and the member may send it to the officers) for a
    question in the bot's field, "outside what I cover" for any other."""
    rows = [(_topic_button(topic, lang),) for topic in kb.topics]
    if in_domain:  # the officers may know what the knowledge base does not
        rows.insert(0, (_handoff_button(kb, lang),))
    key = "decline" if in_domain else "decline_off_topic"
    return View(tuple(markup.render_html(kb.ui.get(key, lang)).split("\n\n")), tuple(rows))


def decision_view(kb: KnowledgeBase, decision: Decision, lang: str) -> View:
    if decision.kind == "answer" and decision.entry_id:
        offers = tuple(hit.entry_id for hit in decision.offers)
        return entry_view(kb, kb.entries[decision.entry_id], lang, offers)
    if decision.kind == "suggest":
        return suggest_view(kb, decision, lang)
    return decline_view(kb, lang, decision.in_domain)


def menu_row(kb: KnowledgeBase, lang: str) -> tuple[Button, ...]:
    """The row with the single "Menu" button that ends most views."""
    return (Button(kb.ui.get("menu_button", lang), (Action.MENU,)),)


def handoff_offer_view(kb: KnowledgeBase, lang: str) -> View:
    """After a 👎: the member may send the question to the officers of their province."""
    rows = ((_handoff_button(kb, lang),), menu_row(kb, lang))
    return View((ui_html(kb, "handoff_down_offer", lang),), rows)


def _handoff_button(kb: KnowledgeBase, lang: str) -> Button:
    return Button(kb.ui.get("handoff_button", lang), (Action.HANDOFF,))


def _topic_button(topic: Topic, lang: str) -> Button:
    return Button(f"{topic.icon} {topic.name(lang)}", (Action.TOPIC, topic.id, "0"))


def main_menu_view(kb: KnowledgeBase, lang: str, intro_key: str = "menu_intro", **values: str) -> View:
    """The main menu: the knowledge topics, then self-assessment, notices and help."""
    rows: list[tuple[Button, ...]] = []
    # one topic per row: two side by side are cut on a phone ("Chương trình h…")
    rows.extend((_topic_button(t, lang),) for t in kb.topics if t.id != "assess")
    rows.append(
        (
            Button(kb.ui.get("menu_assess", lang), (Action.ASSESS,)),
            Button(kb.ui.get("menu_notices", lang), (Action.NOTICES,)),
        )
    )
    rows.append((Button(kb.ui.get("menu_help", lang), (Action.HELP,)),))
    return View((ui_html(kb, intro_key, lang, **values),), tuple(rows))


def text_view(kb: KnowledgeBase, key: str, lang: str, menu: bool = True, **values: str) -> View:
    """A ui.yaml text (in the formatting subset) with an optional menu button."""
    html = ui_html(kb, key, lang, **values)
    paragraphs = tuple(p for p in html.split("\n\n") if p.strip())
    return View(paragraphs or ("…",), (menu_row(kb, lang),) if menu else ())


def about_view(kb: KnowledgeBase, lang: str) -> View:
    """What the bot is, whose knowledge it gives, and when it was last reviewed."""
    reviewed = kb.last_reviewed
    return text_view(
        kb,
        "about",
        lang,
        entries=str(len(kb.entries)),
        date=_date(reviewed) if reviewed else "-",
        version=kb.version,
    )


def _pager(action: tuple[str, ...], page: int, pages: int) -> tuple[Button, ...]:
    buttons = []
    if page > 0:
        buttons.append(Button("◀", (*action, str(page - 1), EDIT)))
    if pages > 1:  # where you are, not a button that does something
        buttons.append(Button(f"{page + 1}/{pages}", (Action.NOTHING,)))
    if page < pages - 1:
        buttons.append(Button("▶", (*action, str(page + 1), EDIT)))
    return tuple(buttons)


def _entry_rows(entries: list[Entry], lang: str, first: int = 1) -> list[tuple[Button, ...]]:
    """A numbered button per entry; the same numbers head the full titles in the message
    (`_entry_list`), since a phone cuts a long title in a button after about 35 characters."""
    return [(Button(f"{n}. {e.heading(lang)}", (Action.ENTRY, e.id)),) for n, e in enumerate(entries, first)]


def _entry_list(entries: list[Entry], lang: str, first: int = 1) -> str:
    """The entries' full titles, numbered like their buttons."""
    return "\n".join(f"{n}. {markup.escape(e.heading(lang))}" for n, e in enumerate(entries, first))


def topic_view(kb: KnowledgeBase, topic_id: str, page: int, lang: str) -> View | None:
    """A topic's entries as buttons, eight per page; programmes also by kind and sector."""
    topic = kb.topic(topic_id)
    if topic is None:
        return None
    entries = kb.entries_of(topic_id)
    rows: list[tuple[Button, ...]] = []
    if topic_id == PROGRAMME_TOPIC:
        entries = [e for e in entries if e.programme is None]
        rows.append((Button(kb.ui.get("programmes_by_kind", lang), (Action.KINDS,)),))
        rows.append((Button(kb.ui.get("programmes_by_sector", lang), (Action.SECTORS,)),))
    pages = max(1, -(-len(entries) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = entries[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    rows[0:0] = _entry_rows(shown, lang, page * PAGE_SIZE + 1)
    pager = _pager((Action.TOPIC, topic_id), page, pages)
    if pager:
        rows.append(pager)
    rows.append(menu_row(kb, lang))
    title = f"<b>{markup.escape(topic.icon + ' ' + topic.name(lang))}</b>"
    intro = markup.escape(kb.ui.get("topic_intro", lang))
    listing = (_entry_list(shown, lang, page * PAGE_SIZE + 1),) if shown else ()
    return View((title, intro, *listing), tuple(rows))


def programmes(kb: KnowledgeBase, kind: str | None = None, sector: str | None = None) -> list[Entry]:
    """Programme entries, optionally of one kind and fitting one sector."""
    return [
        e
        for e in kb.entries.values()
        if e.programme and (kind is None or e.programme.kind == kind) and e.programme.fits_sector(sector)
    ]


def kinds_view(kb: KnowledgeBase, lang: str) -> View:
    """Programme kinds that have at least one programme."""
    present = {e.programme.kind for e in programmes(kb)}
    rows = [
        (Button(kb.ui.get(f"kind_{k}", lang), (Action.KIND, k)),) for k in PROGRAMME_KINDS if k in present
    ]
    rows.append((Button(kb.ui.get("programmes_by_sector", lang), (Action.SECTORS,)),))
    rows.append(menu_row(kb, lang))
    return View((markup.escape(kb.ui.get("choose_kind", lang)),), tuple(rows))


def kind_view(kb: KnowledgeBase, kind: str, lang: str) -> View | None:
    if kind not in PROGRAMME_KINDS:
        return None
    found = programmes(kb, kind=kind)
    rows = _entry_rows(found, lang)
    rows.append((Button(kb.ui.get("back", lang), (Action.KINDS,)), *menu_row(kb, lang)))
    title = f"<b>{markup.escape(kb.ui.get(f'kind_{kind}', lang))}</b>"
    return View((title, _entry_list(found, lang)) if found else (title,), tuple(rows))


def sectors_view(kb: KnowledgeBase, lang: str) -> View:
    rows = [(Button(kb.ui.get(f"sector_{s}", lang), (Action.SECTOR, s)),) for s in SECTORS]
    rows.append(menu_row(kb, lang))
    return View((markup.escape(kb.ui.get("choose_sector", lang)),), tuple(rows))


def sector_view(kb: KnowledgeBase, sector: str, lang: str, others: bool = False) -> View | None:
    """Programmes open to a sector (those for all sectors included); `others`: reached from the
    profile's sector, so offer the other sectors rather than "back"."""
    if sector not in SECTORS:
        return None
    found = programmes(kb, sector=sector)
    rows = _entry_rows(found, lang)
    if others:
        rows.append((Button(kb.ui.get("other_sectors", lang), (Action.SECTORS, "all")), *menu_row(kb, lang)))
    else:
        rows.append((Button(kb.ui.get("back", lang), (Action.SECTORS, "all")), *menu_row(kb, lang)))
    title = kb.ui.get("programmes_for_sector", lang, sector=kb.ui.get(f"sector_{sector}", lang))
    heading = f"<b>{markup.escape(title)}</b>"
    return View((heading, _entry_list(found, lang)) if found else (heading,), tuple(rows))


def guide_step_view(kb: KnowledgeBase, guide_id: str, step: int, lang: str) -> View | None:
    """One step of a guide, with ◀ ▶ to move and buttons to the step's entries."""
    guide = kb.guides.get(guide_id)
    if guide is None or not guide.steps:
        return None
    step = min(max(step, 0), len(guide.steps) - 1)
    current = guide.steps[step]
    title = pick(lang, current.title, current.title_en)
    text = pick(lang, current.text, current.text_en)
    counter = kb.ui.get("guide_step", lang, number=str(step + 1), total=str(len(guide.steps)))
    paragraphs = [f"<b>{markup.escape(guide.heading(lang))}</b>"]
    if step == 0:
        paragraphs.extend(markup.render(pick(lang, guide.intro, guide.intro_en)).paragraphs)
    paragraphs.append(f"<b>{markup.escape(counter)}: {markup.escape(title)}</b>")
    paragraphs.extend(markup.render(text).paragraphs)
    rows = [
        (Button("➜ " + kb.entries[ref].heading(lang), (Action.ENTRY, ref)),)
        for ref in current.entries
        if ref in kb.entries
    ]
    nav = []
    if step > 0:
        nav.append(Button("◀", (Action.GUIDE, guide_id, str(step - 1), EDIT)))
    if step < len(guide.steps) - 1:
        nav.append(Button("▶", (Action.GUIDE, guide_id, str(step + 1), EDIT)))
    if nav:
        rows.append(tuple(nav))
    rows.append(menu_row(kb, lang))
    return View(tuple(paragraphs), tuple(rows))
