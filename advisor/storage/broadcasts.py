"""Broadcasts with their recipient snapshot, and one delivery row per recipient.

The sender claims a row before sending and records the outcome after, so a crash leaves
rows 'sending', which the next start marks 'unknown' and never resends.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from advisor.records import DELIVERY_OUTCOMES, Audience, Broadcast, Delivery
from advisor.storage.db import Repository, now


def _audience_sql(audience: Audience) -> tuple[str, list[Any]]:
    """Recipients: subscribed users who have not blocked the bot nor withdrawn their consent,
    filtered by their cooperative."""
    sql = (
        "SELECT u.id AS user_id, u.chat_id FROM users u LEFT JOIN cooperatives c ON c.id = u.coop_id "
        "WHERE u.subscribed = 1 AND u.blocked_at IS NULL AND u.id NOT IN (SELECT user_id FROM withdrawn)"
    )
    params: list[Any] = []
    if audience.needs_coop:
        sql += " AND c.id IS NOT NULL"
    for column, values in (("c.province", audience.provinces), ("c.sector", audience.sectors)):
        if values:
            sql += f" AND {column} IN ({', '.join('?' * len(values))})"
            params.extend(sorted(values))
    if audience.province_scope:
        sql += " AND c.province = ?"
        params.append(audience.province_scope)
    latest_level = (
        "(SELECT a.level FROM assessments a WHERE a.coop_id = c.id AND a.status = 'done' "
        "ORDER BY a.finished_at DESC, a.id DESC LIMIT 1)"
    )
    if audience.levels and audience.not_assessed:
        sql += f" AND ({latest_level} IN ({', '.join('?' * len(audience.levels))}) OR {latest_level} IS NULL)"
        params.extend(sorted(audience.levels))
    elif audience.levels:
        sql += f" AND {latest_level} IN ({', '.join('?' * len(audience.levels))})"
        params.extend(sorted(audience.levels))
    elif audience.not_assessed:
        sql += f" AND {latest_level} IS NULL"
    return sql + " ORDER BY u.id", params


class Broadcasts(Repository):
    async def recipients(self, audience: Audience) -> list[dict[str, int]]:
        """Who the audience reaches right now: rows of user_id and chat_id."""
        return await self.db.all(*_audience_sql(audience))

    async def create(
        self,
        author_id: int,
        author_chat: int,
        text: str,
        html: str,
        audience: Audience,
        send_at: str | None,
    ) -> tuple[Broadcast, int]:
        """The broadcast, its recipient snapshot and one delivery row each, in one transaction."""
        sql, params = _audience_sql(audience)
        stamp = now()
        async with self.db.transaction() as tx:
            row = await tx.first(
                "INSERT INTO broadcasts (author_id, author_chat, text, html, audience, status, created_at, send_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                (
                    author_id,
                    author_chat,
                    text,
                    html,
                    audience.to_json(),
                    "scheduled" if send_at else "sending",
                    stamp,
                    send_at or stamp,
                ),
            )
            broadcast = Broadcast(**row)
            count = await tx.write(
                "INSERT INTO deliveries (broadcast_id, user_id, chat_id) "
                f"SELECT CAST(? AS BIGINT), user_id, chat_id FROM ({sql}) AS recipients",
                (broadcast.id, *params),
            )
        return broadcast, count

    async def get(self, broadcast_id: int) -> Broadcast | None:
        row = await self.db.first("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
        return Broadcast(**row) if row else None

    async def recent(self, limit: int = 10, author_id: int | None = None) -> list[Broadcast]:
        """The newest broadcasts, of one author if given."""
        where, params = ("WHERE author_id = ?", [author_id]) if author_id is not None else ("", [])
        rows = await self.db.all(
            f"SELECT * FROM broadcasts {where} ORDER BY id DESC LIMIT ?", (*params, limit)
        )
        return [Broadcast(**row) for row in rows]

    async def due(self, at: str) -> list[Broadcast]:
        """Broadcasts to work on now: sending ones, and scheduled ones whose time has come."""
        rows = await self.db.all(
            "SELECT * FROM broadcasts WHERE status = 'sending' OR (status = 'scheduled' AND send_at <= ?) "
            "ORDER BY id",
            (at,),
        )
        return [Broadcast(**row) for row in rows]

    async def set_status(self, broadcast_id: int, status: str) -> None:
        finished = now() if status in ("done", "cancelled") else None
        await self.db.write(
            "UPDATE broadcasts SET status = ?, finished_at = ? WHERE id = ?",
            (status, finished, broadcast_id),
        )

    async def set_progress_message(self, broadcast_id: int, message_id: int) -> None:
        await self.db.write(
            "UPDATE broadcasts SET progress_message_id = ? WHERE id = ?", (message_id, broadcast_id)
        )

    async def cancel(self, broadcast_id: int) -> bool:
        """Stop a scheduled or running broadcast: its pending rows are never sent."""
        async with self.db.transaction() as tx:
            cancelled = await tx.write(
                "UPDATE broadcasts SET status = 'cancelled', finished_at = ? "
                "WHERE id = ? AND status IN ('scheduled', 'sending')",
                (now(), broadcast_id),
            )
            if cancelled != 1:
                return False
            await tx.write(
                "UPDATE deliveries SET status = 'cancelled', updated_at = ? "
                "WHERE broadcast_id = ? AND status = 'pending'",
                (now(), broadcast_id),
            )
        return True


class Deliveries(Repository):
    async def recover(self) -> int:
        """At start: rows left 'sending' by a crash may have reached Telegram, so never resend them."""
        return await self.db.write(
            "UPDATE deliveries SET status = 'unknown', error = 'interrupted while sending', updated_at = ? "
            "WHERE status = 'sending'",
            (now(),),
        )

    async def claim(self, broadcast_id: int, exclude_chats: Sequence[int] = ()) -> Delivery | None:
        """Mark the next pending row 'sending' before it is sent (so a crash never resends it).

        Rows go in the order they were made (by user id); a row another instance is claiming
        at the same moment is skipped, not waited for (`skip_locked`)."""
        skip = f"AND chat_id NOT IN ({', '.join('?' * len(exclude_chats))})" if exclude_chats else ""
        async with self.db.transaction() as tx:
            row = await tx.first(
                "UPDATE deliveries SET status = 'sending', attempts = attempts + 1, updated_at = ? "
                "WHERE broadcast_id = ? AND status = 'pending' AND user_id = (SELECT user_id FROM deliveries "
                f"WHERE broadcast_id = ? AND status = 'pending' {skip} ORDER BY user_id LIMIT 1{self.db.skip_locked}) "
                "RETURNING *",
                (now(), broadcast_id, broadcast_id, *exclude_chats),
            )
        return Delivery(**row) if row else None

    async def release(self, delivery: Delivery) -> None:
        """Telegram said 429: put the row back as pending without counting the attempt."""
        await self.db.write(
            "UPDATE deliveries SET status = 'pending', attempts = attempts - 1, updated_at = ? "
            "WHERE broadcast_id = ? AND user_id = ? AND status = 'sending'",
            (now(), delivery.broadcast_id, delivery.user_id),
        )

    async def finish(
        self,
        delivery: Delivery,
        status: str,
        message_id: int | None = None,
        error: str | None = None,
    ) -> None:
        """Record what happened to one row; a 403 also unsubscribes and marks the user blocked."""
        if status not in DELIVERY_OUTCOMES:
            raise ValueError(status)
        async with self.db.transaction() as tx:
            await tx.write(
                "UPDATE deliveries SET status = ?, message_id = ?, error = ?, updated_at = ? "
                "WHERE broadcast_id = ? AND user_id = ?",
                (status, message_id, error, now(), delivery.broadcast_id, delivery.user_id),
            )
            if status == "blocked":
                await tx.write(
                    "UPDATE users SET subscribed = 0, blocked_at = ? WHERE id = ?",
                    (now(), delivery.user_id),
                )

    async def counts(self, broadcast_id: int) -> dict[str, int]:
        """How many rows of a broadcast are in each status."""
        rows = await self.db.all(
            "SELECT status, count(*) AS n FROM deliveries WHERE broadcast_id = ? GROUP BY status",
            (broadcast_id,),
        )
        return {row["status"]: row["n"] for row in rows}
