"""Different users at once, each user's updates in order.

python-telegram-bot handles updates one at a time by default: one user's slow moment (a
Telegram call that times out, a 429 for their chat, a database write waiting for a lock)
would hold up everyone. With this processor, updates run concurrently, except that the
updates of one user (or one chat, when there is no user) wait for each other in arrival
order: a member's eight queued questions are answered in the order they were sent, and a
flow's steps never race. With several instances on PostgreSQL, a user's update also holds
that user's database lock while it runs (`shared`), so two instances never run one person's
updates at the same time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram import Update
from telegram.ext import BaseUpdateProcessor

MAX_WAITING_UPDATES = 4096
"""Updates accepted at once, most of them waiting for their user's turn or a running slot."""
MAX_RUNNING_UPDATES = 32
"""Updates actually running at once. Enough that one user's slow moment never holds up the
others, few enough that hundreds of simultaneous requests do not swamp the HTTP connection
pool (its bookkeeping grows with the requests in flight: measured in bench/bench_bot.py)."""


@dataclass
class _Turns:
    """One user's lock and how many of their updates hold or wait for it."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


SharedLock = Callable[[int], contextlib.AbstractAsyncContextManager[None]]
"""A person's lock shared by every instance of the bot (a database lock), by user id."""


class PerUserOrder(BaseUpdateProcessor):
    def __init__(self, running: int = MAX_RUNNING_UPDATES) -> None:
        super().__init__(MAX_WAITING_UPDATES)
        self._turns: dict[object, _Turns] = {}
        self._running = asyncio.Semaphore(running)
        """Taken after the user's turn: a user's queued updates never hold a running slot."""
        self.shared: SharedLock | None = None
        """Set when several instances share a database that offers one (PostgreSQL): then one
        person's updates never run at the same time in two instances either."""

    async def do_process_update(self, update: object, coroutine: Awaitable) -> None:
        key = _key(update)
        if key is None:
            async with self._running:
                await coroutine
            return
        turns = self._turns.setdefault(key, _Turns())
        turns.users += 1
        try:  # asyncio locks and semaphores are fair: waiters go in arrival order
            async with turns.lock, self._running, self._across_instances(key):
                await coroutine
        finally:
            turns.users -= 1
            if turns.users == 0:  # nobody of this user is waiting: forget them
                del self._turns[key]

    def _across_instances(self, key: tuple[str, int]) -> contextlib.AbstractAsyncContextManager[None]:
        if self.shared is None or key[0] != "user":
            return contextlib.nullcontext()
        return self.shared(key[1])

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


def _key(update: object) -> object:
    """Whose order an update belongs to: its user, else its chat; None runs it freely."""
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return ("user", update.effective_user.id)
    if update.effective_chat is not None:
        return ("chat", update.effective_chat.id)
    return None
