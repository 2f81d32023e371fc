"""Members' questions handed to officers: one open question per member, claimed by one officer
at a time (an atomic update, so two officers never answer the same question unknowingly)."""

from __future__ import annotations

from advisor.records import Handoff
from advisor.storage.db import Repository, now

OPEN = ("open", "claimed")


class Handoffs(Repository):
    async def ask(
        self, user_id: int, chat_id: int, province: str | None, question: str, asker: str | None = None
    ) -> tuple[Handoff, bool]:
        """(the member's open question, whether it is new). A member has one open question at a
        time: asking again while one is waiting adds the new text to it."""
        async with self.db.transaction() as tx:
            await tx.serialize(f"handoff:{user_id}")  # the check below, then the insert, unraced
            row = await tx.first(
                "SELECT * FROM handoffs WHERE user_id = ? AND status IN ('open', 'claimed')", (user_id,)
            )
            if row is not None:
                merged = (
                    row["question"] if question in row["question"] else f"{row['question']}\n— {question}"
                )
                await tx.write("UPDATE handoffs SET question = ? WHERE id = ?", (merged, row["id"]))
                handoff_id, created = row["id"], False
            else:
                inserted = await tx.first(
                    "INSERT INTO handoffs (user_id, chat_id, province, question, status, asked_at, asker) "
                    "VALUES (?, ?, ?, ?, 'open', ?, ?) RETURNING id",
                    (user_id, chat_id, province, question, now(), asker),
                )
                handoff_id, created = inserted["id"], True
        return await self.get(handoff_id), created

    async def get(self, handoff_id: int) -> Handoff | None:
        row = await self.db.first("SELECT * FROM handoffs WHERE id = ?", (handoff_id,))
        return Handoff(**row) if row else None

    async def claim(self, handoff_id: int, officer_id: int, claimer: str) -> bool:
        """Take an open question to answer it; False if someone else already has it."""
        changed = await self.db.write(
            "UPDATE handoffs SET status = 'claimed', claimed_by = ?, claimer = ?, claimed_at = ? "
            "WHERE id = ? AND (status = 'open' OR (status = 'claimed' AND claimed_by = ?))",
            (officer_id, claimer, now(), handoff_id, officer_id),
        )
        return changed == 1

    async def release(self, handoff_id: int, officer_id: int) -> bool:
        """Give a claimed question back to the province's officers."""
        changed = await self.db.write(
            "UPDATE handoffs SET status = 'open', claimed_by = NULL, claimer = NULL, claimed_at = NULL "
            "WHERE id = ? AND status = 'claimed' AND claimed_by = ?",
            (handoff_id, officer_id),
        )
        return changed == 1

    async def answer(self, handoff_id: int, officer_id: int, html: str, typed: str, signed: str) -> bool:
        """Record the answer of the officer who claimed the question (the answer to the
        member's follow-up once there is one); False otherwise."""
        changed = await self.db.write(
            "UPDATE handoffs SET status = 'answered', signed = ?, "
            "answer = CASE WHEN follow_up IS NULL THEN ? ELSE answer END, "
            "answer_text = CASE WHEN follow_up IS NULL THEN ? ELSE answer_text END, "
            "answered_at = CASE WHEN follow_up IS NULL THEN ? ELSE answered_at END, "
            "follow_up_answer = CASE WHEN follow_up IS NULL THEN NULL ELSE ? END "
            "WHERE id = ? AND status = 'claimed' AND claimed_by = ?",
            (signed, html, typed, now(), html, handoff_id, officer_id),
        )
        return changed == 1

    async def follow_up(self, handoff_id: int, user_id: int, text: str) -> bool:
        """The member's one follow-up to an answer: back to the officer who answered."""
        changed = await self.db.write(
            "UPDATE handoffs SET follow_up = ?, status = 'claimed' "
            "WHERE id = ? AND user_id = ? AND status = 'answered' AND follow_up IS NULL",
            (text, handoff_id, user_id),
        )
        return changed == 1

    async def move(self, handoff_id: int, province: str) -> bool:
        """Send a waiting question to another province's officers (open again there; they are
        told at once, and reminders already sent are not repeated)."""
        changed = await self.db.write(
            "UPDATE handoffs SET moved_from = province, province = ?, status = 'open', claimed_by = NULL, "
            "claimer = NULL, claimed_at = NULL "
            "WHERE id = ? AND status IN ('open', 'claimed') AND follow_up IS NULL AND province IS DISTINCT FROM ?",
            (province, handoff_id, province),
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
        or escalated ("escalated_at"). A follow-up is not: it waits on the officer who answered."""
        if mark not in ("reminded_at", "escalated_at"):
            raise ValueError(mark)
        rows = await self.db.all(
            f"SELECT * FROM handoffs WHERE status IN ('open', 'claimed') AND asked_at < ? AND {mark} IS NULL "
            "AND follow_up IS NULL ORDER BY asked_at, id",
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

    async def mark_for_kb(self, handoff_id: int) -> bool:
        """An admin's "nên đưa vào kho kiến thức" on an answered question."""
        changed = await self.db.write(
            "UPDATE handoffs SET for_kb = 1 WHERE id = ? AND status = 'answered' AND for_kb = 0",
            (handoff_id,),
        )
        return changed == 1

    async def answered(self, only_for_kb: bool = False, limit: int = 200) -> list[Handoff]:
        """Answered questions, newest first (those marked for the knowledge base only, if asked)."""
        where = "AND for_kb = 1" if only_for_kb else ""
        rows = await self.db.all(
            f"SELECT * FROM handoffs WHERE status = 'answered' {where} ORDER BY answered_at DESC, id DESC LIMIT ?",
            (limit,),
        )
        return [Handoff(**row) for row in rows]

    async def of_user(self, user_id: int, limit: int = 10) -> list[Handoff]:
        rows = await self.db.all(
            "SELECT * FROM handoffs WHERE user_id = ? ORDER BY asked_at DESC, id DESC LIMIT ?",
            (user_id, limit),
        )
        return [Handoff(**row) for row in rows]
