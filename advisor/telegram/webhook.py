"""The webhook server: Telegram posts updates to `/telegram`, a load balancer asks `/health`.

python-telegram-bot's own webhook server serves one path only; behind a load balancer with
several instances we also need a health check that says whether *this* instance can reach the
database. Both run on tornado, which python-telegram-bot's `webhooks` extra already brings.
An update the library cannot parse is answered 200 (Telegram would otherwise resend it
forever, holding back every later update) and logged once, as in polling.
"""

from __future__ import annotations

import hmac
import json
import logging

import tornado.web
from telegram import Update
from telegram.ext import Application
from tornado.httpserver import HTTPServer

from advisor.records import StoreError

log = logging.getLogger("advisor.bot")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
JOBS = ("broadcast-sender", "handoff-reminders")
"""The background jobs whose holder /health reports (see `advisor.exclusive`)."""


class _Updates(tornado.web.RequestHandler):
    def initialize(self, app: Application, secret: str | None) -> None:
        self.app, self.secret = app, secret

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if self.secret and not hmac.compare_digest(given, self.secret):
            self.set_status(403)
            return
        try:
            data = json.loads(self.request.body)
        except ValueError:
            self.set_status(400)
            return
        try:
            update = Update.de_json(data, self.app.bot)
        except Exception as exc:  # any field the library cannot parse: acknowledge and log
            log.warning(
                "skipped unparseable update %s: %r",
                data.get("update_id") if isinstance(data, dict) else "?",
                exc,
            )
            self.set_status(200)
            return
        await self.app.update_queue.put(update)
        self.set_status(200)


class _Health(tornado.web.RequestHandler):
    def initialize(self, app: Application) -> None:
        self.app = app

    async def get(self) -> None:
        rt = self.app.bot_data["runtime"]
        try:
            store = rt.require_store()
            holders = {job: await store.leases.holder(job) for job in JOBS}
        except (StoreError, RuntimeError) as exc:
            self.set_status(503)
            self.write({"ok": False, "instance": rt.instance, "error": str(exc)})
            return
        self.write({"ok": True, "instance": rt.instance, "knowledge": rt.kb.version, "jobs": holders})


ROUTES = ((r"/telegram", _Updates), (r"/health", _Health))


def server(app: Application, secret: str | None) -> HTTPServer:
    """The HTTP server for both paths (start it with `.listen(port, address)`)."""
    options = {_Updates: {"app": app, "secret": secret}, _Health: {"app": app}}
    return HTTPServer(tornado.web.Application([(path, kind, options[kind]) for path, kind in ROUTES]))


async def start(app: Application, url: str, listen: str, port: int, secret: str | None) -> HTTPServer:
    """Serve, then tell Telegram where to post (every instance sets the same URL: harmless, and
    no instance has to be the first one up)."""
    http = server(app, secret)
    http.listen(port, listen)
    await app.bot.set_webhook(f"{url}/telegram", secret_token=secret, allowed_updates=Update.ALL_TYPES)
    return http
