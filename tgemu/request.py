"""PTB's request layer replaced by direct calls into `BotApiState`: no sockets, same errors.

PTB still builds every request and parses every response itself, so a rejected call raises
PTB's own BadRequest / Forbidden / RetryAfter exactly as it would against Telegram.
"""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

from telegram import Bot
from telegram.ext import ApplicationBuilder
from telegram.request import BaseRequest, RequestData

from tgemu.state import BotApiState

_METHOD_URL = re.compile(r"/bot(?P<token>[^/]+)/(?P<method>[A-Za-z0-9_]+)/?(?:\?.*)?$")
_FILE_URL = re.compile(r"/file/bot(?P<token>[^/]+)/(?P<path>.+)$")


def _body(status: int, payload: dict[str, Any]) -> tuple[int, bytes]:
    return status, json.dumps(payload, ensure_ascii=False).encode("utf-8")


def _error(status: HTTPStatus, description: str) -> tuple[int, bytes]:
    return _body(status, {"ok": False, "error_code": int(status), "description": description})


class FakeRequest(BaseRequest):
    """A `BaseRequest` whose network is `state.handle`; file URLs are served from the state."""

    def __init__(self, state: BotApiState, read_timeout: float | None = 5.0) -> None:
        self.state = state
        self._read_timeout = read_timeout

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to open: there is no connection pool."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        file_match = _FILE_URL.search(unquote(url))  # PTB percent-encodes file URLs
        if file_match:
            data = None
            if file_match["token"] == self.state.token:
                data = self.state.files.data_at(file_match["path"])
            if data is None:
                return _error(HTTPStatus.NOT_FOUND, "Not Found")
            return HTTPStatus.OK, data
        match = _METHOD_URL.search(url)
        if match is None:
            return _error(HTTPStatus.NOT_FOUND, "Not Found")
        if match["token"] != self.state.token:
            return _error(HTTPStatus.UNAUTHORIZED, "Unauthorized")
        params = dict(request_data.parameters) if request_data else {}
        files = dict(request_data.multipart_data) if request_data and request_data.contains_files else {}
        status, payload = await self.state.handle(match["method"], params, files)
        return _body(status, payload)


def application_builder(state: BotApiState) -> ApplicationBuilder:
    """An ApplicationBuilder with the state's token and FakeRequest for both request slots."""
    return (
        ApplicationBuilder()
        .token(state.token)
        .request(FakeRequest(state))
        .get_updates_request(FakeRequest(state, read_timeout=None))
    )


def make_bot(state: BotApiState) -> Bot:
    """A bare PTB Bot on FakeRequest, for tests that do not need an Application."""
    return Bot(
        state.token, request=FakeRequest(state), get_updates_request=FakeRequest(state, read_timeout=None)
    )
