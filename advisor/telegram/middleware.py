"""Before every update: who is this (first/last seen, language), and are they flooding?"""

from __future__ import annotations

import logging
import time

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from advisor.records import StoreError
from advisor.telegram.context import AdvisorContext, language_from_telegram
from advisor.telegram.replies import OUTCOME

log = logging.getLogger("advisor.bot")

FLOOD_WINDOW_S = 3.0
TOUCH_EVERY_S = 60.0


async def track_user(update: Update, context: AdvisorContext) -> None:
    """Remember the user (first/last seen) and load their language into user_data.

    An active user is written at most once a minute (`last_seen` needs no finer grain), and a
    known user's visit is written behind the reply (`WriteQueue`), so a busy database never
    delays them; only a user's very first message waits for their row to exist."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or user.is_bot:
        return
    rt = context.runtime
    now = time.monotonic()
    if "lang" in context.user_data and (
        rt.store is None or now - context.user_data.get("seen", 0) < TOUCH_EVERY_S
    ):
        return
    context.user_data["seen"] = now
    store = rt.require_store()
    chat_id = chat.id if chat.type == ChatType.PRIVATE else user.id
    telegram_lang = language_from_telegram(user.language_code)
    try:
        known = await store.users.get(user.id)  # a read: never waits for a writer
        if known is not None:
            context.user_data["lang"] = known.language
            rt.writes.submit(
                "last seen", lambda: store.users.touch(user.id, chat_id, telegram_lang, user.username)
            )
            return
        stored = await store.users.touch(user.id, chat_id, telegram_lang, user.username)
        context.user_data["lang"] = stored.language
    except StoreError as exc:
        log.warning("could not record user %s: %s", user.id, exc)
        context.user_data.setdefault("lang", telegram_lang)


async def flood_guard(update: Update, context: AdvisorContext) -> None:
    """More than `flood_max` messages in FLOOD_WINDOW_S: one polite reply, then silence."""
    user = update.effective_user
    if user is None or update.message is None:
        return
    rt = context.runtime
    now = time.monotonic()
    recent = [t for t in rt.flood.get(user.id, []) if now - t < FLOOD_WINDOW_S]
    recent.append(now)
    rt.flood[user.id] = recent
    if len(recent) <= rt.flood_max:
        return
    if len(recent) == rt.flood_max + 1:
        OUTCOME.set("flood:warned")
        await update.message.reply_text(context.ui("slow_down"))
    else:
        OUTCOME.set("flood:dropped")
    raise ApplicationHandlerStop
