"""The same `BotApiState` over real HTTP on 127.0.0.1, for end-to-end runs of `bot.py`.

Routes mirror Telegram's (`/bot{token}/{method}`, `/file/bot{token}/{path}`) so the bot only
needs `TELEGRAM_API_URL` pointed here; `/control/...` is a small JSON API (plus an SSE event
stream) that tests and the sandbox page use to play the users.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import sys
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from aiohttp import BodyPartReader, web

from tgemu.files import FileInput
from tgemu.flood import Rate
from tgemu.state import BotApiState

STATE: web.AppKey[BotApiState] = web.AppKey("tgemu_state", BotApiState)
STREAMS: web.AppKey[set[asyncio.Queue[dict[str, Any]]]] = web.AppKey("tgemu_streams", set)
LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_BODY = 60 * 1024 * 1024  # above Telegram's 50 MB upload limit, so the rule reports it, not aiohttp
KEEP_ALIVE_SECONDS = 15.0
_CLOSING = {"type": "server_closing"}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=lambda obj: json.dumps(obj, ensure_ascii=False))


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, FileInput]]:
    """Query string plus a form-urlencoded, multipart or JSON body, as Telegram accepts."""
    params: dict[str, Any] = dict(request.query)
    files: dict[str, FileInput] = {}
    if not request.can_read_body:
        return params, files
    if request.content_type == "application/json":
        body = await request.json()
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="a JSON body must be an object")
        params.update(body)
    elif request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.filename is not None:
                mime = part.headers.get("Content-Type")
                files[part.name] = (part.filename, bytes(await part.read()), mime)
            else:
                params[part.name] = await part.text()
    else:
        form = await request.post()
        params.update({key: value for key, value in form.items() if isinstance(value, str)})
    return params, files


async def _bot_method(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    if request.match_info["token"] != state.token:
        return _json({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
    params, files = await _read_params(request)
    status, body = await state.handle(request.match_info["method"], params, files)
    return _json(body, status=status)


async def _file(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    data = (
        state.file_bytes(request.match_info["path"]) if request.match_info["token"] == state.token else None
    )
    if data is None:
        return _json({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
    return web.Response(body=data, content_type="application/octet-stream")


async def _control_file(request: web.Request) -> web.StreamResponse:
    """A stored file by file_id, with its type and name (the sandbox page shows photos and
    offers documents for download; `?download=1` asks the browser to save it)."""
    stored = request.app[STATE].files.get(request.match_info["file_id"])
    if stored is None:
        return _json({"ok": False, "description": "file not found"}, status=404)
    headers = {"Cache-Control": "no-store"}
    if request.query.get("download") in ("1", "true"):
        name = stored.filename or stored.file_path.rsplit("/", 1)[-1]
        ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
        headers["Content-Disposition"] = (
            f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{urllib.parse.quote(name)}"
        )
    mime = _sniff_image(stored.data) if stored.file_path.startswith("photos/") else stored.mime_type
    return web.Response(body=stored.data, content_type=mime or "application/octet-stream", headers=headers)


def _sniff_image(data: bytes) -> str:
    """Photos keep the bytes the bot uploaded (the emulator does not re-encode them)."""
    for magic, mime in ((b"\x89PNG", "image/png"), (b"GIF8", "image/gif"), (b"BM", "image/bmp")):
        if data.startswith(magic):
            return mime
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    return "image/jpeg"


def _control(handler: Callable[[BotApiState, dict[str, Any]], Any]) -> Handler:
    """JSON in (body or query), `{"ok": true, "result": ...}` out; harness misuse -> 400."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        body: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            try:
                data = await request.json()
            except ValueError:
                return _json({"ok": False, "description": "the body must be JSON"}, status=400)
            if not isinstance(data, dict):
                return _json({"ok": False, "description": "the body must be a JSON object"}, status=400)
            body.update(data)
        try:
            result = handler(request.app[STATE], body)
        except (KeyError, TypeError, ValueError) as exc:
            return _json({"ok": False, "description": f"{type(exc).__name__}: {exc}"}, status=400)
        return _json({"ok": True, "result": result})

    return wrapped


def _pick(body: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: body[name] for name in names if body.get(name) is not None}


def _say(state: BotApiState, body: dict[str, Any]) -> Any:
    options = _pick(
        body,
        "chat_id",
        "chat_type",
        "first_name",
        "username",
        "language_code",
        "reply_to_message_id",
        "title",
    )
    for key in ("chat_id", "reply_to_message_id"):
        if key in options:
            options[key] = int(options[key])
    return state.user_says(int(body["user_id"]), str(body["text"]), **options)


def _press(state: BotApiState, body: dict[str, Any]) -> Any:
    chat_id = int(body["chat_id"]) if body.get("chat_id") is not None else None
    forge = body.get("forge") in (True, "true", "1")
    return state.press(
        int(body["user_id"]), int(body["message_id"]), str(body["data"]), chat_id=chat_id, forge=forge
    )


