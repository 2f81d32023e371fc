"""The questions members asked (with the bot's decision) and their votes on answers."""

from __future__ import annotations

from typing import Any

from advisor.storage.db import Repository, now


class Questions(Repository):
    async def log(
        self,
        user_id: int | None,
        text: str,
        normalised: str,
        decision: str,
        entry_id: str | None,
        score: float,
        kb_version: str,
    ) -> None:
        await self.db.write(
            "INSERT INTO questions "
            "(user_id, text, normalised, decision, entry_id, score, kb_version, asked_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (user_id, text, normalised, decision, entry_id, score, kb_version, now()),
        )

    async def last_of(self, user_id: int) -> str | None:
        """The person's latest question (what "📨 Gửi câu hỏi cho cán bộ" sends after a restart)."""
        row = await self.db.first(
            "SELECT text FROM questions WHERE user_id = ? AND decision != 'flood' ORDER BY id DESC LIMIT 1",
            (user_id,),
        )
        return row["text"] if row else None

    async def declined(self, limit: int = 2000) -> list[dict[str, Any]]:
        """Recent questions the bot declined or only suggested for: the curators' to-do list."""
        return await self.db.all(
            "SELECT text, normalised, decision, entry_id, score, asked_at FROM questions "
            "WHERE decision IN ('decline', 'suggest') ORDER BY id DESC LIMIT ?",
            (limit,),
        )


class Feedback(Repository):
    async def vote(self, user_id: int | None, entry_id: str, vote: int) -> bool:
        """Record 👍 (+1) or 👎 (-1); a user's later vote on the same entry replaces the earlier.
        Without consent (`user_id` None) the vote is kept unlinked: it counts, nobody is named.

        Returns False when the vote was already the same (a double tap), True otherwise.
        """
        changed = await self.db.write(
            "INSERT INTO feedback (user_id, entry_id, vote, voted_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (user_id, entry_id) DO UPDATE SET vote = excluded.vote, voted_at = excluded.voted_at "
            "WHERE feedback.vote != excluded.vote",
            (user_id, entry_id, vote, now()),
        )
        return changed == 1

    async def disliked(self) -> list[dict[str, Any]]:
        """Entries with at least one 👎, most disliked first."""
        return await self.db.all(
            "SELECT entry_id, count(*) FILTER (WHERE vote = -1) AS down, count(*) FILTER (WHERE vote = 1) AS up "
            "FROM feedback GROUP BY entry_id HAVING count(*) FILTER (WHERE vote = -1) > 0 "
            "ORDER BY down DESC, entry_id"
        )
