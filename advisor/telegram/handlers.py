"""Telegram handlers: each one reads the update, asks the core, and sends a rendered view.

They stay thin: no SQL, no matching, no wording (texts come from `ui.yaml`). Every
callback query is answered; every view goes out through `send_view`/`edit_view`, which apply
Telegram's limits and record users who blocked the bot. Only the flood warning and the error
notice here are sent directly (plain short texts, not views).
"""

from __future__ import annotations

import logging
import time

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from advisor import markup, views
from advisor.broadcast_draft import BROADCAST_FLOW
from advisor.profiles import PROFILE_FLOW
from advisor.records import StoreError
from advisor.telegram import admin, callbacks, coop, officer
from advisor.telegram.context import AdvisorContext, language_from_telegram
from advisor.telegram.replies import OUTCOME, command_button, edit_view, send_view
from advisor.text import display

log = logging.getLogger("advisor.bot")

FLOOD_WINDOW_S = 3.0
TOUCH_EVERY_S = 60.0
MAX_LOGGED_QUESTION = 2000


# --- before every update: who is this, and are they flooding? ---------------------------


async def track_user(update: Update, context: AdvisorContext) -> None:
    """Remember the user (first/last seen) and load their language into user_data.

    An active user is written at most once a minute: `last_seen` needs no finer grain, and
    skipping the write saves a database transaction on most updates."""
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
    try:
        stored = await rt.require_store().users.touch(
            user.id,
            chat.id if chat.type == ChatType.PRIVATE else user.id,
            language_from_telegram(user.language_code),
            user.username,
        )
        context.user_data["lang"] = stored.language
    except StoreError as exc:
        log.warning("could not record user %s: %s", user.id, exc)
        context.user_data.setdefault("lang", language_from_telegram(user.language_code))


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


# --- commands ------------------------------------------------------------------------------


async def start(update: Update, context: AdvisorContext) -> None:
    """/start [payload]: greet and show the main menu, or open what a deep link names."""
    payload = context.args[0] if context.args else ""
    kb = context.runtime.kb
    lang = context.lang
    OUTCOME.set(f"start:{payload or '-'}"[:40])
    if payload.startswith("topic_") and (view := views.topic_view(kb, payload[6:], 0, lang)):
        await send_view(update, context, view)
        return
    if payload.startswith("e_") and (entry := kb.entries.get(payload[2:].replace("-", "."))):
        await send_view(update, context, views.entry_view(kb, entry, lang))
        return
    if payload == "assess":
        await coop.assess(update, context)
        return
    if payload.startswith("join_"):
        await coop.join(update, context, payload[5:])
        return
    name = display(update.effective_user.first_name if update.effective_user else "")[:64]
    await send_view(update, context, views.main_menu_view(kb, lang, "greeting", name=name or "bạn"))


async def menu(update: Update, context: AdvisorContext) -> None:
    """/menu: the main menu (leaves a half-typed flow, as the menu is a fresh start)."""
    OUTCOME.set("menu")
    await _end_flow(update, context)
    await send_view(update, context, views.main_menu_view(context.runtime.kb, context.lang))


async def help_command(update: Update, context: AdvisorContext) -> None:
    """/help: what the bot can do and its commands."""
    OUTCOME.set("help")
    view = views.text_view(context.runtime.kb, "help", context.lang)
    extra = await admin.help_extra(update, context)
    await send_view(update, context, views.View((*view.paragraphs, *extra), view.buttons))


async def about(update: Update, context: AdvisorContext) -> None:
    """/about: what the bot is, whose knowledge, last review date."""
    OUTCOME.set("about")
    await send_view(update, context, views.about_view(context.runtime.kb, context.lang))


async def lang(update: Update, context: AdvisorContext) -> None:
    """/lang [vi|en]: switch the language (toggles without an argument); remembered."""
    wanted = (context.args[0].lower() if context.args else "") or ("en" if context.lang == "vi" else "vi")
    if wanted not in ("vi", "en"):
        wanted = "en" if context.lang == "vi" else "vi"
    context.user_data["lang"] = wanted
    user = update.effective_user
    if user is not None:
        try:
            await context.store.users.set_language(user.id, wanted)
        except StoreError as exc:
            log.warning("could not store language of %s: %s", user.id, exc)
    OUTCOME.set(f"lang:{wanted}")
    await send_view(update, context, views.main_menu_view(context.runtime.kb, wanted, "lang_changed"))


async def _end_flow(update: Update, context: AdvisorContext) -> bool:
    user = update.effective_user
    try:
        return user is not None and await context.store.flows.end(user.id)
    except StoreError as exc:
        log.warning("could not end the flow of %s: %s", user.id, exc)
        return False


