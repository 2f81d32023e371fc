"""What officers and admins see, as data: a notice's audience and preview, the list of
notices, their progress, and the admins' reports (reload, gaps, stats).

Like `views` and `coop_views`, nothing here knows Telegram: the adapter gathers the figures,
these functions word them in the officer's language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from advisor import markup
from advisor.actions import Action
from advisor.broadcast import eta_seconds
from advisor.broadcast_draft import Draft, format_time
from advisor.coop_views import province_page_view
from advisor.gaps import Gap
from advisor.kb.changes import Changes
from advisor.kb.models import SECTORS, KnowledgeBase, Problem
from advisor.records import Broadcast
from advisor.views import Button, View, menu_row, ui_html


def _heading(kb: KnowledgeBase, entry_id: str, lang: str) -> str:
    """An entry's title for people; its id only if it no longer exists."""
    entry = kb.entries.get(entry_id)
    return entry.heading(lang) if entry else entry_id


def _scope(kb: KnowledgeBase, scope: str | None, lang: str) -> str:
    return " " + kb.ui.get("broadcast_scope", lang, province=scope) if scope else ""


def _mark(on: bool, label: str) -> str:
    return ("✅ " if on else "") + label


def audience_view(kb: KnowledgeBase, draft: Draft, count: int, scope: str | None, lang: str) -> View:
    """Who will receive the notice: sectors, levels, not yet assessed, provinces (for officers
    not bound to one), with the number of recipients; then preview or cancel."""
    ui = kb.ui
    sectors = [
        Button(_mark(s in draft.sectors, ui.get(f"sector_{s}", lang)), (Action.AUDIENCE_SECTOR, s))
        for s in SECTORS
    ]
    rows: list[tuple[Button, ...]] = [tuple(sectors[i : i + 2]) for i in range(0, len(sectors), 2)]
    levels = kb.assessment.levels if kb.assessment else ()
    rows.append(
        tuple(
            Button(
                _mark(level.id in draft.levels, ui.get("audience_level", lang, level=str(level.id))),
                (Action.AUDIENCE_LEVEL, str(level.id)),
            )
            for level in levels
        )
    )
    not_assessed = _mark(draft.not_assessed, ui.get("audience_not_assessed", lang))
    rows.append((Button(not_assessed, (Action.AUDIENCE_NOT_ASSESSED,)),))
    if scope is None:
        label = ui.get("audience_provinces", lang)
        if draft.provinces:
            label += f" ({len(draft.provinces)})"
        rows.append((Button(label, (Action.AUDIENCE_PROVINCE_PAGE, "0")),))
    rows.append(
        (
            Button(ui.get("broadcast_preview_button", lang), (Action.PREVIEW,)),
            Button(ui.get("broadcast_cancel", lang), (Action.DISCARD,)),
        )
    )
    html = ui_html(kb, "broadcast_audience", lang, scope=_scope(kb, scope, lang), count=str(count))
    if draft.provinces:
        html += "\n📍 " + markup.escape(", ".join(draft.provinces))
    return View((html,), tuple(rows))


def notice_html(kb: KnowledgeBase, html: str, role: str, scope: str | None) -> str:
    """The notice as members receive it: the officer's text, then who sent it and how to stop
    notices (in Vietnamese, the language of the notice)."""
    sender = kb.ui.get(f"role_{role}", "vi") + (f" – {scope}" if scope else "")
    return html + "\n\n" + ui_html(kb, "notice_footer", "vi", sender=sender)


def province_toggle_view(kb: KnowledgeBase, draft: Draft, page: int, lang: str) -> View:
    """A page of provinces to switch on or off for the audience."""
    return province_page_view(
        kb,
        page,
        lang,
        pick=Action.AUDIENCE_PROVINCE,
        turn=Action.AUDIENCE_PROVINCE_PAGE,
        chosen=frozenset(draft.provinces),
        done=Button(kb.ui.get("audience_done", lang), (Action.AUDIENCE,)),
    )


