"""The sandbox: the real bot, a local Bot API emulator and a web chat page, in one process.

Everything runs on 127.0.0.1 in one asyncio loop: the emulator (`tgemu`) on a free
port, the bot's own Application pointed at it and polling it with real getUpdates long
polling over HTTP, and the chat page (`static/`) with the emulator's control API on the page's
port, so the page can play three users: a member, an officer and an admin.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import secrets
import shutil
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from advisor.config import ConfigError, Settings, load_settings
from advisor.kb import KnowledgeBase
from advisor.telegram import lifecycle
from advisor.telegram.app import build_application
from tgemu.server import create_app, serve
from tgemu.state import BotApiState

HOST = "127.0.0.1"
DEFAULT_PORT = 8080
PORT_TRIES = 10  # with the default port: 8080, 8081, ... until one is free
SCRATCH_KNOWLEDGE = Path("data/sandbox-knowledge")
DEFAULT_DB = Path("data/sandbox.db")
TOKEN = "7000000001:HTX-SANDBOX-TOKEN"
BOT_USERNAME = "htx_advisor_bot"
BOT_NAME = "HTX Advisor"
STATIC = Path(__file__).resolve().parent / "static"
POLL_TIMEOUT = 10  # seconds a getUpdates long poll waits, as the bot does against Telegram


@dataclass(frozen=True)
class Persona:
    """A user the page can play; each has a private chat with the bot (chat id = user id)."""

    user_id: int
    role: str  # "member", "officer" or "admin"
    label: str
    first_name: str
    username: str
    icon: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.user_id,
            "role": self.role,
            "label": self.label,
            "first_name": self.first_name,
            "username": self.username,
            "icon": self.icon,
        }


PERSONAS = (
    Persona(1001, "member", "Thành viên HTX", "Lan", "lan_htx", "🧑‍🌾"),
    Persona(1002, "officer", "Cán bộ hỗ trợ", "Minh", "minh_canbo", "🧑‍💼"),
    Persona(1003, "admin", "Quản trị viên", "Hùng", "hung_admin", "🛡️"),
)
MEMBER, OFFICER, ADMIN = (p.user_id for p in PERSONAS)


@dataclass
class Sandbox:
    """A running sandbox: the emulator's state, its URL (the bot's), the page's URL, the bot."""

    state: BotApiState
    api_url: str
    page_url: str
    app: Application
    settings: Settings


def sandbox_settings(base: Settings, api_url: str, db_path: Path | None = None) -> Settings:
    """The bot's settings in the sandbox: the emulator's token and URL, its own database, and
    the personas as the only officer and admin (the real ones are never granted anything)."""
    return replace(
        base,
        token=TOKEN,
        api_url=api_url,
        db_path=db_path or DEFAULT_DB,
        db_url=None,  # never the real bot's PostgreSQL database
        officers=frozenset({OFFICER}),
        admins=frozenset({ADMIN}),
    )


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def page_app(state: BotApiState) -> web.Application:
    """The emulator's routes (the page uses /control/...) plus the page and its config."""
    app = create_app(state)
    config = {
        "bot": {"name": BOT_NAME, "username": state.bot_username},
        "personas": [p.to_dict() for p in PERSONAS],
        "instance": secrets.token_hex(8),  # a restarted sandbox has new chats: the page starts over
    }

    async def index(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def sandbox_config(request: web.Request) -> web.StreamResponse:
        return web.json_response({"ok": True, "result": config}, dumps=_dumps)

    app.router.add_get("/", index)
    app.router.add_get("/sandbox/config", sandbox_config)
    app.router.add_static("/static/", STATIC, append_version=False)
    return app


@contextlib.asynccontextmanager
async def _serve_page(state: BotApiState, port: int, tries: int) -> AsyncIterator[str]:
    """The page on `port`, or on the next free one of `tries` ports (port 0 picks any)."""
    for attempt in range(tries):
        stack = contextlib.AsyncExitStack()
        try:
            url = await stack.enter_async_context(
                serve(state, HOST, port + attempt if port else 0, app=page_app(state))
            )
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or attempt == tries - 1:
                raise
            continue
        async with stack:
            yield url
        return


@contextlib.asynccontextmanager
async def running(
    base: Settings,
    kb: KnowledgeBase,
    *,
    port: int = DEFAULT_PORT,
    port_tries: int = 1,
    db_path: Path | None = None,
    poll_timeout: int = POLL_TIMEOUT,
) -> AsyncIterator[Sandbox]:
    """Start the emulator, the page and the bot; stop them all (the bot first) on exit."""
    state = BotApiState(token=TOKEN, bot_username=BOT_USERNAME, bot_name=BOT_NAME)
    for persona in PERSONAS:
        state.add_user(persona.user_id, first_name=persona.first_name, username=persona.username)
    async with serve(state, HOST, 0) as api_url, _serve_page(state, port, port_tries) as page_url:
        settings = sandbox_settings(base, api_url, db_path)
        app = build_application(settings, kb)
        async with lifecycle.running(app):
            assert app.updater is not None
            await app.updater.start_polling(
                poll_interval=0, timeout=poll_timeout, allowed_updates=Update.ALL_TYPES
            )
            yield Sandbox(state, api_url, page_url, app, settings)


async def serve_forever(
    base: Settings, kb: KnowledgeBase, *, port: int, port_tries: int, db_path: Path
) -> None:
    """Run until Ctrl+C (SIGINT) or SIGTERM, then stop cleanly."""
    async with running(base, kb, port=port, port_tries=port_tries, db_path=db_path) as sandbox:
        personas = ", ".join(f"{p.label} {p.user_id}" for p in PERSONAS)
        print(
            f"HTX Advisor sandbox: open {sandbox.page_url} in a browser (no Telegram needed)\n"
            f"  users: {personas}; database {db_path}\n"
            "Ctrl+C to stop",
            flush=True,
        )
        await lifecycle.until_stopped()
        print("stopping the sandbox…", flush=True)


def _scratch_copy(knowledge: Path) -> Path:
    """The sandbox's own copy of the knowledge, fresh at each start: an admin trying /kb there
    applies changes to the copy, never to the folder the real bot serves."""
    copy = SCRATCH_KNOWLEDGE
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(knowledge, copy)
    return copy


def main(settings: Settings | None = None, *, port: int | None = None, db_path: Path | None = None) -> int:
    """Start the sandbox: 0 after a clean stop, 1 invalid knowledge or a busy port, 2 bad config."""
    if settings is None:
        try:
            settings = load_settings()
        except ConfigError as exc:
            print(f"configuration error: {exc}", file=sys.stderr)
            return 2
    kb = lifecycle.knowledge_or_explain(settings, "the sandbox")
    if kb is None:
        return 1
    settings = replace(settings, knowledge_dir=_scratch_copy(settings.knowledge_dir))
    chosen = DEFAULT_PORT if port is None else port
    tries = PORT_TRIES if port is None else 1
    try:
        asyncio.run(serve_forever(settings, kb, port=chosen, port_tries=tries, db_path=db_path or DEFAULT_DB))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        last = chosen + tries - 1
        busy = f"port {chosen}" if tries == 1 else f"ports {chosen}-{last}"
        print(f"{busy} on {HOST} already in use; choose another with --port N", file=sys.stderr)
        return 1
    return 0
