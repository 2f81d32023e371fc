"""Handlers for admins (and officers' reports): roles, reload, gaps, stats, export.

Privileged actions are written to the audit log; officers tied to a province only see that
province's cooperatives.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from telegram import Update
from telegram.error import TelegramError

from advisor import gaps, handoff_views, markup, officer_views, provinces
from advisor.coop_views import VIETNAM
from advisor.exports import csv_text, for_people
from advisor.kb.models import SECTORS
from advisor.records import StoreError
from advisor.roles import Access, Role
from advisor.telegram.access import access_of, allowed
from advisor.telegram.context import AdvisorContext
from advisor.telegram.replies import OUTCOME, send_view
from advisor.telegram.runtime import Runtime
from advisor.views import ui_html

log = logging.getLogger("advisor.bot")

OFFICER_EXPORTS = ("cooperatives", "assessments", "results", "handoffs")
ADMIN_EXPORTS = ("questions", "feedback", "users", "deliveries", "audit", "gaps", *OFFICER_EXPORTS)


# --- roles -----------------------------------------------------------------------------------


async def _target(context: AdvisorContext, who: str) -> int | None:
    if re.fullmatch(r"\d{1,15}", who):
        return int(who)
    user = await context.store.users.by_username(who) if who.startswith("@") else None
    return user.id if user else None


async def grant(update: Update, context: AdvisorContext) -> None:
    """/grant <id|@username> officer [province] | admin"""
    admin = await allowed(update, context, Role.ADMIN)
    if admin is None:
        return
    args = context.args or []
    if len(args) < 2 or args[1].lower() not in ("officer", "admin"):
        await send_view(update, context, context.text_view("grant_usage"))
        return
    user_id = await _target(context, args[0])
    if user_id is None:
        await send_view(update, context, context.text_view("user_unknown", who=args[0][:40]))
        return
    role = args[1].lower()
    province = None
    if role == "officer" and len(args) > 2:
        found = provinces.match(" ".join(args[2:]))
        if found is None:
            await send_view(update, context, context.text_view("bad_province"))
            return
        province = found.province
    await context.store.grants.grant(user_id, role, province, update.effective_user.id)
    await context.store.audit.record(
        update.effective_user.id, "grant", f"{user_id} {role} {province or ''}".strip()
    )
    OUTCOME.set(f"grant:{user_id}:{role}")
    scope = " " + context.ui("broadcast_scope", province=province) if province else ""
    role_name = context.ui(f"role_{role}")
    await send_view(update, context, context.text_view("granted", role=role_name, who=args[0], scope=scope))
    await _tell_and_show_menu(context, user_id, "you_were_granted", role=role_name, scope=scope)


async def revoke(update: Update, context: AdvisorContext) -> None:
    """/revoke <id|@username>"""
    if await allowed(update, context, Role.ADMIN) is None:
        return
    args = context.args or []
    if len(args) != 1:
        await send_view(update, context, context.text_view("revoke_usage"))
        return
    user_id = await _target(context, args[0])
    if user_id is None or not await context.store.grants.revoke(user_id):
        await send_view(update, context, context.text_view("nothing_to_revoke", who=args[0][:40]))
        return
    await context.store.audit.record(update.effective_user.id, "revoke", str(user_id))
    OUTCOME.set(f"revoke:{user_id}")
    remaining = await access_of(context, user_id)  # rights from the server's configuration stay
    if remaining.at_least(Role.OFFICER):
        role_name = context.ui(f"role_{remaining.role.name.lower()}")
        await send_view(
            update, context, context.text_view("revoked_but_configured", who=args[0], role=role_name)
        )
    else:
        await send_view(update, context, context.text_view("revoked", who=args[0]))
    await _tell_and_show_menu(context, user_id, "you_were_revoked")


async def _tell_and_show_menu(context: AdvisorContext, user_id: int, key: str, **values: str) -> None:
    """Tell the user their rights changed (in their language) and give them the command menu of
    the rights they now actually have, configured ones included."""
    granted = await access_of(context, user_id)
    await context.runtime.role_menu(user_id, granted.role)
    user = await context.store.users.get(user_id)
    lang = user.language if user else "vi"
    if user is None or user.blocked_at:
        return
    text = context.kb.ui.get(key, lang, **values)
    try:
        await context.bot.send_message(user.chat_id, markup.escape(text))
    except TelegramError as exc:  # they may never have opened a chat with the bot
        log.info("could not tell user %s that their rights changed: %s", user_id, exc)


# --- admin tools: reload, gaps, stats, export --------------------------------------------------


async def reload(update: Update, context: AdvisorContext) -> None:
    """/reload: validate the knowledge folder; swap it in only if it has no errors."""
    if await allowed(update, context, Role.ADMIN) is None:
        return
    rt = context.runtime
    changes, problems = await rt.reload()
    await context.store.audit.record(
        update.effective_user.id, "reload", "ok" if changes else f"{len(problems)} errors"
    )
    if changes is not None:  # files edited on the server join the history /kb keeps
        await keep_reloaded_version(rt, update.effective_user.id)
    OUTCOME.set("reload:ok" if changes is not None else f"reload:failed:{len(problems)}")
    await send_view(update, context, officer_views.reload_view(rt.kb, changes, problems, context.lang))


async def keep_reloaded_version(rt: Runtime, user_id: int | None) -> None:
    """Keep reloaded files as a version; a busy database only costs the history an entry."""
    try:
        await rt.editor().record_current(user_id)
    except StoreError as exc:
        log.warning("could not keep the reloaded knowledge as a version: %s", exc)


async def gaps_command(update: Update, context: AdvisorContext) -> None:
    """/gaps: the curators' to-do list: grouped unanswered questions and 👎 answers, then the
    questions officers answered (to mark for the knowledge base)."""
    if await allowed(update, context, Role.ADMIN) is None:
        return
    store = context.store
    groups = gaps.group(await store.questions.declined())
    disliked = await store.feedback.disliked()
    answered = await store.handoffs.answered()
    OUTCOME.set(f"gaps:{len(groups)}")
    await send_view(update, context, officer_views.gaps_view(context.kb, groups, disliked, context.lang))
    if answered:
        await send_view(update, context, handoff_views.answered_section(context.kb, context.lang, answered))


async def stats(update: Update, context: AdvisorContext) -> None:
    """/stats: usage figures; an officer tied to a province sees that province's cooperatives."""
    granted = await allowed(update, context, Role.OFFICER)
    if granted is None:
        return
    figures = await context.store.reports.stats(granted.scope)
    await send_view(
        update, context, officer_views.stats_view(context.kb, figures, granted.scope, context.lang)
    )


