"""Members' questions handed to officers: one open question per member, claimed by one officer
at a time (an atomic update, so two officers never answer the same question unknowingly)."""

from __future__ import annotations

from advisor.records import Handoff
from advisor.storage.db import Repository, now

OPEN = ("open", "claimed")


class Handoffs(Repository):
    async def ask(
        self, user_id: int, chat_id: int, province: str | None, question: str
    ) -> tuple[Handoff, bool]:
        """(the member's open question, whether it is new). A member has one open question at a
        time: asking again while one is waiting adds the new text to it."""
        async with self.db.transaction() as db:
            async with db.execute(
                "SELECT * FROM handoffs WHERE user_id = ? AND status IN ('open', 'claimed')", (user_id,)
            ) as cursor:
                row = await cursor.fetchone()
            if row is not None:
                merged = (
                    row["question"] if question in row["question"] else f"{row['question']}\n— {question}"
                )
                await db.execute("UPDATE handoffs SET question = ? WHERE id = ?", (merged, row["id"]))
                handoff_id, created = row["id"], False
            else:
                async with db.execute(
                    "INSERT INTO handoffs (user_id, chat_id, province, question, status, asked_at) "
                    "VALUES (?, ?, ?, ?, 'open', ?) RETURNING id",
                    (user_id, chat_id, province, question, now()),
                ) as cursor:
                    handoff_id, created = (await cursor.fetchone())[0], True
        return await self.get(handoff_id), created

    async def get(self, handoff_id: int) -> Handoff | None:
        row = await self.db.first("SELECT * FROM handoffs WHERE id = ?", (handoff_id,))
        return Handoff(**row) if row else None

    async def claim(self, handoff_id: int, officer_id: int) -> bool:
        """Take an open question to answer it; False if someone else already has it."""
        changed = await self.db.write(
            "UPDATE handoffs SET status = 'claimed', claimed_by = ?, claimed_at = ? "
            "WHERE id = ? AND (status = 'open' OR (status = 'claimed' AND claimed_by = ?))",
            (officer_id, now(), handoff_id, officer_id),
        )
        return changed == 1

    async def release(self, handoff_id: int, officer_id: int) -> bool:
        changed = await self.db.write(
            "UPDATE handoffs SET status = 'open', claimed_by = NULL, claimed_at = NULL "
            "WHERE id = ? AND status = 'claimed' AND claimed_by = ?",
            (handoff_id, officer_id),
        )
        return changed == 1

    async def answer(self, handoff_id: int, officer_id: int, html: str) -> bool:
        """Record the answer of the officer who claimed the question; False otherwise."""
        changed = await self.db.write(
            "UPDATE handoffs SET status = 'answered', answer = ?, answered_at = ? "
            "WHERE id = ? AND status = 'claimed' AND claimed_by = ?",
            (html, now(), handoff_id, officer_id),
        )
        return changed == 1

    async def out_of_scope(self, handoff_id: int) -> bool:
        changed = await self.db.write(
            "UPDATE handoffs SET status = 'out_of_scope', answered_at = ? WHERE id = ? AND status IN ('open', 'claimed')",
            (now(), handoff_id),
        )
        return changed == 1

    async def rate(self, handoff_id: int, user_id: int, vote: int) -> bool:
        changed = await self.db.write(
            "UPDATE handoffs SET rating = ? WHERE id = ? AND user_id = ? AND status = 'answered'",
            (vote, handoff_id, user_id),
        )
        return changed == 1

    async def waiting(self, province: str | None) -> list[Handoff]:
        """Open and claimed questions, oldest first; of one province, or all (`None`)."""
        where, params = ("AND province = ?", (province,)) if province else ("", ())
        rows = await self.db.all(
            f"SELECT * FROM handoffs WHERE status IN ('open', 'claimed') {where} ORDER BY asked_at, id LIMIT 20",
            params,
        )
        return [Handoff(**row) for row in rows]

    async def overdue(self, asked_before: str, mark: str) -> list[Handoff]:
        """Waiting questions asked before a time and not yet reminded (`mark` "reminded_at")
        or escalated ("escalated_at")."""
        if mark not in ("reminded_at", "escalated_at"):
            raise ValueError(mark)
        rows = await self.db.all(
            f"SELECT * FROM handoffs WHERE status IN ('open', 'claimed') AND asked_at < ? AND {mark} IS NULL "
            "ORDER BY asked_at",
            (asked_before,),
        )
        return [Handoff(**row) for row in rows]

    async def mark(self, handoff_id: int, mark: str) -> bool:
        """Note a reminder or escalation once; False if it was already noted (another instance)."""
        if mark not in ("reminded_at", "escalated_at"):
            raise ValueError(mark)
        changed = await self.db.write(
            f"UPDATE handoffs SET {mark} = ? WHERE id = ? AND {mark} IS NULL", (now(), handoff_id)
        )
        return changed == 1

    async def of_user(self, user_id: int, limit: int = 10) -> list[Handoff]:
        rows = await self.db.all(
            "SELECT * FROM handoffs WHERE user_id = ? ORDER BY asked_at DESC, id DESC LIMIT ?",
            (user_id, limit),
        )
        return [Handoff(**row) for row in rows]
