"""Personal data: the consent history, everything kept about one person (/mydata), its
erasure (/forget) and the retention purge. SQL only; the rules are in `advisor.privacy`.

Erasure keeps the assessment log append-only: an answer never names its author; the
`answer_authors` row that does is deleted and an `erasures` row (append-only, without the
person) records that the cooperative's answers lost their author. Answers themselves are
deleted only with their whole cooperative, after an erasure record saying so.
"""

from __future__ import annotations

import json
from typing import Any

from advisor.records import CONSENT_DECISIONS, Consent, Coop, Erasure
from advisor.storage.db import Repository, now


class Consents(Repository):
    async def record(self, user_id: int, version: str, decision: str) -> None:
        """Add a decision to the person's history (never overwritten)."""
        if decision not in CONSENT_DECISIONS:
            raise ValueError(decision)
        await self.db.write(
            "INSERT INTO consents (user_id, version, decision, at) VALUES (?, ?, ?, ?)",
            (user_id, version, decision, now()),
        )

    async def latest(self, user_id: int) -> Consent | None:
        row = await self.db.first(
            "SELECT user_id, version, decision, at FROM consents WHERE user_id = ? ORDER BY id DESC LIMIT 1",
            (user_id,),
        )
        return Consent(**row) if row else None

    async def history(self, user_id: int) -> list[Consent]:
        rows = await self.db.all(
            "SELECT user_id, version, decision, at FROM consents WHERE user_id = ? ORDER BY id", (user_id,)
        )
        return [Consent(**row) for row in rows]


PERSONAL_QUERIES: dict[str, str] = {
    "user": "SELECT id, username, language, first_seen, last_seen, subscribed, blocked_at FROM users WHERE id = ?",
    "role": "SELECT role, province, granted_at FROM grants WHERE user_id = ?",
    "consents": "SELECT version, decision, at FROM consents WHERE user_id = ? ORDER BY id",
    "questions": "SELECT asked_at, text, decision, entry_id FROM questions WHERE user_id = ? ORDER BY id",
    "feedback": "SELECT entry_id, vote, voted_at FROM feedback WHERE user_id = ? ORDER BY voted_at",
    "assessments": "SELECT id, coop_id, version, status, started_at, finished_at, overall, level, level_name "
    "FROM assessments WHERE user_id = ? ORDER BY id",
    "answers": "SELECT n.assessment_id, n.question_id, n.option, n.score, n.answered_at FROM answer_authors w "
    "JOIN answers n ON n.id = w.answer_id WHERE w.user_id = ? ORDER BY n.id",
    "questions_to_officers": "SELECT * FROM handoffs WHERE user_id = ? ORDER BY id",
    "notices_received": "SELECT d.broadcast_id, b.text, d.status, d.updated_at FROM deliveries d "
    "JOIN broadcasts b ON b.id = d.broadcast_id WHERE d.user_id = ? ORDER BY d.broadcast_id",
    "open_step": "SELECT kind, updated_at FROM flows WHERE user_id = ?",
}
"""What /mydata gathers, by section: every table that can hold a person's id."""

SINGLE = ("user", "role", "open_step")


