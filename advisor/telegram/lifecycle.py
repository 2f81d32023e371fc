"""The bot's lifespan, written once for `bot.py`, the sandbox and the test harness.

`Application.run_polling`/`run_webhook` start and stop the bot but own the event loop, and
PTB calls the `post_*` hooks (database, menus, broadcast sender) only from them; `running`
does the same inside a loop someone else runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import AsyncIterator

from telegram.ext import Application

from advisor.config import Settings
from advisor.kb import KnowledgeBase, load_knowledge

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGABRT)  # what run_polling stops on


@contextlib.asynccontextmanager
async def running(app: Application) -> AsyncIterator[Application]:
    """Initialize, run `post_init` and start `app`; on exit, also after an error, stop its
    updater if one was started inside the block, then stop, `post_stop`, shut down and
    `post_shutdown`, in PTB's order."""
    await app.initialize()
    try:
        if app.post_init:
            await app.post_init(app)
        await app.start()
        yield app
    finally:
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
            if app.post_stop:
                await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)


async def until_stopped() -> None:
    """Return on Ctrl+C (SIGINT), SIGTERM or SIGABRT, as `run_polling` stops on them."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in STOP_SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)


def knowledge_or_explain(settings: Settings, what: str) -> KnowledgeBase | None:
    """The knowledge base, or None after printing every problem and that `what` did not start."""
    result = load_knowledge(settings.knowledge_dir)
    if result.kb is None:
        for problem in result.errors:
            print(problem, file=sys.stderr)
        print(
            f"the knowledge base in {settings.knowledge_dir} is not valid; {what} did not start",
            file=sys.stderr,
        )
    return result.kb
