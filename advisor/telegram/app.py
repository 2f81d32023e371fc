"""The application wired in one readable place: handlers, filters, start-up and shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from functools import partial

from telegram import LinkPreviewOptions, Message, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest

from advisor.answering import Advisor
from advisor.broadcast import Sender
from advisor.chart import pillar_chart
from advisor.config import Settings
from advisor.kb import KnowledgeBase
from advisor.storage import Store
from advisor.telegram import delivery, handlers, handoff, middleware, officer
from advisor.telegram.buttons import add_button_handlers
from advisor.telegram.commands import COMMANDS, PRIVATE_ONLY, set_commands, set_role_commands
from advisor.telegram.context import AdvisorContext
from advisor.telegram.ordering import PerUserOrder
from advisor.telegram.ratelimit import RateLimiter
from advisor.telegram.runtime import Runtime
from advisor.telegram.updates import TolerantUpdates

log = logging.getLogger("advisor.bot")

WRITES_DRAIN_S = 5.0


class AdvisorApplication(Application):
    """An Application that writes one log line per update: user, kind, outcome, milliseconds."""

    async def process_update(self, update: object) -> None:
        started = time.perf_counter()
        token = handlers.OUTCOME.set("-")
        try:
            await super().process_update(update)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            if isinstance(update, Update):
                user = update.effective_user.id if update.effective_user else "-"
                log.info(
                    "update user=%s kind=%s outcome=%s ms=%.1f",
                    user,
                    _kind(update),
                    handlers.OUTCOME.get(),
                    elapsed,
                )
            handlers.OUTCOME.reset(token)


def _kind(update: Update) -> str:
    if update.callback_query:
        return "button"
    if update.edited_message or update.edited_channel_post:
        return "edited"
    message = update.message
    if message is None:
        return next((k for k, v in update.to_dict().items() if k != "update_id" and v), "other")
    if message.text:
        return "command" if message.text.startswith("/") else "text"
    return "media"


class _AddressedToBot(filters.MessageFilter):
    """In groups: only messages that mention the bot or reply to one of its messages."""

    def filter(self, message: Message) -> bool:
        bot = message.get_bot()
        replied = message.reply_to_message
        if replied and replied.from_user and replied.from_user.id == bot.id:
            return True
        username = bot.username
        return bool(username) and f"@{username}".lower() in (message.text or "").lower()


ADDRESSED = filters.ChatType.PRIVATE | (filters.ChatType.GROUPS & _AddressedToBot())


def add_handlers(app: Application) -> None:
    """Every handler of the bot, in the order Telegram updates meet them."""
    app.add_handler(TypeHandler(Update, middleware.track_user), group=-2)
    app.add_handler(TypeHandler(Update, middleware.flood_guard), group=-1)

    app.add_handler(CommandHandler(PRIVATE_ONLY, handlers.private_only, filters.ChatType.GROUPS))
    for command in COMMANDS:
        app.add_handler(CommandHandler(command.name, command.run))
    app.add_handler(ChatMemberHandler(officer.chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    add_button_handlers(app)
    app.add_handler(MessageHandler(filters.UpdateType.EDITED, handlers.ignore))
    app.add_handler(MessageHandler(filters.COMMAND & ADDRESSED, handlers.unknown_command))
    app.add_handler(MessageHandler(filters.TEXT & ADDRESSED, handlers.text_message))
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & ~filters.TEXT, handlers.unsupported))
    app.add_handler(TypeHandler(Update, handlers.ignore), group=1)
    app.add_error_handler(handlers.on_error)


async def open_store(app: Application) -> None:
    """post_init: open the database (migrating it) unless a test already did."""
    rt: Runtime = app.bot_data["runtime"]
    if rt.store is None:
        rt.store = await Store.open(rt.settings.database)


async def start_sender(app: Application) -> None:
    """The one broadcast sender task; it resumes unfinished broadcasts first."""
    rt: Runtime = app.bot_data["runtime"]
    rt.sender = Sender(
        rt.require_store(),
        delivery.telegram_sender(app),
        rate=rt.settings.broadcast_rate,
        chat_interval=rt.settings.broadcast_chat_interval,
        progress=delivery.progress_reporter(app),
    )
    # Not app.create_task: PTB awaits its tasks on stop, and the sender runs until cancelled.
    rt.sender_task = asyncio.create_task(rt.sender.run(), name="broadcast-sender")


def start_reminders(app: Application) -> None:
    """The task reminding officers of members' questions left waiting."""
    rt: Runtime = app.bot_data["runtime"]
    rt.reminders_task = asyncio.create_task(handoff.remind_forever(app), name="handoff-reminders")


