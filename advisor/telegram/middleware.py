"""Before every update: who is this (first/last seen, language), and are they flooding?"""

from __future__ import annotations

import asyncio
import logging
import time

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from advisor import markup
from advisor.folding import display
from advisor.records import StoreError
from advisor.telegram import consent
from advisor.telegram.asking import log_question
from advisor.telegram.context import AdvisorContext, language_from_telegram
from advisor.telegram.replies import OUTCOME

log = logging.getLogger("advisor.bot")

TOUCH_EVERY_S = 60.0


async def track_user(update: Update, context: AdvisorContext) -> None:
    """Remember the user (first/last seen) and load their language and consent into user_data.

    Nobody is stored without consent to the current privacy notice: an undecided person's
    language comes from Telegram (or their earlier row), and no row is created or touched.
    An active user is written at most once a minute (`last_seen` needs no finer grain), and a
    known user's visit is written behind the reply (`WriteQueue`), so a busy database never
    delays them; only a user's very first message waits for their row to exist. With several
    instances on one database, language and consent are read at every update: the person may
    have changed them through another instance a moment ago."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or user.is_bot:
        return
    rt = context.runtime
    now = time.monotonic()
    recent = "lang" in context.user_data and now - context.user_data.get("seen", 0) < TOUCH_EVERY_S
    if "lang" in context.user_data and (rt.store is None or (recent and not rt.store.db.shared)):
        return
    if not recent:
        context.user_data["seen"] = now
    store = rt.require_store()
    chat_id = chat.id if chat.type == ChatType.PRIVATE else user.id
    telegram_lang = language_from_telegram(user.language_code)
    try:
        known = await store.users.get(user.id)  # a read: never waits for a writer
        await consent.load_consent(context, user.id)
        if consent.linked_id(context, user.id) is None:
            context.user_data.setdefault("lang", known.language if known else telegram_lang)
            return
        if known is not None:
            context.user_data["lang"] = known.language
            if not recent:
                rt.writes.submit("last seen", lambda: store.users.seen(user.id, chat_id, user.username))
            return
        stored = await store.users.touch(user.id, chat_id, telegram_lang, user.username)
        context.user_data["lang"] = stored.language
    except StoreError as exc:
        log.warning("could not record user %s: %s", user.id, exc)
        context.user_data.setdefault("lang", telegram_lang)


async def flood_guard(update: Update, context: AdvisorContext) -> None:
    """Answer every message, in order, unless the user sends faster than any person types
    (`advisor.flood`); then the extra messages are logged, not answered, and listed to the user
    once the burst is over. Commands always go through."""
    user, message = update.effective_user, update.message
    if user is None or message is None or (message.text or "").startswith("/"):
        return
    flood = context.runtime.flood
    if flood.admit(user.id, message.date.timestamp()):
        return
    OUTCOME.set("flood:skipped")
    text = message.text or message.caption or ""
    if text:
        log_question(context, consent.linked_id(context, user.id), text, "", "flood")
    if flood.skip(user.id, text or "…"):
        context.application.create_task(_report_skipped(context, user.id, message.chat_id), update=update)
    raise ApplicationHandlerStop


MAX_LISTED = 10


async def _report_skipped(context: AdvisorContext, user_id: int, chat_id: int) -> None:
    """Once the burst is over: one message naming the messages that were not answered."""
    flood = context.runtime.flood
    while (wait := flood.quiet_for(user_id)) > 0:
        await asyncio.sleep(wait)
    skipped = flood.take_skipped(user_id)
    listed = "\n".join(f"• {markup.escape(display(text)[:80])}" for text in skipped[:MAX_LISTED])
    more = context.ui("flood_more", count=str(len(skipped) - MAX_LISTED)) if len(skipped) > MAX_LISTED else ""
    report = context.ui("flood_skipped", count=str(len(skipped)))
    await context.bot.send_message(chat_id, f"{markup.escape(report)}\n{listed}{markup.escape(more)}")