def _document(state: BotApiState, body: dict[str, Any]) -> Any:
    """A user sends a file: `data` is its bytes in base64."""
    data = base64.b64decode(str(body["data"]), validate=True)
    options = _pick(body, "mime_type", "caption", "first_name", "language_code")
    return state.user_sends_document(int(body["user_id"]), data, str(body["filename"]), **options)


def _block(state: BotApiState, body: dict[str, Any]) -> Any:
    blocked = body.get("blocked", True) in (True, "true", "1")
    user_id = int(body["user_id"])
    return state.block(user_id) if blocked else state.unblock(user_id)


def _update(state: BotApiState, body: dict[str, Any]) -> Any:
    return state.send_update(str(body["kind"]), dict(body["payload"]))


def _messages(state: BotApiState, body: dict[str, Any]) -> Any:
    include_user = str(body.get("all", "")).lower() in ("1", "true")
    return [m.to_dict() for m in state.messages(int(body["chat_id"]), include_user=include_user)]


def _commands(state: BotApiState, body: dict[str, Any]) -> Any:
    return [
        {"scope": json.loads(scope), "language_code": language, "commands": commands}
        for (scope, language), commands in state.commands.items()
    ]


async def _events(request: web.Request) -> web.StreamResponse:
    """Server-Sent Events: one `data:` line of JSON per state event, until the client leaves."""
    state = request.app[STATE]
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await response.prepare(request)
    queue = state.subscribe()
    streams = request.app[STREAMS]
    streams.add(queue)
    try:
        await response.write(b": connected\n\n")
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), KEEP_ALIVE_SECONDS)
            except TimeoutError:
                await response.write(b": keep-alive\n\n")
                continue
            await response.write(f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode())
            if event is _CLOSING:
                break
    except ConnectionResetError:
        pass
    finally:
        streams.discard(queue)
        state.unsubscribe(queue)
    return response


async def _on_shutdown(app: web.Application) -> None:
    """End long polls and event streams so shutdown does not wait for their timeouts."""
    app[STATE].wake_pollers()
    for queue in list(app[STREAMS]):
        queue.put_nowait(_CLOSING)


def create_app(state: BotApiState) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY)
    app[STATE] = state
    app[STREAMS] = set()
    app.router.add_route("*", "/bot{token}/{method}", _bot_method)
    app.router.add_get("/file/bot{token}/{path:.+}", _file)
    app.router.add_post("/control/say", _control(_say))
    app.router.add_post("/control/press", _control(_press))
    app.router.add_post("/control/document", _control(_document))
    app.router.add_post("/control/block", _control(_block))
    app.router.add_post("/control/update", _control(_update))
    app.router.add_get("/control/messages", _control(_messages))
    app.router.add_get("/control/commands", _control(_commands))
    app.router.add_get("/control/events", _events)
    app.router.add_get("/control/file/{file_id}", _control_file)
    app.on_shutdown.append(_on_shutdown)
    return app


@contextlib.asynccontextmanager
async def serve(
    state: BotApiState, host: str = "127.0.0.1", port: int = 0, *, app: web.Application | None = None
) -> AsyncIterator[str]:
    """Run the emulator while the block runs; yields its base URL (port 0 picks a free port).

    `app` serves a `create_app(state)` that the caller extended (the sandbox adds its page)."""
    if host not in LOOPBACK:
        raise ValueError(f"the emulator binds to loopback only, not {host!r}")
    runner = web.AppRunner(app or create_app(state), shutdown_timeout=2.0, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_port = runner.addresses[0][1]
        url_host = f"[{host}]" if ":" in host else host
        yield f"http://{url_host}:{bound_port}"
    finally:
        await runner.cleanup()


def _rate(value: str | None) -> Rate | None:
    """`N` (per second) or `N/SECONDS`, e.g. `20/60` for twenty a minute."""
    if not value:
        return None
    limit, _, period = value.partition("/")
    return Rate(int(limit), float(period or 1))


async def _run(args: argparse.Namespace) -> None:
    state = BotApiState(
        token=args.token,
        bot_username=args.bot_username,
        global_rate=_rate(args.global_rate),
        per_chat_rate=_rate(args.per_chat_rate),
        group_rate=_rate(args.group_rate),
    )
    async with serve(state, port=args.port) as url:
        print(url, flush=True)
        print(f"TELEGRAM_API_URL={url} TELEGRAM_BOT_TOKEN={state.token}", file=sys.stderr, flush=True)
        await asyncio.Event().wait()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tgemu.server", description="A local Telegram Bot API emulator (127.0.0.1)."
    )
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--token", default="123456:TEST-TOKEN")
    parser.add_argument("--bot-username", default="htx_advisor_bot")
    parser.add_argument("--global-rate", help="e.g. 30 (per second) or 20/60; default off")
    parser.add_argument("--per-chat-rate", help="e.g. 3/3 (a burst of 3, then ~1/s); default off")
    parser.add_argument("--group-rate", help="extra limit for group chats, e.g. 20/60; default off")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