def start_writes(app: Application) -> None:
    """The task writing the question log and last-seen times behind the replies."""
    rt: Runtime = app.bot_data["runtime"]
    rt.writes_task = asyncio.create_task(rt.writes.run(), name="write-queue")


async def post_stop(app: Application) -> None:
    """Let pending log writes land (a few seconds at most), stop the writer and the sender;
    a row cut off mid-send becomes "unknown" at the next start, never resent."""
    rt: Runtime = app.bot_data["runtime"]
    if rt.writes_task is not None:
        await rt.writes.drain(WRITES_DRAIN_S)
        rt.writes_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await rt.writes_task
        rt.writes_task = None
    if rt.reminders_task is not None:
        rt.reminders_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await rt.reminders_task
        rt.reminders_task = None
    if rt.sender_task is not None:
        rt.sender_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await rt.sender_task
        rt.sender_task = None
    rt.close_chart_pool()


async def reload_on_signal(app: Application) -> None:
    """SIGHUP: reload the knowledge like /reload; the outcome goes to the log."""
    rt: Runtime = app.bot_data["runtime"]
    changes, problems = await rt.reload()
    if changes is None:
        log.error("SIGHUP reload refused, keeping version %s: %d error(s)", rt.kb.version, len(problems))
        for problem in problems[:50]:
            log.error("%s", problem)
        return
    log.info(
        "SIGHUP reload: version %s, %d added, %d removed, %d edited",
        rt.kb.version,
        len(changes.added),
        len(changes.removed),
        len(changes.edited),
    )
    if rt.store is not None:
        await rt.store.audit.record(None, "reload", "SIGHUP")


def watch_sighup(app: Application) -> None:
    if hasattr(signal, "SIGHUP"):
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGHUP, lambda: app.create_task(reload_on_signal(app)))


def warm_chart_process(app: Application) -> None:
    """Start the chart process and import matplotlib there now, not at the first result."""
    rt: Runtime = app.bot_data["runtime"]
    asyncio.get_running_loop().run_in_executor(rt.chart_pool(), pillar_chart, "", ["-"], [0.0])


async def post_init(app: Application) -> None:
    await open_store(app)
    start_writes(app)
    await set_commands(app)
    await start_sender(app)
    start_reminders(app)
    watch_sighup(app)
    warm_chart_process(app)


async def post_shutdown(app: Application) -> None:
    """Close the database last, after PTB has finished pending updates."""
    rt: Runtime = app.bot_data["runtime"]
    if rt.store is not None:
        await rt.store.close()
        rt.store = None


CONNECTIONS = 256
"""HTTP connections to the Bot API for sends (python-telegram-bot's own default): updates are
handled concurrently, and one connection would queue every user's reply behind another's."""

DEFAULTS = Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True))
"""Every message is HTML from `render` and shows no link preview: set once, for every send."""


def build_application(
    settings: Settings, kb: KnowledgeBase, requests: tuple[BaseRequest, BaseRequest] | None = None
) -> Application:
    """The bot's Application. `requests` (for calls, for polling) default to HTTP to
    `settings.base_url`; tests pass requests to an emulated Bot API in-process."""
    calls, polling = requests or (HTTPXRequest(connection_pool_size=CONNECTIONS), HTTPXRequest())
    builder = ApplicationBuilder().token(settings.token or "").base_url(settings.base_url)
    builder = builder.base_file_url(settings.base_url.removesuffix("/bot") + "/file/bot")
    app = (
        builder.request(calls)
        .get_updates_request(TolerantUpdates(polling))
        .application_class(AdvisorApplication)
        .concurrent_updates(PerUserOrder())
        .context_types(ContextTypes(context=AdvisorContext))
        .defaults(DEFAULTS)
        .rate_limiter(RateLimiter(overall_max_rate=0, max_retries=3))
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
        .build()
    )
    app.bot_data["runtime"] = Runtime(
        settings=settings, advisor=Advisor(kb), role_menu=partial(set_role_commands, app)
    )
    add_handlers(app)
    return app