async def export(update: Update, context: AdvisorContext) -> None:
    """/export [table]: a CSV document; without a table, a button for each one this role may
    export (officers get their province's cooperative tables)."""
    granted = await allowed(update, context, Role.OFFICER)
    if granted is not None:
        await _export(update, context, granted, (context.args or [""])[0].lower())


async def on_export(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """A table's button under /export."""
    granted = await allowed(update, context, Role.OFFICER)
    if granted is None:
        return True
    await _export(update, context, granted, args[0] if args else "")
    return False


async def _export(update: Update, context: AdvisorContext, granted: Access, table: str) -> None:
    tables = ADMIN_EXPORTS if granted.role == Role.ADMIN else OFFICER_EXPORTS
    if table not in tables:
        await send_view(update, context, officer_views.export_choice_view(context.kb, tables, context.lang))
        return
    store = context.store
    rows = await gaps.gap_rows(store) if table == "gaps" else await store.reports.export(table, granted.scope)
    await store.audit.record(update.effective_user.id, "export", f"{table} {granted.scope or ''}".strip())
    OUTCOME.set(f"export:{table}:{len(rows)}")
    if not rows:
        await send_view(update, context, context.text_view("export_empty", table=table))
        return
    settings = context.runtime.settings
    sectors = {code: context.kb.ui.get(f"sector_{code}", "vi") for code in SECTORS}
    readable = for_people(rows, settings.admins, settings.officers, sectors)
    data = csv_text(readable, context.ui("export_personal")).encode(
        "utf-8-sig"
    )  # the BOM makes Excel read Vietnamese correctly
    stamp = dt.datetime.now(VIETNAM).strftime("%Y%m%d-%H%M")
    await context.bot.send_document(update.effective_chat.id, data, filename=f"{table}-{stamp}.csv")


async def help_extra(update: Update, context: AdvisorContext) -> list[str]:
    """The extra /help sections for officers and admins."""
    user = update.effective_user
    granted = await access_of(context, user.id) if user else Access(Role.MEMBER)
    kb, lang = context.runtime.kb, context.lang
    sections = []
    if granted.at_least(Role.OFFICER):
        sections.append(ui_html(kb, "help_officer", lang))
    if granted.at_least(Role.ADMIN):
        sections.append(ui_html(kb, "help_admin", lang))
    return sections
