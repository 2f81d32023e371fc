"""Buttons that browse the knowledge: menu, topics, entries, guides, programmes, votes."""

from __future__ import annotations

import logging

from telegram import Update

from advisor import views
from advisor.actions import EDIT
from advisor.records import StoreError
from advisor.telegram import consent
from advisor.telegram.context import AdvisorContext
from advisor.telegram.replies import OUTCOME, edit_view, send_view

log = logging.getLogger("advisor.bot")


def _int(value: str, default: int = 0) -> int:
    try:
        return max(0, min(int(value), 10_000))
    except ValueError:
        return default


async def invalid(update: Update, context: AdvisorContext) -> bool:
    OUTCOME.set("callback:invalid")
    await update.callback_query.answer(context.ui("button_invalid"))
    return True


async def on_nothing(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """A page counter: nothing to do, and nothing to say."""
    return False


async def on_menu(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    await send_view(update, context, views.main_menu_view(context.runtime.kb, context.lang))
    return False


async def on_topic(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    if not args:
        return await invalid(update, context)
    page = _int(args[1]) if len(args) > 1 else 0
    view = views.topic_view(context.runtime.kb, args[0], page, context.lang)
    if view is None:
        return await invalid(update, context)
    await (edit_view if args[-1] == EDIT else send_view)(update, context, view)
    return False


async def on_entry(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    kb = context.runtime.kb
    entry = kb.entries.get(args[0]) if args else None
    if entry is None:
        return await invalid(update, context)
    OUTCOME.set(f"entry:{entry.id}")
    await send_view(update, context, views.entry_view(kb, entry, context.lang))
    return False


async def on_guide(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """Open a guide (new message) or move within it (◀ ▶ carry a trailing "e": edit in place)."""
    if not args:
        return await invalid(update, context)
    step = _int(args[1]) if len(args) > 1 else 0
    view = views.guide_step_view(context.runtime.kb, args[0], step, context.lang)
    if view is None:
        return await invalid(update, context)
    await (edit_view if args[-1] == EDIT else send_view)(update, context, view)
    return False


async def on_vote(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    kb = context.runtime.kb
    if len(args) != 2 or args[0] not in kb.entries or args[1] not in ("up", "down"):
        return await invalid(update, context)
    user = update.effective_user
    try:
        vote = 1 if args[1] == "up" else -1
        await context.store.feedback.vote(consent.linked_id(context, user.id), args[0], vote)
    except StoreError as exc:
        log.warning("could not store vote: %s", exc)
        await update.callback_query.answer(context.ui("store_busy"))
        return True
    OUTCOME.set(f"vote:{args[0]}:{args[1]}")
    await update.callback_query.answer(context.ui("thanks_vote"))
    if args[1] == "down":
        await send_view(update, context, views.handoff_offer_view(kb, context.lang))
    return True


async def on_kinds(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    await send_view(update, context, views.kinds_view(context.runtime.kb, context.lang))
    return False


async def on_kind(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    view = views.kind_view(context.runtime.kb, args[0], context.lang) if args else None
    if view is None:
        return await invalid(update, context)
    await send_view(update, context, view)
    return False


async def on_sectors(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """Programmes by sector: straight to the cooperative's own sector when its profile names one
    (asking again what the profile says is a needless step); "all" lists every sector."""
    coop = await context.store.coops.of_user(update.effective_user.id) if args != ("all",) else None
    if coop is not None and (view := views.sector_view(context.kb, coop.sector, context.lang, others=True)):
        await send_view(update, context, view)
        return False
    await send_view(update, context, views.sectors_view(context.kb, context.lang))
    return False


async def on_sector(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    view = views.sector_view(context.runtime.kb, args[0], context.lang) if args else None
    if view is None:
        return await invalid(update, context)
    await send_view(update, context, view)
    return False
