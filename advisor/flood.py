"""Flood control that never loses a question silently.

Judged by when each message was *sent* (Telegram's `date`), not when it arrives: a phone
coming back online delivers questions typed over minutes all at once, and every one of them
is answered, in order. Only a rate no person types at (more than `limit` messages sent within
`window_s`) is treated as abuse: the messages past it are not answered but still logged, and
once the burst is over the user is told, once, exactly which ones were skipped. Commands are
never held back (the adapter lets them through before asking).
"""

from __future__ import annotations

import collections
import time
from dataclasses import dataclass, field

FLOOD_LIMIT = 20
FLOOD_WINDOW_S = 30.0
QUIET_S = 3.0
"""The list of skipped messages is sent this long after the last one of the burst."""
MAX_TRACKED = 10_000
"""Users remembered before idle ones are forgotten (memory stays bounded)."""


@dataclass
class _User:
    sent: collections.deque[float] = field(default_factory=collections.deque)
    skipped: list[str] = field(default_factory=list)
    last_skip: float = 0.0


class FloodGuard:
    """Per user: the send times of answered messages and the texts of skipped ones."""

    def __init__(self, limit: int = FLOOD_LIMIT, window_s: float = FLOOD_WINDOW_S, quiet_s: float = QUIET_S):
        self.limit, self.window_s, self.quiet_s = limit, window_s, quiet_s
        self._users: dict[int, _User] = {}

    def admit(self, user_id: int, sent_at: float) -> bool:
        """Whether to answer a message the user sent at `sent_at` (seconds since the epoch)."""
        if len(self._users) > MAX_TRACKED:
            self.forget_idle(sent_at)
        user = self._users.setdefault(user_id, _User())
        while user.sent and user.sent[0] <= sent_at - self.window_s:
            user.sent.popleft()
        if len(user.sent) >= self.limit:
            return False
        user.sent.append(sent_at)
        return True

    def skip(self, user_id: int, text: str) -> bool:
        """Note a message that will not be answered; True for the first of a burst (the
        caller then arranges one report, `take_skipped` once the burst is over)."""
        user = self._users.setdefault(user_id, _User())
        user.skipped.append(text)
        user.last_skip = time.monotonic()
        return len(user.skipped) == 1

    def quiet_for(self, user_id: int) -> float:
        """Seconds left before the burst counts as over (0 when it is)."""
        user = self._users.get(user_id)
        return max(0.0, user.last_skip + self.quiet_s - time.monotonic()) if user else 0.0

    def take_skipped(self, user_id: int) -> list[str]:
        """The skipped texts, in order, forgetting them."""
        user = self._users.get(user_id)
        if user is None:
            return []
        skipped, user.skipped = user.skipped, []
        if not user.sent:
            del self._users[user_id]
        return skipped

    def forget_idle(self, now: float) -> None:
        """Drop users with nothing in the window (called now and then to bound memory)."""
        for user_id in [
            u
            for u, s in self._users.items()
            if not s.skipped and (not s.sent or s.sent[-1] <= now - self.window_s)
        ]:
            del self._users[user_id]