class PersonalData(Repository):
    async def of(self, user_id: int) -> dict[str, Any]:
        """Everything stored about one person, by section (a record or a list of records)."""
        data: dict[str, Any] = {}
        for section, sql in PERSONAL_QUERIES.items():
            rows = await self.db.all(sql, (user_id,))
            data[section] = (rows[0] if rows else None) if section in SINGLE else rows
        coop = await self.db.first(
            "SELECT c.id, c.name, c.province, c.sector, c.members, c.created_at, CASE WHEN c.created_by = u.id THEN 1 ELSE 0 END AS created_by_you, "
            "(SELECT count(*) FROM users m WHERE m.coop_id = c.id) AS people "
            "FROM cooperatives c JOIN users u ON u.coop_id = c.id WHERE u.id = ?",
            (user_id,),
        )
        data["cooperative"] = coop
        return data

    async def sole_coop(self, user_id: int) -> Coop | None:
        """The person's cooperative profile if nobody else belongs to it."""
        row = await self.db.first(
            "SELECT c.* FROM cooperatives c JOIN users u ON u.coop_id = c.id WHERE u.id = ? "
            "AND (SELECT count(*) FROM users m WHERE m.coop_id = c.id) = 1",
            (user_id,),
        )
        return Coop(**row) if row else None

    async def erase(self, user_id: int, delete_coop: bool = False) -> Erasure:
        """Delete or irreversibly unlink everything about the person, in one transaction.
        `delete_coop`: also delete their cooperative's profile and its assessments, only if
        they are its only member. The audit log gets the counts, not the person."""
        stamp = now()
        async with self.db.transaction() as tx:

            async def run(sql: str, params: tuple = (user_id,)) -> int:
                return await tx.write(sql, params)

            coop_id = None
            if delete_coop:
                sole = await tx.first(
                    "SELECT u.coop_id FROM users u WHERE u.id = ? AND u.coop_id IS NOT NULL "
                    "AND (SELECT count(*) FROM users m WHERE m.coop_id = u.coop_id) = 1",
                    (user_id,),
                )
                coop_id = sole["coop_id"] if sole else None
            authored = await tx.all(
                "SELECT n.coop_id, count(*) AS answers FROM answer_authors w JOIN answers n ON n.id = w.answer_id "
                "WHERE w.user_id = ? GROUP BY n.coop_id ORDER BY n.coop_id",
                (user_id,),
            )
            unlinked = await run("DELETE FROM answer_authors WHERE user_id = ?")
            for row in authored:
                await run(
                    "INSERT INTO erasures (at, coop_id, answers_unlinked) VALUES (?, ?, ?)",
                    (stamp, row["coop_id"], row["answers"]),
                )
            await run("UPDATE assessments SET status = 'abandoned' WHERE user_id = ? AND status = 'open'")
            assessments = await run("UPDATE assessments SET user_id = NULL WHERE user_id = ?")
            await run("UPDATE cooperatives SET created_by = NULL WHERE created_by = ?")
            if coop_id is not None:
                await run(
                    "INSERT INTO erasures (at, coop_id, coop_deleted) VALUES (?, ?, 1)", (stamp, coop_id)
                )
                await run(
                    "DELETE FROM answer_authors WHERE answer_id IN (SELECT id FROM answers WHERE coop_id = ?)",
                    (coop_id,),
                )
                await run("DELETE FROM answers WHERE coop_id = ?", (coop_id,))
                await run("DELETE FROM assessments WHERE coop_id = ?", (coop_id,))
                await run("UPDATE users SET coop_id = NULL WHERE coop_id = ?", (coop_id,))
                await run("DELETE FROM cooperatives WHERE id = ?", (coop_id,))
            questions = await run("DELETE FROM questions WHERE user_id = ?")
            for table in ("feedback", "handoffs", "deliveries", "flows", "consents", "grants", "users"):
                column = "id" if table == "users" else "user_id"
                await run(f"DELETE FROM {table} WHERE {column} = ?")
            await run("UPDATE handoffs SET claimed_by = NULL WHERE claimed_by = ?")
            erasure = Erasure(unlinked, assessments, questions, coop_id is not None)
            await run(
                "INSERT INTO audit (user_id, action, detail, at) VALUES (NULL, 'erasure', ?, ?)",
                (_counts(erasure), stamp),
            )
        return erasure

    async def unlink_questions(self, asked_before: str) -> int:
        """Retention: questions asked before a time keep their text and outcome, not who asked."""
        return await self.db.write(
            "UPDATE questions SET user_id = NULL WHERE user_id IS NOT NULL AND asked_at < ?", (asked_before,)
        )

    async def prune_deliveries(self, finished_before: str) -> int:
        """Retention: the delivery rows of broadcasts finished (or cancelled) before a time."""
        return await self.db.write(
            "DELETE FROM deliveries WHERE broadcast_id IN (SELECT id FROM broadcasts "
            "WHERE status IN ('done', 'cancelled') AND finished_at < ?)",
            (finished_before,),
        )


def _counts(erasure: Erasure) -> str:
    """The audit detail of an erasure: how much, never whose."""
    return json.dumps(
        {
            "answers_unlinked": erasure.answers_unlinked,
            "assessments_unlinked": erasure.assessments_unlinked,
            "questions_deleted": erasure.questions_deleted,
            "coop_deleted": erasure.coop_deleted,
        }
    )
