"""What every handler shares: the runtime, the user's language, and sending views.

Every message goes out through `send_view`/`edit_view`, which apply Telegram's limits
(through `render`) and record users who blocked the bot.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Awaitable, Callable

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import ContextTypes

from advisor import views
from advisor.store import Store
from advisor.telegram import render
from advisor.telegram.runtime import Runtime
from advisor.views import View

log = logging.getLogger("advisor.bot")

OUTCOME: contextvars.ContextVar[str] = contextvars.ContextVar("outcome", default="-")
"""What a handler did with the update, for the one log line per update."""


def runtime(context: ContextTypes.DEFAULT_TYPE) -> Runtime:
    return context.application.bot_data["runtime"]


def store_of(context: ContextTypes.DEFAULT_TYPE) -> Store:
    """The open database (raises if start-up did not open it)."""
    return runtime(context).require_store()


def lang_of(context: ContextTypes.DEFAULT_TYPE) -> str:
    return context.user_data.get("lang", "vi") if context.user_data is not None else "vi"


def language_from_telegram(code: str | None) -> str:
    return "en" if (code or "").lower().startswith("en") else "vi"


# --- sending -------------------------------------------------------------------------------


async def send_view(update: Update, context: ContextTypes.DEFAULT_TYPE, view: View) -> Message | None:
    """Send a view as one or more messages; records a user who blocked the bot."""
    chat = update.effective_chat
    if chat is None:
        return None
    sent = None
    rt = runtime(context)
    for message in render.messages(view, rt.kb.version):
        try:
            sent = await context.bot.send_message(
                chat.id,
                message.html,
                parse_mode=ParseMode.HTML,
                reply_markup=message.keyboard,
                disable_web_page_preview=True,
            )
        except Forbidden:
            log.info("chat %s blocked the bot", chat.id)
            if rt.store is not None:
                await rt.store.mark_blocked(chat.id)
            return None
    return sent


async def edit_view(update: Update, context: ContextTypes.DEFAULT_TYPE, view: View) -> None:
    """Replace the pressed message with a view (◀ ▶ navigation); too long -> a new message."""
    query = update.callback_query
    parts = render.messages(view, runtime(context).kb.version)
    if query is None or query.message is None or len(parts) > 1:
        await send_view(update, context, view)
        return
    try:
        await query.edit_message_text(
            parts[0].html,
            parse_mode=ParseMode.HTML,
            reply_markup=parts[0].keyboard,
            disable_web_page_preview=True,
        )
    except BadRequest as exc:
        if "not modified" in str(exc).lower():
            return
        if "can't be edited" in str(exc).lower() or "not found" in str(exc).lower():
            await send_view(update, context, view)
            return
        raise


def ui(context: ContextTypes.DEFAULT_TYPE, key: str, **values: str) -> str:
    return runtime(context).kb.ui.get(key, lang_of(context), **values)


def text_view(context: ContextTypes.DEFAULT_TYPE, key: str, menu: bool = True, **values: str) -> View:
    """A ui.yaml text in the user's language, as a view."""
    return views.text_view(runtime(context).kb, key, lang_of(context), menu=menu, **values)


def command_button(
    handler: Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]],
) -> Callable[[Update, ContextTypes.DEFAULT_TYPE, tuple[str, ...]], Awaitable[bool]]:
    """A command's handler reused for a button that does the same (the callback is answered
    by the dispatcher afterwards)."""

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE, args: tuple[str, ...]) -> bool:
        await handler(update, context)
        return False

    return on_button
