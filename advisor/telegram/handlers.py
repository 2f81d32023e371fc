"""Telegram handlers: each one reads the update, asks the core, and sends a rendered view.

They stay thin: no SQL, no matching, no wording (texts come from `ui.yaml`). Every
callback query is answered; every view goes out through `send_view`/`edit_view`, which apply
Telegram's limits and record users who blocked the bot. Only the flood warning and the error
notice here are sent directly (plain short texts, not views).
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from advisor import markup, views
from advisor.actions import Action
from advisor.broadcast_draft import BROADCAST_FLOW
from advisor.folding import display
from advisor.handoff import ASK_FLOW, FOLLOW_FLOW, HANDOFF_FLOW
from advisor.profiles import PROFILE_FLOW
from advisor.records import StoreError
from advisor.telegram import admin, coop, handoff, officer, privacy
from advisor.telegram.asking import answer
from advisor.telegram.browse import invalid
from advisor.telegram.context import AdvisorContext
from advisor.telegram.replies import OUTCOME, send_view

log = logging.getLogger("advisor.bot")


# --- commands ------------------------------------------------------------------------------


async def start(update: Update, context: AdvisorContext) -> None:
    """/start [payload]: greet and show the main menu, or open what a deep link names."""
    payload = context.args[0] if context.args else ""
    kb = context.runtime.kb
    lang = context.lang
    OUTCOME.set(f"start:{payload or '-'}"[:40])
    if await privacy.start(update, context, payload):
        return
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
    await context.leave_flow(update.effective_user.id if update.effective_user else None)
    await send_view(update, context, views.main_menu_view(context.runtime.kb, context.lang))


async def help_command(update: Update, context: AdvisorContext) -> None:
    """/help: what the bot can do and its commands."""
    view = views.text_view(context.runtime.kb, "help", context.lang)
    extra = await admin.help_extra(update, context)
    await send_view(update, context, views.View((*view.paragraphs, *extra), view.buttons))


async def about(update: Update, context: AdvisorContext) -> None:
    """/about: what the bot is, whose knowledge, last review date."""
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


async def cancel(update: Update, context: AdvisorContext) -> None:
    """/cancel: leave any flow; always works, even when there is none."""
    had_flow = await context.leave_flow(update.effective_user.id if update.effective_user else None)
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
        (Action.SUBSCRIBE, "0" if subscribed else "1"),
    )
    await send_view(update, context, views.View(view.paragraphs, ((toggle,), *view.buttons)))


async def on_subscription(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """🔔/🔕 under the notices view."""
    if args not in (("0",), ("1",)):
        return await invalid(update, context)
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


FLOWS = {
    PROFILE_FLOW: coop.profile_text,
    BROADCAST_FLOW: officer.broadcast_text,
    HANDOFF_FLOW: handoff.answer_text,
    ASK_FLOW: handoff.context_text,
    FOLLOW_FLOW: handoff.follow_text,
}
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
    """Free text outside a flow is a question (then, once, the privacy notice for someone
    who has not decided on it: the question is never held back for it)."""
    await answer(update, context, update.effective_message.text)
    await privacy.after_question(update, context)


async def unsupported(update: Update, context: AdvisorContext) -> None:
    """Stickers, photos, voice, files ...: say politely that we read text only."""
    OUTCOME.set("unsupported")
    await send_view(update, context, context.text_view("text_only"))


async def ignore(update: Update, context: AdvisorContext) -> None:
    """Edited messages and other updates that need no reply (the catch-all runs after every
    update, so it only names updates no other handler took)."""
    if OUTCOME.get() == "-":
        OUTCOME.set("ignored")


# --- errors --------------------------------------------------------------------------------


async def on_error(update: object, context: AdvisorContext) -> None:
    """Log with context and tell the user something went wrong; never raise from here.

    A database that stayed busy past its wait (`busy_timeout`) is said as such: the member's
    step was not saved and trying again in a moment will work."""
    busy = isinstance(context.error, StoreError)
    OUTCOME.set("error:database" if busy else "error")
    user_id = getattr(getattr(update, "effective_user", None), "id", None)
    if busy:
        log.warning("database unavailable for user %s: %s", user_id, context.error)
    else:
        log.error("error handling update from user %s: %r", user_id, context.error, exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer()
        await context.bot.send_message(
            update.effective_chat.id, context.ui("store_busy" if busy else "error")
        )
    except TelegramError as exc:
        log.warning("could not tell user %s about the error: %s", user_id, exc)
