"""Roles granted at run time (officer with a province, admin), on top of the configured ones."""

from __future__ import annotations

from advisor.records import Grant
from advisor.storage.db import Repository, now


class Grants(Repository):
    async def grant(self, user_id: int, role: str, province: str | None, by: int) -> None:
        """Give a role, replacing any earlier grant of the same user."""
        await self.db.write(
            "INSERT INTO grants (user_id, role, province, granted_by, granted_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET role = excluded.role, province = excluded.province, "
            "granted_by = excluded.granted_by, granted_at = excluded.granted_at",
            (user_id, role, province, by, now()),
        )

    async def revoke(self, user_id: int) -> bool:
        """Take a granted role away; False if the user had none."""
        return await self.db.write("DELETE FROM grants WHERE user_id = ?", (user_id,)) == 1

    async def of(self, user_id: int) -> Grant | None:
        row = await self.db.first("SELECT * FROM grants WHERE user_id = ?", (user_id,))
        return Grant(**row) if row else None

    async def all(self) -> list[Grant]:
        rows = await self.db.all("SELECT * FROM grants ORDER BY user_id")
        return [Grant(**row) for row in rows]
