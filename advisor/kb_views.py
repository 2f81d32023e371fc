"""What an admin editing the knowledge sees, as data: the /kb menu, a check's problems or its
preview (with "Áp dụng" / "Hủy"), the outcome of applying, and the history with rollbacks.

Like `officer_views`, nothing here knows Telegram; every text comes from ui.yaml.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence

from advisor import markup
from advisor.actions import Action
from advisor.coop_views import VIETNAM
from advisor.kb.bundle import MAX_UPLOAD_BYTES, UploadError
from advisor.kb.models import KnowledgeBase, Problem
from advisor.kb_editing import SERVER, Applied, Proposal
from advisor.kb_review import EntryEdit, Review
from advisor.records import KnowledgeVersion
from advisor.views import Button, View, menu_row, ui_html

MAX_PROBLEMS = 40
MAX_LISTED = 30
"""Entries, files or test questions listed by name in a preview; the rest are counted."""
MAX_LINE = 200
MAX_DETAILED = 8
"""Edited entries shown with their changed lines; further ones are named only, so a large
change stays a few messages long."""
HISTORY = 10


def _when(stamp: str) -> str:
    """A stored UTC time as Vietnam time, day first."""
    try:
        moment = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return moment.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")


def _cut(text: str, limit: int = MAX_LINE) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def menu_view(kb: KnowledgeBase, lang: str, files: int, version: KnowledgeVersion | None) -> View:
    """/kb: what is live, and the ways to download, change and look back."""
    current = (
        kb.ui.get("kb_version_line", lang, number=str(version.id), when=_when(version.created_at))
        if version
        else kb.ui.get("kb_version_unrecorded", lang)
    )
    text = ui_html(
        kb,
        "kb_menu",
        lang,
        files=str(files),
        entries=str(len(kb.entries)),
        version=kb.version,
        current=current,
    )
    rows = (
        (Button(kb.ui.get("kb_download_zip", lang), (Action.KB_ZIP,)),),
        (Button(kb.ui.get("kb_download_one", lang), (Action.KB_FILES,)),),
        (Button(kb.ui.get("kb_upload_button", lang), (Action.KB_UPLOAD,)),),
        (Button(kb.ui.get("kb_history_button", lang), (Action.KB_HISTORY,)),),
        menu_row(kb, lang),
    )
    return View((text,), rows)


_BUTTON_PATH = re.compile(r"^[A-Za-z0-9_.\-/]{1,48}$")
"""Paths a button can name within 64 bytes of callback data; others (made on the server) are
in the zip."""


def files_view(kb: KnowledgeBase, lang: str, paths: Sequence[str]) -> View:
    """One button per knowledge file, to download it alone."""
    named = [path for path in paths if _BUTTON_PATH.match(path)]
    rows = [(Button("📄 " + path, (Action.KB_FILE, *path.split("/"))),) for path in named[:90]]
    rows.append((Button(kb.ui.get("back", lang), (Action.KB_MENU,)),))
    return View((ui_html(kb, "kb_files_title", lang),), tuple(rows))


def upload_help_view(kb: KnowledgeBase, lang: str) -> View:
    mb = str(MAX_UPLOAD_BYTES // 2**20)
    return View(
        (ui_html(kb, "kb_upload_help", lang, mb=mb),),
        ((Button(kb.ui.get("back", lang), (Action.KB_MENU,)),),),
    )


def refusal_view(kb: KnowledgeBase, lang: str, refusal: UploadError) -> View:
    """An upload that could not even be read as knowledge files: why, and nothing changed."""
    values = {"mb": str(MAX_UPLOAD_BYTES // 2**20), **refusal.values}
    text = ui_html(kb, refusal.key, lang, **values)
    return View((text, ui_html(kb, "kb_nothing_changed", lang)), (menu_row(kb, lang),))


def problems_view(kb: KnowledgeBase, lang: str, origin: str, problems: Sequence[Problem]) -> View:
    """Every error as `file:line: message` (as `advisor validate` prints it); nothing changed."""
    errors = [p for p in problems if not p.warning]
    listing = tuple(f"<code>{markup.escape(_cut(str(p), 1000))}</code>" for p in errors[:MAX_PROBLEMS])
    more = (
        (markup.escape(kb.ui.get("kb_more", lang, count=str(len(errors) - MAX_PROBLEMS))),)
        if len(errors) > MAX_PROBLEMS
        else ()
    )
    head = ui_html(kb, "kb_refused", lang, origin=origin_text(kb, lang, origin), count=str(len(errors)))
    return View((head, *listing, *more), (menu_row(kb, lang),))


def origin_text(kb: KnowledgeBase, lang: str, origin: str) -> str:
    """Where a version or candidate came from, in words."""
    kind, _, detail = origin.partition(":")
    if kind == "upload":
        return kb.ui.get("kb_origin_upload", lang, name=detail)
    if kind == "rollback":
        return kb.ui.get("kb_origin_rollback", lang, number=detail)
    if kind == SERVER:
        return kb.ui.get("kb_origin_server", lang)
    return origin


def _ids(kb: KnowledgeBase, lang: str, review: Review, ids: Sequence[str]) -> str:
    names = [f"{review.entries[i].heading(lang) if i in review.entries else i} ({i})" for i in ids]
    extra = len(names) - MAX_LISTED
    text = "; ".join(names[:MAX_LISTED])
    return markup.escape(text + (" " + kb.ui.get("kb_more", lang, count=str(extra)) if extra > 0 else ""))


def _edit(kb: KnowledgeBase, lang: str, review: Review, edit: EntryEdit) -> str:
    entry = review.entries.get(edit.entry_id)
    title = markup.escape(entry.heading(lang) if entry else edit.entry_id)
    fields = ", ".join(edit.fields)
    lines = [f"✎ <b>{title}</b> ({markup.escape(edit.entry_id)})"]
    lines.append(markup.escape(kb.ui.get("kb_preview_fields", lang, fields=fields)))
    if edit.lines:
        more = [kb.ui.get("kb_more", lang, count=str(edit.more_lines))] if edit.more_lines else []
        body = "\n".join(markup.escape(_cut(line)) for line in [*edit.lines, *more])
        lines.append(f"<pre>{body}</pre>")
    return "\n".join(lines)


def preview_view(kb: KnowledgeBase, lang: str, proposal: Proposal) -> View:
    """A valid candidate: what it changes, the test questions it loses, "Áp dụng" / "Hủy"."""
    review = proposal.review
    assert review is not None and review.changes is not None
    origin = origin_text(kb, lang, proposal.origin)
    if review.unchanged:
        return View((ui_html(kb, "kb_unchanged", lang, origin=origin),), (menu_row(kb, lang),))
    changes = review.changes
    parts = [
        ui_html(
            kb,
            "kb_preview",
            lang,
            origin=origin,
            added=str(len(changes.added)),
            removed=str(len(changes.removed)),
            edited=str(len(changes.edited)),
        )
    ]
    for key, paths in (
        ("kb_files_added", review.files_added),
        ("kb_files_changed", review.files_changed),
        ("kb_files_removed", review.files_removed),
    ):
        if paths:
            parts.append(markup.escape(kb.ui.get(key, lang, files=", ".join(paths[:MAX_LISTED]))))
    if changes.added:
        parts.append(f"➕ {_ids(kb, lang, review, changes.added)}")
    if changes.removed:
        parts.append(f"➖ {_ids(kb, lang, review, changes.removed)}")
    parts.extend(_edit(kb, lang, review, edit) for edit in review.edits[:MAX_DETAILED])
    if len(review.edits) > MAX_DETAILED:
        others = [edit.entry_id for edit in review.edits[MAX_DETAILED:]]
        parts.append(f"✎ {_ids(kb, lang, review, others)}")
    if changes.assessment_changed:
        parts.append(markup.escape(kb.ui.get("reload_assessment", lang)))
    if review.lost:
        lines = [f"• {markup.escape(_cut(t.question))} → {markup.escape(t.entry_id)}" for t in review.lost]
        parts.append(ui_html(kb, "kb_lost", lang, count=str(len(review.lost))))
        if len(lines) > MAX_LISTED:
            lines[MAX_LISTED:] = [
                markup.escape(kb.ui.get("kb_more", lang, count=str(len(lines) - MAX_LISTED)))
            ]
        parts.append("\n".join(lines))
    else:
        parts.append(ui_html(kb, "kb_lost_none", lang))
    if review.ignored:
        parts.append(
            markup.escape(kb.ui.get("kb_ignored", lang, files=", ".join(review.ignored[:MAX_LISTED])))
        )
    parts.append(ui_html(kb, "kb_confirm", lang))
    number = str(proposal.proposal_id)
    buttons = (
        (
            Button(kb.ui.get("kb_apply", lang), (Action.KB_APPLY, number)),
            Button(kb.ui.get("kb_cancel", lang), (Action.KB_CANCEL, number)),
        ),
    )
    return View(tuple(parts), buttons)


def applied_view(kb: KnowledgeBase, lang: str, applied: Applied) -> View:
    """After "Áp dụng": the new version live, or why nothing was applied."""
    if applied.status == "applied" and applied.changes is not None:
        changes = applied.changes
        text = ui_html(
            kb,
            "kb_applied",
            lang,
            number=str(applied.version_id),
            version=kb.version,
            added=str(len(changes.added)),
            removed=str(len(changes.removed)),
            edited=str(len(changes.edited)),
        )
        return View((text,), (menu_row(kb, lang),))
    if applied.status == "failed":
        return problems_view(kb, lang, "", applied.problems)
    key = {"base_changed": "kb_base_changed", "unwritable": "kb_unwritable"}.get(applied.status, "kb_closed")
    return View((ui_html(kb, key, lang),), ((Button(kb.ui.get("kb_menu_button", lang), (Action.KB_MENU,)),),))


def _summary(kb: KnowledgeBase, lang: str, summary: Mapping[str, Sequence[str]]) -> str:
    """What a version changed; nothing for the first one kept (there was nothing to compare)."""
    if not summary.get("files"):
        return ""
    counts = {name: str(len(summary.get(name, ()))) for name in ("added", "removed", "edited")}
    files = ", ".join(summary["files"][:5]) + ("…" if len(summary["files"]) > 5 else "")
    return " · " + kb.ui.get("kb_history_changes", lang, files=files, **counts)


def history_view(
    kb: KnowledgeBase,
    lang: str,
    versions: Sequence[KnowledgeVersion],
    current: int | None,
    names: Mapping[int, str],
) -> View:
    """The versions kept, newest first; each but the live one can be previewed to go back to."""
    if not versions:
        return View((ui_html(kb, "kb_history_empty", lang),), (menu_row(kb, lang),))
    parts = [ui_html(kb, "kb_history_title", lang)]
    rows = []
    for version in versions[:HISTORY]:
        who = names.get(version.author_id or 0) or (str(version.author_id) if version.author_id else "-")
        live = " ✅" if version.id == current else ""
        line = kb.ui.get(
            "kb_history_line",
            lang,
            number=str(version.id),
            when=_when(version.created_at),
            who=who,
            origin=origin_text(kb, lang, version.origin),
        )
        parts.append(markup.escape(line + _summary(kb, lang, version.summary)) + live)
        if version.id != current:
            label = kb.ui.get("kb_rollback_button", lang, number=str(version.id))
            rows.append((Button(label, (Action.KB_ROLLBACK, str(version.id))),))
    rows.append((Button(kb.ui.get("back", lang), (Action.KB_MENU,)),))
    return View(tuple(parts), tuple(rows))
