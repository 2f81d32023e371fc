"""/kb for admins: download the knowledge, send a changed file or zip, see the check and the
preview, apply or cancel, look at the history and go back to a version.

Thin: the admin check, the download of the sent document (within the size limit, before any
byte is fetched), then `KnowledgeEditor` (`advisor.kb_editing`) and `kb_views`. A member who
sends a document gets the usual "text only" reply, and nothing is downloaded.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.error import TelegramError

from advisor import kb_views
from advisor.coop_views import VIETNAM
from advisor.kb.bundle import MAX_UPLOAD_BYTES, UploadError
from advisor.kb_editing import Proposal
from advisor.roles import Role
from advisor.telegram import handlers
from advisor.telegram.access import access_of, allowed
from advisor.telegram.context import AdvisorContext
from advisor.telegram.replies import OUTCOME, clear_buttons, edit_view, send_view

log = logging.getLogger("advisor.bot")

UPLOAD_SUFFIXES = (".yaml", ".yml", ".zip")


async def kb(update: Update, context: AdvisorContext) -> None:
    """/kb: the menu; /kb history: the versions kept."""
    if await allowed(update, context, Role.ADMIN) is None:
        return
    if (context.args or [""])[0].lower() in ("history", "lichsu", "lịch_sử"):
        await _history(update, context)
        return
    await _menu(update, context)


async def _menu(update: Update, context: AdvisorContext) -> None:
    editor = context.runtime.editor()
    files = await editor.current()
    number = await editor.current_version()
    version = await context.store.kb_versions.get(number) if number else None
    await send_view(update, context, kb_views.menu_view(context.kb, context.lang, len(files), version))


async def _history(update: Update, context: AdvisorContext) -> None:
    OUTCOME.set("kb:history")
    store = context.store
    versions = await store.kb_versions.recent(kb_views.HISTORY)
    names = {}
    for author in {v.author_id for v in versions if v.author_id}:
        user = await store.users.get(author)
        if user is not None and user.username:
            names[author] = "@" + user.username
    current = await context.runtime.editor().current_version()
    await send_view(
        update, context, kb_views.history_view(context.kb, context.lang, versions, current, names)
    )


async def _show(update: Update, context: AdvisorContext, proposal: Proposal) -> None:
    """A check's outcome: the refusal, every problem, or the preview with its buttons."""
    kb, lang = context.kb, context.lang
    if proposal.refusal is not None:
        OUTCOME.set(f"kb:refused:{proposal.refusal.key}")
        view = kb_views.refusal_view(kb, lang, proposal.refusal)
    elif proposal.review is None or not proposal.review.valid:
        problems = proposal.review.problems if proposal.review else ()
        OUTCOME.set(f"kb:invalid:{len(problems)}")
        view = kb_views.problems_view(kb, lang, proposal.origin, problems)
    else:
        OUTCOME.set(f"kb:preview:{proposal.proposal_id or '-'}")
        view = kb_views.preview_view(kb, lang, proposal)
    await send_view(update, context, view)


async def _refuse(update: Update, context: AdvisorContext, key: str, **values: str) -> None:
    await context.store.audit.record(update.effective_user.id, "kb_refused", key)
    OUTCOME.set(f"kb:refused:{key}")
    await send_view(
        update, context, kb_views.refusal_view(context.kb, context.lang, UploadError(key, **values))
    )


# --- a document sent by an admin ------------------------------------------------------------------


async def document(update: Update, context: AdvisorContext) -> None:
    """A file in a private chat: an admin's YAML file or zip is checked and previewed."""
    user = update.effective_user
    sent = update.effective_message.document if update.effective_message else None
    if user is None or sent is None or not (await access_of(context, user.id)).at_least(Role.ADMIN):
        await handlers.unsupported(update, context)
        return
    name = (sent.file_name or "").strip()
    if not name.lower().endswith(UPLOAD_SUFFIXES):
        await _refuse(update, context, "kb_bad_type", name=name[:60] or "-")
        return
    if (sent.file_size or 0) > MAX_UPLOAD_BYTES:
        await _refuse(update, context, "kb_too_large", name=name[:60])
        return
    try:
        data = bytes(await (await sent.get_file()).download_as_bytearray())
    except TelegramError as exc:
        log.warning("could not download %s from %s: %s", name, user.id, exc)
        await _refuse(update, context, "kb_download_failed", name=name[:60])
        return
    if len(data) > MAX_UPLOAD_BYTES:  # the size Telegram announced was wrong or missing
        await _refuse(update, context, "kb_too_large", name=name[:60])
        return
    await _show(update, context, await context.runtime.editor().propose_upload(user.id, name, data))


