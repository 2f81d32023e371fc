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
from advisor.exclusive import run_exclusively
from advisor.kb import KnowledgeBase
from advisor.records import StoreError
from advisor.storage import Store
from advisor.telegram import admin, delivery, handlers, handoff, knowledge, middleware, officer, privacy
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
    app.add_handler(TypeHandler(Update, middleware.track_user), group=-3)
    app.add_handler(TypeHandler(Update, middleware.flood_guard), group=-2)
    app.add_handler(TypeHandler(Update, privacy.consent_gate), group=-1)

    app.add_handler(CommandHandler(PRIVATE_ONLY, handlers.private_only, filters.ChatType.GROUPS))
    for command in COMMANDS:
        app.add_handler(CommandHandler(command.name, command.run))
    app.add_handler(ChatMemberHandler(officer.chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    add_button_handlers(app)
    app.add_handler(MessageHandler(filters.UpdateType.EDITED, handlers.ignore))
    app.add_handler(MessageHandler(filters.COMMAND & ADDRESSED, handlers.unknown_command))
    app.add_handler(MessageHandler(filters.TEXT & ADDRESSED, handlers.text_message))
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.Document.ALL, knowledge.document))
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & ~filters.TEXT, handlers.unsupported))
    app.add_handler(TypeHandler(Update, handlers.ignore), group=1)
    app.add_error_handler(handlers.on_error)


async def open_store(app: Application) -> None:
    """post_init: open the database (migrating it) unless a test already did; with several
    instances on it, one person's updates wait for each other across instances too."""
    rt: Runtime = app.bot_data["runtime"]
    if rt.store is None:
        rt.store = await Store.open(rt.settings.database)
    if isinstance(app.update_processor, PerUserOrder):
        app.update_processor.shared = rt.store.db.person_lock


async def start_jobs(app: Application) -> None:
    """The background jobs. With several instances on one database, the broadcast sender (it
    resumes unfinished broadcasts first), the reminders and the daily retention purge run in
    the one instance holding their lease; every instance follows knowledge versions applied
    by another. Not
    app.create_task: PTB awaits its tasks on stop, and these run until cancelled."""
    rt: Runtime = app.bot_data["runtime"]
    store = rt.require_store()
    rt.sender = Sender(
        store,
        delivery.telegram_sender(app),
        rate=rt.settings.broadcast_rate,
        chat_interval=rt.settings.broadcast_chat_interval,
        progress=delivery.progress_reporter(app),
    )
    await rt.editor().start()
    jobs = {
        "broadcast-sender": run_exclusively(store, "broadcast-sender", rt.instance, rt.sender.run),
        "handoff-reminders": run_exclusively(
            store, "handoff-reminders", rt.instance, lambda: handoff.remind_forever(app)
        ),
        "privacy-purge": run_exclusively(
            store, "privacy-purge", rt.instance, lambda: privacy.purge_forever(app)
        ),
        "knowledge-follower": follow_knowledge(rt),
    }
    rt.jobs = [asyncio.create_task(job, name=name) for name, job in jobs.items()]


FOLLOW_EVERY_S = 10.0
"""How often an instance looks for a knowledge version another instance applied."""


async def follow_knowledge(rt: Runtime) -> None:
    while True:
        await asyncio.sleep(FOLLOW_EVERY_S)
        try:
            await rt.editor().follow()
        except (StoreError, OSError) as exc:
            log.warning("could not look for newer knowledge: %s", exc)


def start_writes(app: Application) -> None:
    """The task writing the question log and last-seen times behind the replies."""
    rt: Runtime = app.bot_data["runtime"]
    rt.writes_task = asyncio.create_task(rt.writes.run(), name="write-queue")


async def post_stop(app: Application) -> None:
    """Let pending log writes land (a few seconds at most), stop the writer and the background
    jobs; a row cut off mid-send becomes "unknown" at the next start, never resent."""
    rt: Runtime = app.bot_data["runtime"]
    if rt.writes_task is not None:
        await rt.writes.drain(WRITES_DRAIN_S)
        rt.jobs.append(rt.writes_task)
        rt.writes_task = None
    for job in rt.jobs:
        job.cancel()
    for job in rt.jobs:
        with contextlib.suppress(asyncio.CancelledError):
            await job
    rt.jobs = []
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
        await admin.keep_reloaded_version(rt, None)


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
    await start_jobs(app)
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
