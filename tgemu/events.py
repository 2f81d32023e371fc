"""Live observers of the emulator: event queues for the page and waits for tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class Signal:
    """Wake every waiter; usable from sync code (no lock), bound to a loop only when awaited."""

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None

    def fire(self) -> None:
        if self._event is not None:
            self._event.set()
            self._event = None

    async def wait(self, timeout: float) -> None:
        if self._event is None:
            self._event = asyncio.Event()
        await asyncio.wait_for(self._event.wait(), timeout)


class Events:
    """Every change is published as a JSON-safe dict: to each subscriber's queue and to waiters."""

    def __init__(self) -> None:
        self._changed = Signal()
        self._subscribers: list[asyncio.Queue[dict[str, Any]]] = []

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._subscribers.append(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        if queue in self._subscribers:
            self._subscribers.remove(queue)

    def publish(self, event: dict[str, Any]) -> None:
        for queue in self._subscribers:
            queue.put_nowait(event)
        self._changed.fire()

    async def wait_for(self, check: Callable[[], T | None], timeout: float, describe: Callable[[], str]) -> T:
        """Wait until `check()` returns something other than None or False (re-checked on every
        event), so `lambda: any(...)` waits too; on timeout the error ends with `describe()`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = check()
            if result is not None and result is not False:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"nothing matched within {timeout} s; {describe()}")
            with contextlib.suppress(TimeoutError):
                await self._changed.wait(remaining)
