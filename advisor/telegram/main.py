"""`python bot.py`: read settings and knowledge, then run the bot by polling or webhook.

Without a token it starts the sandbox instead (`sandbox`, imported only then: the product
does not depend on it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from telegram import Update
from telegram.ext import Application

from advisor.config import ConfigError, load_settings, redact
from advisor.records import StoreError
from advisor.telegram import webhook
from advisor.telegram.app import build_application
from advisor.telegram.lifecycle import knowledge_or_explain, running, until_stopped

NO_TOKEN = """\
TELEGRAM_BOT_TOKEN is not set, so the bot cannot reach Telegram.

To get a token: open Telegram, talk to @BotFather, send /newbot and follow the steps;
it answers with a token like 123456789:AA...  Then start the bot with:

    TELEGRAM_BOT_TOKEN=123456789:AA... python bot.py

(or put TELEGRAM_BOT_TOKEN=... in a .env file next to bot.py)."""

SANDBOX_INSTEAD = """\
Starting the sandbox instead: the real bot against a local Bot API emulator, with a web
chat page to try it as a member, an officer or an admin (no Telegram needed)."""


class RedactToken(logging.Filter):
    """Never let the token reach a log line (httpx logs request URLs that contain it)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if self.token:
            message = record.getMessage()
            if self.token in message:
                record.msg, record.args = message.replace(self.token, "<token>"), ()
        return True


def setup_logging(level: str, token: str | None) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactToken(token or ""))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs each index build at DEBUG


EXIT_DATABASE = 3
"""Exit code when the database cannot be written at start (the message says why)."""


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bot.py", description="Run the HTX Advisor Telegram bot.")
    parser.add_argument("--webhook-url", help="public HTTPS URL Telegram should post updates to")
    parser.add_argument(
        "--port", type=int, help="port of the built-in webhook server (default 8443) or of the sandbox page"
    )
    parser.add_argument("--listen", default="0.0.0.0", help="address of the webhook server")
    parser.add_argument("--secret-token", help="secret Telegram sends with each webhook request")
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="no Telegram: a local Bot API emulator and a web chat page on 127.0.0.1 (default port 8080)",
    )
    parser.add_argument("--db", help="with --sandbox: its SQLite file (default data/sandbox.db)")
    parser.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    setup_logging(args.log_level, settings.token)
    if not settings.token and not args.sandbox:
        print(NO_TOKEN, file=sys.stderr)
        print(f"\n{SANDBOX_INSTEAD}\n", file=sys.stderr, flush=True)
    if args.sandbox or not settings.token:
        try:
            from sandbox import runner
        except ModuleNotFoundError as exc:  # installed without the extra: no aiohttp
            print(f"the sandbox needs its extra ({exc}): pip install -e '.[sandbox]'", file=sys.stderr)
            return 2
        return runner.main(settings, port=args.port, db_path=Path(args.db) if args.db else None)
    kb = knowledge_or_explain(settings, "the bot")
    if kb is None:
        return 1
    app = build_application(settings, kb)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(app, args))
    except StoreError as exc:  # read-only, locked by another process, not a database ...
        print(f"the bot cannot start: {exc} (ADVISOR_DB={redact(settings.database)})", file=sys.stderr)
        return EXIT_DATABASE
    return 0


async def serve(app: Application, args: argparse.Namespace) -> None:
    """Run the bot until a stop signal: by webhook with `--webhook-url`, else by long polling."""
    async with running(app):
        assert app.updater is not None
        if args.webhook_url:
            url = args.webhook_url.rstrip("/")
            http = await webhook.start(app, url, args.listen, args.port or 8443, args.secret_token)
            try:
                await until_stopped()
            finally:
                http.stop()
        else:
            await app.updater.start_polling(allowed_updates=Update.ALL_TYPES)
            await until_stopped()
