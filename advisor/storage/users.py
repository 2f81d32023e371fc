"""Users (who has talked to the bot, their language, subscription) and their open flows."""

from __future__ import annotations

import json
from typing import Any

from advisor.records import User
from advisor.storage.db import Repository, now


class Users(Repository):
    async def touch(self, user_id: int, chat_id: int, language: str, username: str | None = None) -> User:
        """Record that a user was seen; creates them on first contact with `language`."""
        stamp = now()
        async with self.db.transaction() as tx:
            inserted = await tx.write(
                "INSERT INTO users (id, chat_id, language, first_seen, last_seen) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                (user_id, chat_id, language, stamp, stamp),
            )
            row = await tx.first(
                "UPDATE users SET chat_id = ?, last_seen = ?, blocked_at = NULL, "
                "username = coalesce(?, username) WHERE id = ? RETURNING *",
                (chat_id, stamp, username, user_id),
            )
        return User(**row, is_new=inserted == 1)

    async def seen(self, user_id: int, chat_id: int, username: str | None = None) -> None:
        """A known user's visit (written behind the reply); never recreates an erased row."""
        await self.db.write(
            "UPDATE users SET chat_id = ?, last_seen = ?, blocked_at = NULL, username = coalesce(?, username) "
            "WHERE id = ?",
            (chat_id, now(), username, user_id),
        )

    async def get(self, user_id: int) -> User | None:
        row = await self.db.first("SELECT * FROM users WHERE id = ?", (user_id,))
        return User(**row) if row else None

    async def by_username(self, username: str) -> User | None:
        row = await self.db.first(
            f"SELECT * FROM users WHERE {self.db.nocase_equals('username')}", (username.lstrip("@"),)
        )
        return User(**row) if row else None

    async def set_language(self, user_id: int, language: str) -> None:
        await self.db.write("UPDATE users SET language = ? WHERE id = ?", (language, user_id))

    async def set_subscribed(self, user_id: int, subscribed: bool) -> None:
        await self.db.write("UPDATE users SET subscribed = ? WHERE id = ?", (int(subscribed), user_id))

    async def set_share_name(self, user_id: int, share: bool) -> None:
        await self.db.write("UPDATE users SET share_name = ? WHERE id = ?", (int(share), user_id))

    async def mark_blocked(self, chat_id: int, blocked: bool = True) -> None:
        """Telegram said 403 (the user blocked the bot), or they came back."""
        await self.db.write(
            "UPDATE users SET blocked_at = ? WHERE chat_id = ?",
            (now() if blocked else None, chat_id),
        )


class Flows(Repository):
    """Multi-step flows (registration, broadcast drafts), kept so they survive restarts."""

    async def get(self, user_id: int) -> tuple[str, dict[str, Any]] | None:
        """The user's open flow as (kind, state), if any."""
        row = await self.db.first("SELECT kind, state FROM flows WHERE user_id = ?", (user_id,))
        return (row["kind"], json.loads(row["state"])) if row else None

    async def set(self, user_id: int, kind: str, state: dict[str, Any]) -> None:
        await self.db.write(
            "INSERT INTO flows (user_id, kind, state, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET kind = excluded.kind, state = excluded.state, "
            "updated_at = excluded.updated_at",
            (user_id, kind, json.dumps(state, ensure_ascii=False), now()),
        )

    async def end(self, user_id: int) -> bool:
        """Drop the user's flow; False if there was none."""
        return await self.db.write("DELETE FROM flows WHERE user_id = ?", (user_id,)) == 1