def preview_view(kb: KnowledgeBase, count: int, when: str | None, lang: str, scheduling: bool = True) -> View:
    """After the preview: how many will receive it (and when), send now or schedule, change the
    audience or cancel; right after typing a time, only send or cancel."""
    ui = kb.ui
    send = Button(ui.get("broadcast_confirm_schedule" if when else "broadcast_send", lang), (Action.CONFIRM,))
    cancel = Button(ui.get("broadcast_cancel", lang), (Action.DISCARD,))
    if scheduling:
        rows = (
            (send, Button(ui.get("broadcast_schedule", lang), (Action.SCHEDULE,))),
            (Button(ui.get("broadcast_edit_audience", lang), (Action.AUDIENCE,)), cancel),
        )
    else:
        rows = ((send, cancel),)
    when_text = " " + ui.get("broadcast_when", lang, time=when) if when else ""
    return View((ui_html(kb, "broadcast_preview", lang, count=str(count), when=when_text),), rows)


def broadcasts_view(
    kb: KnowledgeBase, recent: Sequence[tuple[Broadcast, Mapping[str, int]]], lang: str
) -> View:
    """Recent notices with their figures; running or scheduled ones can be stopped."""
    ui = kb.ui
    lines, rows = [], []
    for item, counts in recent:
        visible = markup.html_visible_text(item.html).replace("\n", " ")
        preview = visible if len(visible) <= 40 else visible[:39].rstrip() + "…"
        line = ui.get(
            "broadcast_line",
            lang,
            id=str(item.id),
            time=format_time(item.send_at),
            status=ui.get(f"status_{item.status}", lang),
            sent=str(counts.get("sent", 0)),
            total=str(sum(counts.values())),
            preview=preview,
        )
        lines.append(markup.escape(line))
        if item.status in ("scheduled", "sending"):
            stop = ui.get("broadcast_stop", lang, id=str(item.id))
            rows.append((Button(stop, (Action.STOP_BROADCAST, str(item.id))),))
    rows.append(menu_row(kb, lang))
    body = "\n".join(lines) if lines else ui_html(kb, "broadcasts_empty", lang)
    return View((ui_html(kb, "broadcasts_title", lang), body), tuple(rows))


def stop_confirm_view(kb: KnowledgeBase, broadcast_id: int, lang: str) -> View:
    """Stopping a notice cannot be undone: ask first."""
    rows = (
        (
            Button(kb.ui.get("broadcast_stop_yes", lang), (Action.STOP_BROADCAST, str(broadcast_id), "yes")),
            Button(kb.ui.get("broadcast_stop_no", lang), (Action.STOP_BROADCAST, "list")),
        ),
    )
    return View((markup.escape(kb.ui.get("broadcast_stop_confirm", lang, id=str(broadcast_id))),), rows)


def progress_text(
    kb: KnowledgeBase, broadcast: Broadcast, counts: Mapping[str, int], lang: str, rate: float = 25.0
) -> str:
    """The officer's progress line while a notice goes out, then its final report."""
    left = counts.get("pending", 0) + counts.get("sending", 0)
    values = {key: str(counts.get(key, 0)) for key in ("sent", "blocked", "failed", "unknown")}
    if broadcast.status in ("done", "cancelled"):
        total = sum(counts.values())
        status = kb.ui.get(f"status_{broadcast.status}", lang)
        return kb.ui.get(
            "broadcast_report", lang, id=str(broadcast.id), status=status, total=str(total), **values
        )
    eta = " " + kb.ui.get("broadcast_eta", lang, seconds=str(round(eta_seconds(left, rate)))) if left else ""
    return kb.ui.get("broadcast_progress", lang, id=str(broadcast.id), left=str(left), eta=eta, **values)


def export_choice_view(kb: KnowledgeBase, tables: Sequence[str], lang: str) -> View:
    """The tables this role may export, a button each (named in the reader's language)."""
    rows = [(Button(kb.ui.get(f"export_table_{table}", lang), (Action.EXPORT, table)),) for table in tables]
    rows.append(menu_row(kb, lang))
    return View((ui_html(kb, "export_choose", lang),), tuple(rows))


# --- admins' reports ---------------------------------------------------------------------------


