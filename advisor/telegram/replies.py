"""Sending views: `send_view`/`edit_view` split a view into messages within Telegram's limits
(`render`) and record users who blocked the bot. Parse mode (HTML) and link previews (off)
come from the application's `Defaults`, so every message, notices included, looks alike.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Awaitable, Callable

from telegram import Message, Update
from telegram.error import BadRequest, Forbidden, TelegramError, TimedOut

from advisor.telegram import render
from advisor.telegram.context import AdvisorContext
from advisor.views import View

log = logging.getLogger("advisor.bot")

OUTCOME: contextvars.ContextVar[str] = contextvars.ContextVar("outcome", default="-")
"""What a handler did with the update, for the one log line per update."""


# --- sending -------------------------------------------------------------------------------


async def send_view(update: Update, context: AdvisorContext, view: View) -> Message | None:
    """Send a view as one or more messages; records a user who blocked the bot."""
    chat = update.effective_chat
    if chat is None:
        return None
    sent = None
    rt = context.runtime
    for message in render.messages(view, rt.kb.version, context.bot.username):
        try:
            sent = await context.bot.send_message(
                chat.id,
                message.html,
                reply_markup=message.keyboard,
            )
        except Forbidden:
            await _blocked(context, chat.id)
            return None
    return sent


async def _blocked(context: AdvisorContext, chat_id: int) -> None:
    """The user blocked the bot: stop sending them notices until they write again."""
    log.info("chat %s blocked the bot", chat_id)
    if context.runtime.store is not None:
        await context.runtime.store.users.mark_blocked(chat_id)


async def edit_view(update: Update, context: AdvisorContext, view: View) -> None:
    """Replace the pressed message with a view (◀ ▶ navigation); too long -> a new message."""
    query = update.callback_query
    parts = render.messages(view, context.runtime.kb.version, context.bot.username)
    if query is None or query.message is None or len(parts) > 1:
        await send_view(update, context, view)
        return
    try:
        await query.edit_message_text(
            parts[0].html,
            reply_markup=parts[0].keyboard,
        )
    except Forbidden:
        await _blocked(context, query.message.chat.id)
    except TimedOut:
        # The edit may well have gone through: showing an error on top would contradict it,
        # and a member who sees nothing changed taps again (a double tap is harmless).
        log.warning("editing message %s timed out", query.message.message_id)
    except BadRequest as exc:
        if "not modified" in str(exc).lower():
            return
        if "can't be edited" in str(exc).lower() or "not found" in str(exc).lower():
            await send_view(update, context, view)
            return
        raise


async def clear_buttons(update: Update) -> None:
    """Remove the pressed message's buttons (their step is over); failing that changes nothing."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    try:
        await query.edit_message_reply_markup(None)
    except TelegramError as exc:
        log.info("could not clear the buttons of message %s: %s", query.message.message_id, exc)


def command_button(
    handler: Callable[[Update, AdvisorContext], Awaitable[None]],
) -> Callable[[Update, AdvisorContext, tuple[str, ...]], Awaitable[bool]]:
    """A command's handler reused for a button that does the same (the callback is answered
    by the dispatcher afterwards)."""

    async def on_button(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
        await handler(update, context)
        return False

    return on_button
