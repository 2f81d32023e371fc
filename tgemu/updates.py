"""The getUpdates queue: updates wait here until the bot confirms them with a higher offset."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from tgemu.errors import ApiError
from tgemu.events import Signal

_DEFAULT_SKIPPED_UPDATES = {"chat_member", "message_reaction", "message_reaction_count"}


class UpdateQueue:
    """Pending updates and long polls, with Telegram's 409 when a second poller takes over."""

    def __init__(self) -> None:
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._allowed: set[str] | None = None
        self._poll_generation = 0
        self._wake_generation = 0
        self._signal = Signal()

    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue one update of `kind` (message, callback_query, ...) and wake the poller."""
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self._updates.append(update)
        self._signal.fire()
        return update

    @property
    def pending(self) -> list[dict[str, Any]]:
        return list(self._updates)

    def clear(self) -> None:
        self._updates.clear()

    def wake_pollers(self) -> None:
        """Make waiting getUpdates calls return now (used when the server shuts down)."""
        self._wake_generation += 1
        self._signal.fire()

    async def get(
        self, offset: int, limit: int, timeout: float, allowed: list[str] | None
    ) -> list[dict[str, Any]]:
        """getUpdates: confirm below `offset`, then wait up to `timeout` s for an allowed update."""
        if allowed is not None:
            self._allowed = set(allowed) or None
        self._confirm(offset)
        self._poll_generation += 1
        generation, wake = self._poll_generation, self._wake_generation
        self._signal.fire()  # an older poller still waiting is terminated, as on Telegram
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self._poll_generation != generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            ready = [u for u in self._updates if self._is_allowed(u)]
            remaining = deadline - loop.time()
            if ready or remaining <= 0 or self._wake_generation != wake:
                return ready[:limit]
            with contextlib.suppress(TimeoutError):
                await self._signal.wait(remaining)

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            self._updates = self._updates[offset:]
        elif offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    def _is_allowed(self, update: dict[str, Any]) -> bool:
        kind = next(key for key in update if key != "update_id")
        if self._allowed is None:
            return kind not in _DEFAULT_SKIPPED_UPDATES
        return kind in self._allowed
