"""Writes that must never hold up a reply nor be lost: the question log, last-seen times.

A member's answer does not depend on their question being logged, so the log is written
behind the reply: `submit` keeps the write in order in memory and one task writes them.
When the database is busy (another process holds its lock) or read-only for a while, the
writes wait and are retried with a growing pause, and land once it recovers; nothing is
dropped unless `MAX_PENDING` writes pile up (then the oldest, said in the log).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Awaitable, Callable

from advisor.records import StoreError

log = logging.getLogger("advisor.writes")

Write = Callable[[], Awaitable[object]]
MAX_PENDING = 10_000
RETRY_FIRST_S = 0.5
RETRY_MAX_S = 10.0


class WriteQueue:
    def __init__(self) -> None:
        self._pending: collections.deque[tuple[str, Write]] = collections.deque()
        self._wake = asyncio.Event()
        self.failures = 0
        """Attempts that failed and will be retried (for the log and tests)."""

    def __len__(self) -> int:
        return len(self._pending)

    def submit(self, what: str, write: Write) -> None:
        """Queue one write; `what` names it in the log."""
        if len(self._pending) >= MAX_PENDING:
            dropped, _ = self._pending.popleft()
            log.error("write queue full: dropped the oldest pending write (%s)", dropped)
        self._pending.append((what, write))
        self._wake.set()

    async def run(self) -> None:
        """Write everything queued, in order, retrying each until the database takes it."""
        pause = RETRY_FIRST_S
        while True:
            if not self._pending:
                self._wake.clear()
                await self._wake.wait()
                continue
            what, write = self._pending[0]
            try:
                await write()
            except StoreError as exc:
                if not exc.transient:  # the database will never take it: say so, go on
                    log.error("%s refused by the database, dropped: %s", what, exc)
                    self._pending.popleft()
                    continue
                self.failures += 1
                log.warning(
                    "%s not written yet (%d waiting), retrying in %.1f s: %s", what, len(self), pause, exc
                )
                await asyncio.sleep(pause)
                pause = min(RETRY_MAX_S, pause * 2)
                continue
            self._pending.popleft()
            pause = RETRY_FIRST_S

    async def drain(self, timeout: float) -> None:
        """At shutdown: give the pending writes up to `timeout` seconds to land."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while self._pending:
                    await asyncio.sleep(0.05)
        if self._pending:
            log.error("stopping with %d writes not written (database unavailable)", len(self._pending))
