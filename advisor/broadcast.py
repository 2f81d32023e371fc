"""The durable, paced broadcast sender.

A confirmed broadcast is already in the database with one delivery row per recipient
(`store.broadcasts.create`). The sender works through the rows: it *claims* a row (status
"sending") before sending it and records the outcome after, so a crash can only leave rows
"sending"; at the next start those become "unknown" and are never resent. Duplicates are
impossible by construction; losses are visible as "unknown".

Pacing: at most `rate` messages per second overall and one message per `chat_interval`
seconds to the same chat. A 429 pauses all sending for `retry_after`, lowers the rate by
10 %, and puts the row back without counting an attempt. This module knows nothing of
Telegram: the adapter passes a `send` function that turns Telegram's answers into an
`Outcome`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from advisor.records import Broadcast
from advisor.storage import Store

log = logging.getLogger("advisor.broadcast")

IDLE_POLL_S = 5.0
"""How often an idle sender looks for due broadcasts: scheduled ones whose time has come, and
those confirmed on another instance (which cannot wake this one)."""
PROGRESS_EVERY_S = 3.0
BACK_OFF = 0.9
MIN_RATE = 1.0


@dataclass(frozen=True)
class Outcome:
    """What happened to one send: `status` is sent | blocked | failed | unknown | retry."""

    status: str
    message_id: int | None = None
    error: str | None = None
    retry_after: float = 0.0


SendFn = Callable[[int, str], Awaitable[Outcome]]
"""send(chat_id, html) -> Outcome; must not raise for Telegram errors."""
ProgressFn = Callable[[Broadcast, dict[str, int], bool], Awaitable[None]]
"""progress(broadcast, counts by status, finished) -> None; called every few seconds."""


@dataclass
class Pacer:
    """Spaces sends: a global minimum interval and a per-chat one."""

    rate: float
    chat_interval: float
    clock: Callable[[], float] = time.monotonic
    next_global: float = 0.0

    def __post_init__(self) -> None:
        self.last_by_chat: dict[int, float] = {}

    def busy_chats(self) -> list[int]:
        now = self.clock()
        recent = {c: t for c, t in self.last_by_chat.items() if now - t < self.chat_interval}
        self.last_by_chat = recent
        return list(recent)

    def wait_time(self) -> float:
        return max(0.0, self.next_global - self.clock())

    def sent(self, chat_id: int, started: float) -> None:
        """A send that began at `started`: the next may begin 1/rate after it began (not after
        it ended, or the request's own time would slow every send down)."""
        self.next_global = max(started, self.next_global) + 1.0 / self.rate
        self.last_by_chat[chat_id] = started

    def back_off(self, seconds: float) -> None:
        """Telegram said 429: wait `seconds`, and send 10 % slower from now on, so a rate set
        above what Telegram allows settles just under it instead of hitting 429 again."""
        self.next_global = max(self.next_global, self.clock() + seconds)
        self.rate = max(MIN_RATE, self.rate * BACK_OFF)


class Sender:
    """One task that sends every due broadcast; `wake()` after confirming a new one."""

    def __init__(
        self,
        store: Store,
        send: SendFn,
        rate: float = 25.0,
        chat_interval: float = 1.0,
        progress: ProgressFn | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.send = send
        self.pacer = Pacer(rate, chat_interval, clock)
        self.progress = progress
        self.sleep = sleep
        self.clock = clock
        self.retries_429 = 0
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Forever: recover interrupted rows once (those of an instance that died mid-send, when
        this one takes over), then send whatever is due."""
        recovered = await self.store.deliveries.recover()
        if recovered:
            log.warning("%d deliveries were interrupted mid-send; marked unknown, not resent", recovered)
        while True:
            await self.run_due()
            self._wake.clear()
            with contextlib.suppress(TimeoutError):  # asyncio.timeout keeps a cancellation (see exclusive)
                async with asyncio.timeout(IDLE_POLL_S):
                    await self._wake.wait()

    async def run_due(self) -> None:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        for broadcast in await self.store.broadcasts.due(now):
            await self.run_broadcast(broadcast)

    async def run_broadcast(self, broadcast: Broadcast) -> dict[str, int]:
        """Send every pending row of one broadcast; returns the final counts by status."""
        if broadcast.status == "scheduled":
            await self.store.broadcasts.set_status(broadcast.id, "sending")
        last_report = self.clock()
        while True:
            current = await self.store.broadcasts.get(broadcast.id)
            if current is None or current.status == "cancelled":
                break
            await self._pace()
            delivery = await self.store.deliveries.claim(broadcast.id, self.pacer.busy_chats())
            if delivery is None:
                if not await self._pending(broadcast.id):
                    await self.store.broadcasts.set_status(broadcast.id, "done")
                    break
                await self.sleep(self.pacer.chat_interval / 4)  # only busy chats are left
                continue
            started = self.clock()
            outcome = await self.send(delivery.chat_id, broadcast.html)
            if outcome.status == "retry":
                self.retries_429 += 1
                await self.store.deliveries.release(delivery)
                self.pacer.back_off(max(outcome.retry_after, 1.0))
                continue
            self.pacer.sent(delivery.chat_id, started)
            await self.store.deliveries.finish(delivery, outcome.status, outcome.message_id, outcome.error)
            if self.progress and self.clock() - last_report >= PROGRESS_EVERY_S:
                last_report = self.clock()
                await self._report(broadcast, finished=False)
        await self._report(broadcast, finished=True)
        return await self.store.deliveries.counts(broadcast.id)

    async def _pending(self, broadcast_id: int) -> int:
        return (await self.store.deliveries.counts(broadcast_id)).get("pending", 0)

    async def _pace(self) -> None:
        wait = self.pacer.wait_time()
        if wait > 0:
            await self.sleep(wait)

    async def _report(self, broadcast: Broadcast, finished: bool) -> None:
        if self.progress is None:
            return
        current = await self.store.broadcasts.get(broadcast.id) or broadcast
        try:
            await self.progress(current, await self.store.deliveries.counts(broadcast.id), finished)
        except Exception:  # a failed progress edit must never stop the sending
            log.exception("could not report progress of broadcast %s", broadcast.id)


def eta_seconds(left: int, rate: float) -> float:
    """Estimated time to send `left` messages at `rate` per second."""
    return left / rate if rate > 0 else 0.0