def reload_view(kb: KnowledgeBase, changes: Changes | None, problems: Sequence[Problem], lang: str) -> View:
    """After /reload: what changed in the (new) knowledge, or every problem that kept the old."""
    if changes is None:
        # one <code> block per problem: a long list is split between paragraphs, never inside a tag
        listing = tuple(f"<code>{markup.escape(str(p)[:1000])}</code>" for p in problems[:40])
        return View((ui_html(kb, "reload_failed", lang, count=str(len(problems))), *listing))
    assessment = "; " + kb.ui.get("reload_assessment", lang) if changes.assessment_changed else ""
    parts = [
        ui_html(
            kb,
            "reload_ok",
            lang,
            version=kb.version,
            added=str(len(changes.added)),
            removed=str(len(changes.removed)),
            edited=str(len(changes.edited)),
            assessment=assessment,
        )
    ]
    for label, ids in (("+", changes.added), ("−", changes.removed), ("✎", changes.edited)):
        if ids:
            parts.append(markup.escape(f"{label} " + ", ".join(ids[:30])))
    return View(tuple(parts))


def gaps_view(
    kb: KnowledgeBase, groups: Sequence[Gap], disliked: Sequence[Mapping[str, Any]], lang: str
) -> View:
    """The curators' to-do list: grouped unanswered questions and 👎 answers."""
    paragraphs = [ui_html(kb, "gaps_title", lang)]
    if not groups:
        paragraphs.append(ui_html(kb, "gaps_empty", lang))
    for gap in groups:
        examples = " | ".join(gap.examples)
        paragraphs.append(f"<b>{gap.count}×</b> {markup.escape(examples[:300])}")
    if disliked:
        lines = []
        for row in disliked[:15]:
            entry = kb.entries.get(row["entry_id"])
            title = markup.escape(entry.title if entry else row["entry_id"])
            lines.append(f"• {title}: 👎 {row['down']} / 👍 {row['up']}")
        paragraphs.append(ui_html(kb, "gaps_disliked", lang) + "\n" + "\n".join(lines))
    return View(tuple(paragraphs))


def stats_view(kb: KnowledgeBase, figures: Mapping[str, Any], scope: str | None, lang: str) -> View:
    """/stats: usage figures (of one province for an officer bound to it)."""
    asked = sum(day["asked"] for day in figures["per_day"])
    answered = sum(day["answered"] or 0 for day in figures["per_day"])
    paragraphs = [
        ui_html(
            kb,
            "stats_text",
            lang,
            scope=_scope(kb, scope, lang),
            users=str(figures["users"]),
            reachable=str(figures["reachable"]),
            blocked=str(figures["blocked"]),
            coops=str(figures["cooperatives"]),
            asked=str(asked),
            rate=str(round(100 * answered / asked)) if asked else "0",
        )
    ]
    if figures["top_entries"]:
        lines = [
            f"• {markup.escape(_heading(kb, row['entry_id'], lang))}: {row['n']}"
            for row in figures["top_entries"]
        ]
        paragraphs.append(ui_html(kb, "stats_top", lang) + "\n" + "\n".join(lines))
    if figures["by_level"]:
        lines = []
        for row in figures["by_level"]:
            name = (
                (kb.assessment and kb.assessment.level_label(row["level"], lang)) or row["level_name"] or ""
            )
            lines.append(f"• {row['level']} {markup.escape(name)}: {row['n']}")
        paragraphs.append(ui_html(kb, "stats_levels", lang) + "\n" + "\n".join(lines))
    if figures["by_province"]:
        lines = [
            f"• {markup.escape(row['province'])}: {row['n']} ({row['mean']})"
            for row in figures["by_province"]
        ]
        paragraphs.append(ui_html(kb, "stats_provinces", lang) + "\n" + "\n".join(lines))
    if figures.get("handoffs"):
        lines = []
        for row in figures["handoffs"]:
            median = f"{row['median_hours']:.0f}" if row["median_hours"] is not None else "-"
            liked = f"{row['liked']}%" if row["liked"] is not None else "-"
            values = {
                "asked": str(row["asked"]),
                "answered": str(row["answered"]),
                "hours": median,
                "liked": liked,
            }
            lines.append(
                f"• {markup.escape(row['province'])}: "
                + markup.escape(kb.ui.get("stats_handoff_line", lang, **values))
            )
        paragraphs.append(ui_html(kb, "stats_handoffs", lang) + "\n" + "\n".join(lines))
    if figures["deliveries"]:
        text = ", ".join(
            f"{kb.ui.get(f'delivery_{status}', lang)} {n}"
            for status, n in sorted(figures["deliveries"].items())
        )
        paragraphs.append(ui_html(kb, "stats_deliveries", lang, figures=text))
    return View(tuple(paragraphs), (menu_row(kb, lang),))
