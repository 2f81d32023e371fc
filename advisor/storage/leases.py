"""Leases: a named right to run a background job, held by one bot instance until it expires.

Taking a lease is one atomic upsert: it succeeds when nobody holds the name, when the
holder's lease has expired, or when the caller already holds it (a renewal). Times are
ISO text like everywhere else, compared as text (same format, so the order is the time's).
"""

from __future__ import annotations

import datetime as dt

from advisor.storage.db import Repository


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


class Leases(Repository):
    async def take(self, name: str, holder: str, seconds: float, now: dt.datetime | None = None) -> bool:
        """Take or renew the lease for `seconds`; False while another holder's is current."""
        now = now or dt.datetime.now(dt.UTC)
        until = now + dt.timedelta(seconds=seconds)
        changed = await self.db.write(
            "INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at "
            "WHERE leases.holder = excluded.holder OR leases.expires_at < ?",
            (name, holder, _iso(until), _iso(now)),
        )
        return changed == 1

    async def give_up(self, name: str, holder: str) -> None:
        """Let another instance take over at once (a clean stop)."""
        await self.db.write("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))

    async def holder(self, name: str, now: dt.datetime | None = None) -> str | None:
        """Who holds the lease now, if anyone (for /health and the logs)."""
        row = await self.db.first(
            "SELECT holder FROM leases WHERE name = ? AND expires_at >= ?",
            (name, _iso(now or dt.datetime.now(dt.UTC))),
        )
        return row["holder"] if row else None