async def cancel(update: Update, context: AdvisorContext) -> None:
    """/cancel: leave any flow; always works, even when there is none."""
    had_flow = await _end_flow(update, context)
    OUTCOME.set("cancel" if had_flow else "cancel:none")
    key = "cancelled" if had_flow else "nothing_to_cancel"
    await send_view(update, context, views.main_menu_view(context.runtime.kb, context.lang, key))


async def show_notices(update: Update, context: AdvisorContext) -> None:
    """Notices from extension officers: whether this user receives them, and a toggle."""
    OUTCOME.set("notices")
    user = await context.store.users.get(update.effective_user.id)
    subscribed = user is None or bool(user.subscribed)
    kb, lang = context.runtime.kb, context.lang
    status = markup.html_visible_text(views.ui_html(kb, "notices_on" if subscribed else "notices_off", lang))
    view = views.text_view(kb, "notices_info", lang, status=status)
    toggle = views.Button(
        context.ui("notices_turn_off" if subscribed else "notices_turn_on"),
        ("sub", "0" if subscribed else "1"),
    )
    await send_view(update, context, views.View(view.paragraphs, ((toggle,), *view.buttons)))


async def on_subscription(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """🔔/🔕 under the notices view."""
    if args not in (("0",), ("1",)):
        return await _invalid(update, context)
    await (officer.subscribe if args[0] == "1" else officer.unsubscribe)(update, context)
    return False


async def private_only(update: Update, context: AdvisorContext) -> None:
    """A personal command sent in a group: point to the private chat instead of acting there."""
    OUTCOME.set("private_only")
    link = views.Button(context.ui("open_private"), url=f"https://t.me/{context.bot.username}")
    view = context.text_view("private_only", menu=False)
    await send_view(update, context, views.View(view.paragraphs, ((link,),)))


async def unknown_command(update: Update, context: AdvisorContext) -> None:
    OUTCOME.set("unknown_command")
    await send_view(update, context, context.text_view("unknown_command"))


# --- free text: a question -----------------------------------------------------------------


FLOWS = {PROFILE_FLOW: coop.profile_text, BROADCAST_FLOW: officer.broadcast_text}
"""Text replies inside a multi-step flow, by the flow's kind (stored in the `flows` table)."""


async def text_message(update: Update, context: AdvisorContext) -> None:
    """Free text: the next reply of a flow the user is in, otherwise a question."""
    message = update.effective_message
    if message is None or not message.text:
        return
    user = update.effective_user
    if user is not None and update.effective_chat.type == ChatType.PRIVATE:
        flow = await context.store.flows.get(user.id)
        if flow is not None and flow[0] in FLOWS:
            await FLOWS[flow[0]](update, context, flow[1])
            return
    await question(update, context)


async def question(update: Update, context: AdvisorContext) -> None:
    """Free text outside a flow is a question: answer, suggest or decline, and log it."""
    message = update.effective_message
    text = message.text
    bot_name = context.bot.username
    if bot_name:
        text = text.replace(f"@{bot_name}", " ")
    rt = context.runtime
    advisor = rt.advisor  # one consistent knowledge base for this whole update
    decision = advisor.decide(text)
    OUTCOME.set(f"{decision.kind}:{decision.entry_id or '-'}:{decision.score:.0f}")
    user = update.effective_user
    try:
        await rt.require_store().questions.log(
            user.id if user else None,
            display(text)[:MAX_LOGGED_QUESTION],
            decision.normalised[:MAX_LOGGED_QUESTION],
            decision.kind,
            decision.entry_id,
            decision.score,
            advisor.kb.version,
        )
    except StoreError as exc:
        log.warning("could not log question: %s", exc)
    await send_view(update, context, views.decision_view(advisor.kb, decision, context.lang))


async def unsupported(update: Update, context: AdvisorContext) -> None:
    """Stickers, photos, voice, files ...: say politely that we read text only."""
    OUTCOME.set("unsupported")
    await send_view(update, context, context.text_view("text_only"))


async def ignore(update: Update, context: AdvisorContext) -> None:
    """Edited messages and other updates that need no reply (the catch-all runs after every
    update, so it only names updates no other handler took)."""
    if OUTCOME.get() == "-":
        OUTCOME.set("ignored")


# --- buttons -------------------------------------------------------------------------------


async def button(update: Update, context: AdvisorContext) -> None:
    """Every inline button: decode, check the knowledge version, dispatch; always answered."""
    query = update.callback_query
    if query is None:
        return
    rt = context.runtime
    kb = rt.kb
    lang = context.lang
    try:
        data = callbacks.decode(query.data)
    except callbacks.CallbackError:
        OUTCOME.set("callback:invalid")
        await query.answer(kb.ui.get("button_invalid", lang), show_alert=False)
        return
    if data.version != kb.version[: callbacks.VERSION_CHARS] and data.action not in coop.VERSIONLESS:
        OUTCOME.set("callback:stale")
        await query.answer(kb.ui.get("menu_updated", lang))
        await send_view(update, context, views.main_menu_view(kb, lang, "menu_updated"))
        return
    handler = BUTTONS.get(data.action)
    OUTCOME.set(f"button:{data.action}")
    if handler is None:
        await query.answer(kb.ui.get("button_invalid", lang))
        return
    answered = await handler(update, context, data.args)
    if not answered:
        await query.answer()


def _int(value: str, default: int = 0) -> int:
    try:
        return max(0, min(int(value), 10_000))
    except ValueError:
        return default


async def _invalid(update: Update, context: AdvisorContext) -> bool:
    OUTCOME.set("callback:invalid")
    await update.callback_query.answer(context.ui("button_invalid"))
    return True


async def on_menu(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    await send_view(update, context, views.main_menu_view(context.runtime.kb, context.lang))
    return False


async def on_topic(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    if not args:
        return await _invalid(update, context)
    page = _int(args[1]) if len(args) > 1 else 0
    view = views.topic_view(context.runtime.kb, args[0], page, context.lang)
    if view is None:
        return await _invalid(update, context)
    await (edit_view if args[-1] == views.EDIT else send_view)(update, context, view)
    return False


async def on_entry(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    kb = context.runtime.kb
    entry = kb.entries.get(args[0]) if args else None
    if entry is None:
        return await _invalid(update, context)
    OUTCOME.set(f"entry:{entry.id}")
    await send_view(update, context, views.entry_view(kb, entry, context.lang))
    return False


async def on_guide(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """Open a guide (new message) or move within it (◀ ▶ carry a trailing "e": edit in place)."""
    if not args:
        return await _invalid(update, context)
    step = _int(args[1]) if len(args) > 1 else 0
    view = views.guide_step_view(context.runtime.kb, args[0], step, context.lang)
    if view is None:
        return await _invalid(update, context)
    await (edit_view if args[-1] == views.EDIT else send_view)(update, context, view)
    return False


async def on_vote(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    kb = context.runtime.kb
    if len(args) != 2 or args[0] not in kb.entries or args[1] not in ("up", "down"):
        return await _invalid(update, context)
    user = update.effective_user
    try:
        await context.store.feedback.vote(user.id, args[0], 1 if args[1] == "up" else -1)
    except StoreError as exc:
        log.warning("could not store vote: %s", exc)
        await update.callback_query.answer(context.ui("store_busy"))
        return True
    OUTCOME.set(f"vote:{args[0]}:{args[1]}")
    await update.callback_query.answer(context.ui("thanks_vote"))
    return True


async def on_kinds(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    await send_view(update, context, views.kinds_view(context.runtime.kb, context.lang))
    return False


async def on_kind(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    view = views.kind_view(context.runtime.kb, args[0], context.lang) if args else None
    if view is None:
        return await _invalid(update, context)
    await send_view(update, context, view)
    return False


async def on_sectors(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    await send_view(update, context, views.sectors_view(context.runtime.kb, context.lang))
    return False


async def on_sector(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    view = views.sector_view(context.runtime.kb, args[0], context.lang) if args else None
    if view is None:
        return await _invalid(update, context)
    await send_view(update, context, view)
    return False


BUTTONS = {
    "menu": on_menu,
    "topic": on_topic,
    "entry": on_entry,
    "guide": on_guide,
    "vote": on_vote,
    "kinds": on_kinds,
    "kind": on_kind,
    "sectors": on_sectors,
    "sector": on_sector,
    "help": command_button(help_command),
    "assess": coop.on_assess,
    "notices": command_button(show_notices),
    "sub": on_subscription,
    **coop.BUTTONS,
    **officer.BUTTONS,
}


# --- errors --------------------------------------------------------------------------------


async def on_error(update: object, context: AdvisorContext) -> None:
    """Log with context and tell the user something went wrong; never raise from here."""
    OUTCOME.set("error")
    user_id = getattr(getattr(update, "effective_user", None), "id", None)
    log.error("error handling update from user %s: %r", user_id, context.error, exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer()
        await context.bot.send_message(update.effective_chat.id, context.ui("error"))
    except TelegramError as exc:
        log.warning("could not tell user %s about the error: %s", user_id, exc)
