"""Telegram's flood limits: sliding windows that answer 429 with retry_after when exceeded."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from tgemu.errors import ApiError


@dataclass(frozen=True)
class Rate:
    """At most `limit` messages in any window of `period` seconds (a burst of `limit` allowed)."""

    limit: int
    period: float = 1.0

    def __post_init__(self) -> None:
        if self.limit < 1 or self.period <= 0:
            raise ValueError("a rate needs limit >= 1 and period > 0")


RateSpec = Rate | float | int | None


def as_rate(spec: RateSpec) -> Rate | None:
    """`30` means 30 per second; a `Rate` is used as is; None switches the limit off."""
    if spec is None or isinstance(spec, Rate):
        return spec
    if spec >= 1:
        return Rate(int(spec), 1.0)
    return Rate(1, 1.0 / spec)


class _Window:
    def __init__(self, rate: Rate) -> None:
        self.rate = rate
        self.times: deque[float] = deque()

    def wait(self, now: float) -> float:
        """Seconds until one more message fits (0 when it fits now)."""
        while self.times and self.times[0] <= now - self.rate.period:
            self.times.popleft()
        if len(self.times) < self.rate.limit:
            return 0.0
        return self.times[0] + self.rate.period - now


class RateLimiter:
    """Sliding-window flood limits: global, per chat, and an extra one for group chats.

    Telegram's real numbers are unpublished (~30/s overall, ~1/s per chat with short bursts,
    20/min per group); all limits default to off so ordinary tests never see a 429.
    """

    def __init__(
        self,
        global_rate: RateSpec = None,
        per_chat_rate: RateSpec = None,
        group_rate: RateSpec = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.global_rate = as_rate(global_rate)
        self.per_chat_rate = as_rate(per_chat_rate)
        self.group_rate = as_rate(group_rate)
        self.clock = clock
        self._global = _Window(self.global_rate) if self.global_rate else None
        self._chats: dict[int | str, _Window] = {}
        self._groups: dict[int | str, _Window] = {}

    def _windows(self, chat_id: int | str) -> list[_Window]:
        windows = [self._global] if self._global else []
        if self.per_chat_rate:
            windows.append(self._chats.setdefault(chat_id, _Window(self.per_chat_rate)))
        is_group = isinstance(chat_id, str) or chat_id < 0
        if self.group_rate and is_group:
            windows.append(self._groups.setdefault(chat_id, _Window(self.group_rate)))
        return windows

    def acquire(self, chat_id: int | str) -> None:
        """Count one message to `chat_id`, or raise 429 without counting it."""
        now = self.clock()
        windows = self._windows(chat_id)
        wait = max((w.wait(now) for w in windows), default=0.0)
        if wait > 0:
            retry_after = max(1, int(-(-wait // 1)))
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)
        for window in windows:
            window.times.append(now)
