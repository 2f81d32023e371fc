"""Polling that no single update can wedge.

python-telegram-bot parses a whole `getUpdates` batch at once: one update it cannot parse
(a newer or older Bot API than the library expects, e.g. a poll without `persistent_id` from
an old self-hosted server) fails the batch, the offset never advances, and polling re-fetches
the same batch forever while nobody is answered. `TolerantUpdates` wraps the polling request:
each update of a batch is parsed on its own first, and one that fails is replaced by its bare
`update_id`, so the offset moves past it; it is logged once with its id and counted.
"""

from __future__ import annotations

import json
import logging

from telegram import Update
from telegram.request import BaseRequest, RequestData

log = logging.getLogger("advisor.bot")


class TolerantUpdates(BaseRequest):
    """A polling request that skips, logs and counts the updates the library cannot parse."""

    def __init__(self, inner: BaseRequest) -> None:
        self.inner = inner
        self.skipped = 0

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout=BaseRequest.DEFAULT_NONE,
        write_timeout=BaseRequest.DEFAULT_NONE,
        connect_timeout=BaseRequest.DEFAULT_NONE,
        pool_timeout=BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        code, payload = await self.inner.do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )
        if code != 200 or not url.endswith("/getUpdates"):
            return code, payload
        return code, self._parseable(payload)

    def _parseable(self, payload: bytes) -> bytes:
        try:
            body = json.loads(payload)
            updates = body["result"]
        except (ValueError, KeyError, TypeError):
            return payload  # not a batch: python-telegram-bot reports it as it would
        if not isinstance(updates, list):
            return payload
        kept, changed = [], False
        for raw in updates:
            try:
                Update.de_json(raw, None)
                kept.append(raw)
            except Exception as exc:  # any parse failure of any field: the library's, not ours
                update_id = raw.get("update_id") if isinstance(raw, dict) else None
                if not isinstance(update_id, int):
                    continue  # without an id it cannot be acknowledged, and a later one will be
                self.skipped += 1
                changed = True
                log.warning("skipped unparseable update %s (%d so far): %r", update_id, self.skipped, exc)
                kept.append({"update_id": update_id})
        return json.dumps({**body, "result": kept}).encode() if changed else payload
