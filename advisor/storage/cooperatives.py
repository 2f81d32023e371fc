"""Cooperative profiles and their self-assessments (an append-only log of answers)."""

from __future__ import annotations

import json
import secrets
from typing import Any

from advisor.records import Assessment, Coop
from advisor.storage.db import Repository, now


class Cooperatives(Repository):
    async def create(self, user_id: int, name: str, province: str, sector: str, members: int) -> Coop:
        """A new cooperative profile, with its creator as its first member."""
        stamp = now()
        async with self.db.transaction() as tx:
            coop = Coop(
                **await tx.first(
                    "INSERT INTO cooperatives (name, province, sector, members, invite_code, created_by, "
                    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                    (name, province, sector, members, secrets.token_urlsafe(6), user_id, stamp, stamp),
                )
            )
            await tx.write("UPDATE users SET coop_id = ? WHERE id = ?", (coop.id, user_id))
        return coop

    async def update(self, coop_id: int, **changes: str | int) -> None:
        allowed = {"name", "province", "sector", "members"}
        if not changes or not changes.keys() <= allowed:
            raise ValueError(f"can only change {sorted(allowed)}")
        columns = ", ".join(f"{key} = ?" for key in changes)
        await self.db.write(
            f"UPDATE cooperatives SET {columns}, updated_at = ? WHERE id = ?",
            (*changes.values(), now(), coop_id),
        )

    async def get(self, coop_id: int) -> Coop | None:
        row = await self.db.first("SELECT * FROM cooperatives WHERE id = ?", (coop_id,))
        return Coop(**row) if row else None

    async def of_user(self, user_id: int) -> Coop | None:
        """The cooperative the user belongs to, if any."""
        row = await self.db.first(
            "SELECT c.* FROM cooperatives c JOIN users u ON u.coop_id = c.id WHERE u.id = ?",
            (user_id,),
        )
        return Coop(**row) if row else None

    async def join(self, user_id: int, invite_code: str) -> Coop | None:
        """Link a user to the cooperative whose invite code this is; None if there is none."""
        row = await self.db.first("SELECT * FROM cooperatives WHERE invite_code = ?", (invite_code,))
        if row is None:
            return None
        await self.db.write("UPDATE users SET coop_id = ? WHERE id = ?", (row["id"], user_id))
        return Coop(**row)


def _assessment(row: dict[str, Any]) -> Assessment:
    """A row to a record: the pillar scores are stored as JSON text."""
    scores = json.loads(row.pop("pillar_scores") or "{}")
    return Assessment(**row, pillar_scores=scores)


class Assessments(Repository):
    async def open_of(self, user_id: int) -> Assessment | None:
        """The user's unfinished assessment, if any (there is at most one)."""
        row = await self.db.first(
            "SELECT * FROM assessments WHERE user_id = ? AND status = 'open'", (user_id,)
        )
        return _assessment(row) if row else None

    async def start(self, user_id: int, coop_id: int, version: str, first_question: str) -> Assessment:
        """A new assessment; an open one of the same user is abandoned (its answers stay)."""
        async with self.db.transaction() as tx:
            await tx.serialize(f"assessment:{user_id}")  # two starts at once: one after the other
            await tx.write(
                "UPDATE assessments SET status = 'abandoned' WHERE user_id = ? AND status = 'open'",
                (user_id,),
            )
            return _assessment(
                await tx.first(
                    "INSERT INTO assessments (coop_id, user_id, version, status, current_question, started_at) "
                    "VALUES (?, ?, ?, 'open', ?, ?) RETURNING *",
                    (coop_id, user_id, version, first_question, now()),
                )
            )

    async def record_answer(
        self,
        assessment: Assessment,
        question_id: str,
        option: int,
        score: int,
        next_question: str | None,
    ) -> bool:
        """Log an answer and move on, only if `question_id` is still the current question.

        A double tap or a button from an earlier question changes nothing and returns False,
        so no answer is ever logged twice and no question is skipped.
        """
        async with self.db.transaction() as tx:
            moved = await tx.write(
                "UPDATE assessments SET current_question = ? "
                "WHERE id = ? AND status = 'open' AND current_question = ?",
                (next_question, assessment.id, question_id),
            )
            if moved != 1:
                return False
            inserted = await tx.first(
                "INSERT INTO answers (assessment_id, coop_id, question_id, option, score, answered_at) "
                "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (assessment.id, assessment.coop_id, question_id, option, score, now()),
            )
            if assessment.user_id is not None:  # who entered it: erasable, unlike the answer
                await tx.write(
                    "INSERT INTO answer_authors (answer_id, user_id) VALUES (?, ?)",
                    (inserted["id"], assessment.user_id),
                )
        return True

    async def move_to(self, assessment_id: int, from_question: str | None, to_question: str) -> bool:
        """Back: make an earlier question current again, if `from_question` is still current."""
        changed = await self.db.write(
            "UPDATE assessments SET current_question = ? "
            "WHERE id = ? AND status = 'open' AND current_question IS NOT DISTINCT FROM ?",
            (to_question, assessment_id, from_question),
        )
        return changed == 1

    async def abandon(self, assessment_id: int) -> None:
        """Close an open assessment without a result; its logged answers stay."""
        await self.db.write(
            "UPDATE assessments SET status = 'abandoned' WHERE id = ? AND status = 'open'",
            (assessment_id,),
        )

    async def answers(self, assessment_id: int) -> dict[str, int]:
        """The latest answer to each question (Back and re-answer append a newer row)."""
        rows = await self.db.all(
            "SELECT question_id, option FROM answers WHERE assessment_id = ? ORDER BY id",
            (assessment_id,),
        )
        return {row["question_id"]: row["option"] for row in rows}

    async def finish(
        self,
        assessment_id: int,
        overall: float,
        level: int,
        level_name: str,
        pillar_scores: dict[str, float],
    ) -> bool:
        """Store the result with the assessment; False if it was already finished."""
        changed = await self.db.write(
            "UPDATE assessments SET status = 'done', finished_at = ?, overall = ?, level = ?, level_name = ?, "
            "pillar_scores = ? WHERE id = ? AND status = 'open' AND current_question IS NULL",
            (now(), overall, level, level_name, json.dumps(pillar_scores), assessment_id),
        )
        return changed == 1

    async def get(self, assessment_id: int) -> Assessment | None:
        row = await self.db.first("SELECT * FROM assessments WHERE id = ?", (assessment_id,))
        return _assessment(row) if row else None

    async def history(self, coop_id: int, limit: int = 20) -> list[Assessment]:
        """Finished assessments of a cooperative, newest first."""
        rows = await self.db.all(
            "SELECT * FROM assessments WHERE coop_id = ? AND status = 'done' ORDER BY finished_at DESC, id DESC "
            "LIMIT ?",
            (coop_id, limit),
        )
        return [_assessment(row) for row in rows]
