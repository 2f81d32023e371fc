"""Background jobs that must run in exactly one bot instance: the broadcast sender (one pace
for the whole bot, never a row sent twice) and the reminders (each sent once).

Every instance runs `run_exclusively` for each job; the one holding the job's lease runs it
and renews the lease every `RENEW_S`; the others try to take it every `RENEW_S`. When the
holder dies, its lease expires after `LEASE_S` and another instance takes over within
`LEASE_S + RENEW_S` (8 s). A holder that cannot renew in time (the database unreachable, a
partition) stops its job *before* its lease can expire, so two instances never run it at once.
Clocks of the machines must agree to well under a second (NTP), as leases compare times.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable

from advisor.records import StoreError
from advisor.storage import Store

log = logging.getLogger("advisor.exclusive")

LEASE_S = 6.0
RENEW_S = 2.0


def instance_name() -> str:
    """This process among the bot's instances: host, pid and a random suffix (a restarted
    process with a recycled pid is still another holder)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


async def _take(store: Store, name: str, holder: str) -> bool:
    # asyncio.timeout, not wait_for: on Python 3.11 wait_for returns the result and drops a
    # cancellation that arrives as the statement completes, and a stopping bot then waits
    # forever for this loop (seen as a hung restart in the tests).
    try:
        async with asyncio.timeout(RENEW_S):
            return await store.leases.take(name, holder, LEASE_S)
    except (StoreError, TimeoutError) as exc:
        log.warning("%s: could not take or renew the lease %s: %s", holder, name, exc or "timed out")
        return False


async def run_exclusively(store: Store, name: str, holder: str, job: Callable[[], Awaitable[None]]) -> None:
    """Run `job` (a coroutine that runs until cancelled) only while this instance holds the
    lease `name`; forever, until cancelled (then the lease is given up for a quick takeover)."""
    try:
        while True:
            if not await _take(store, name, holder):
                await asyncio.sleep(RENEW_S)
                continue
            log.info("%s runs %s", holder, name)
            await _while_held(store, name, holder, job)
            await asyncio.sleep(RENEW_S)
    finally:
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(store.leases.give_up(name, holder)), 1.0)


async def _while_held(store: Store, name: str, holder: str, job: Callable[[], Awaitable[None]]) -> None:
    """Run the job, renewing the lease; stop it as soon as the lease may no longer be ours."""
    task = asyncio.create_task(job(), name=name)
    renewed = time.monotonic()
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=RENEW_S)
            if done:
                if not task.cancelled() and task.exception() is not None:
                    log.error("%s stopped with an error", name, exc_info=task.exception())
                return
            if await _take(store, name, holder):
                renewed = time.monotonic()
            elif time.monotonic() - renewed > LEASE_S - RENEW_S:
                log.warning("%s lost the lease %s; stopping it here", holder, name)
                return
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