# --- buttons ------------------------------------------------------------------------------------


Button = Callable[[Update, AdvisorContext, tuple[str, ...]], Awaitable[bool]]


def _for_admins(handler: Button) -> Button:
    """Every /kb button re-checks the role: its data proves nothing."""

    @functools.wraps(handler)
    async def checked(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
        if await allowed(update, context, Role.ADMIN) is None:
            return True
        return await handler(update, context, args)

    return checked


def _number(args: tuple[str, ...]) -> int | None:
    return int(args[0]) if len(args) == 1 and args[0].isdigit() and len(args[0]) < 12 else None


@_for_admins
async def on_menu(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    await _menu(update, context)
    return False


@_for_admins
async def on_zip(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """📦: every knowledge file in one zip, paths as in the folder."""
    files = await context.runtime.editor().current()
    stamp = dt.datetime.now(VIETNAM).strftime("%Y%m%d-%H%M")
    await context.store.audit.record(update.effective_user.id, "kb_download", "zip")
    OUTCOME.set("kb:download:zip")
    await context.bot.send_document(
        update.effective_chat.id, files.to_zip(), filename=f"knowledge-{stamp}.zip"
    )
    return False


@_for_admins
async def on_files(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    files = await context.runtime.editor().current()
    await edit_view(update, context, kb_views.files_view(context.kb, context.lang, list(files)))
    return False


@_for_admins
async def on_file(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """📄 one file; the path is looked up among the knowledge files, never opened as given."""
    path = "/".join(args)
    data = (await context.runtime.editor().current()).files.get(path)
    if data is None:
        await update.callback_query.answer(context.ui("kb_file_missing"), show_alert=True)
        return True
    await context.store.audit.record(update.effective_user.id, "kb_download", path)
    OUTCOME.set("kb:download:file")
    await context.bot.send_document(update.effective_chat.id, data, filename=path.rsplit("/", 1)[-1])
    return False


@_for_admins
async def on_upload(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    await edit_view(update, context, kb_views.upload_help_view(context.kb, context.lang))
    return False


@_for_admins
async def on_history(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    await _history(update, context)
    return False


@_for_admins
async def on_rollback(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """↩ under a version: the same check and preview, with that version as the candidate."""
    number = _number(args)
    proposal = (
        await context.runtime.editor().propose_rollback(update.effective_user.id, number) if number else None
    )
    if proposal is None:
        await update.callback_query.answer(context.ui("kb_version_unknown"), show_alert=True)
        return True
    await _show(update, context, proposal)
    return False


@_for_admins
async def on_apply(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """✅ Áp dụng: only the admin's own pending preview, only on the files it was checked against."""
    number = _number(args)
    if number is None:
        await update.callback_query.answer(context.ui("button_invalid"))
        return True
    applied = await context.runtime.editor().apply(update.effective_user.id, number)
    OUTCOME.set(f"kb:apply:{applied.status}")
    await clear_buttons(update)
    await send_view(update, context, kb_views.applied_view(context.kb, context.lang, applied))
    return False


@_for_admins
async def on_cancel(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    number = _number(args)
    cancelled = number is not None and await context.runtime.editor().cancel(update.effective_user.id, number)
    OUTCOME.set("kb:cancel" if cancelled else "kb:cancel:closed")
    await clear_buttons(update)
    await send_view(update, context, context.text_view("kb_cancelled" if cancelled else "kb_closed"))
    return False
