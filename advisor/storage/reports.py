"""The audit log, the figures behind /stats, and the tables admins and officers export."""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Any

from advisor.storage.db import Repository, now

WITHDRAWN = "(SELECT user_id FROM withdrawn)"
"""Users whose latest consent decision is a refusal or a withdrawal: exports leave them out."""


def _linked(column: str) -> str:
    """A user id column as exported: empty for a user who withdrew consent."""
    return f"CASE WHEN {column} IN {WITHDRAWN} THEN NULL ELSE {column} END"


EXPORTS: dict[str, str] = {
    "questions": f"SELECT id, {_linked('user_id')} AS user_id, asked_at, text, normalised, decision, entry_id, "
    "score, kb_version FROM questions ORDER BY id",
    "feedback": f"SELECT entry_id, {_linked('user_id')} AS user_id, vote, voted_at FROM feedback "
    "ORDER BY voted_at, id",
    "users": "SELECT u.id, u.language, coalesce(g.role, 'member') AS role, g.province AS officer_province, "
    "u.coop_id, u.subscribed, u.blocked_at, u.first_seen, u.last_seen "
    f"FROM users u LEFT JOIN grants g ON g.user_id = u.id WHERE u.id NOT IN {WITHDRAWN} ORDER BY u.id",
    "cooperatives": "SELECT c.id, c.name, c.province, c.sector, c.members, c.created_at, c.updated_at, "
    "(SELECT count(*) FROM users u WHERE u.coop_id = c.id) AS users, "
    "(SELECT count(*) FROM assessments a WHERE a.coop_id = c.id AND a.status = 'done') AS assessments "
    "FROM cooperatives c {where} ORDER BY c.id",
    "assessments": "SELECT n.id AS answer_id, n.assessment_id, n.coop_id, c.name AS cooperative, c.province, "
    "c.sector, w.user_id, a.version, a.status, n.question_id, n.option, n.score, n.answered_at "
    "FROM answers n JOIN assessments a ON a.id = n.assessment_id JOIN cooperatives c ON c.id = n.coop_id "
    f"LEFT JOIN answer_authors w ON w.answer_id = n.id AND w.user_id NOT IN {WITHDRAWN} "
    "{where} ORDER BY n.id",
    "results": "SELECT a.id AS assessment_id, a.coop_id, c.name AS cooperative, c.province, c.sector, "
    f"{_linked('a.user_id')} AS user_id, "
    "a.version, a.started_at, a.finished_at, a.overall, a.level, a.level_name, a.pillar_scores "
    "FROM assessments a JOIN cooperatives c ON c.id = a.coop_id {where} AND a.status = 'done' ORDER BY a.id",
    "deliveries": "SELECT d.broadcast_id, d.user_id, d.chat_id, d.status, d.attempts, d.message_id, d.error, "
    f"d.updated_at FROM deliveries d WHERE d.user_id NOT IN {WITHDRAWN} ORDER BY d.broadcast_id, d.user_id",
    "audit": "SELECT id, user_id, action, detail, at FROM audit ORDER BY id",
}
PROVINCE_SCOPED = ("cooperatives", "assessments", "results")


class AuditLog(Repository):
    async def record(self, user_id: int | None, action: str, detail: str = "") -> None:
        """Note who did what (grants, broadcasts, exports, reloads)."""
        await self.db.write(
            "INSERT INTO audit (user_id, action, detail, at) VALUES (?, ?, ?, ?)",
            (user_id, action, detail, now()),
        )


class Reports(Repository):
    async def stats(self, province: str | None = None) -> dict[str, Any]:
        """Counts for /stats; `province` limits every figure to that province: its cooperatives,
        their members, the questions they asked and the notices sent to them."""
        coop_filter, params = ("WHERE c.province = ?", [province]) if province else ("", [])
        members = "SELECT u.id FROM users u JOIN cooperatives c ON c.id = u.coop_id WHERE c.province = ?"
        of_user = f"AND user_id IN ({members})" if province else ""
        users = await self.db.first(
            "SELECT count(*) AS users, count(*) FILTER (WHERE subscribed = 1 AND blocked_at IS NULL) AS reachable, "
            "count(*) FILTER (WHERE blocked_at IS NOT NULL) AS blocked FROM users "
            + (f"WHERE id IN ({members})" if province else ""),
            params,
        )
        coops = await self.db.first(f"SELECT count(*) AS n FROM cooperatives c {coop_filter}", params)
        per_day = await self.db.all(
            "SELECT substr(asked_at, 1, 10) AS day, count(*) AS asked, count(*) FILTER (WHERE decision = 'answer') AS answered "
            f"FROM questions WHERE 1 = 1 {of_user} GROUP BY day ORDER BY day DESC LIMIT 7",
            params,
        )
        top = await self.db.all(
            f"SELECT entry_id, count(*) AS n FROM questions WHERE decision = 'answer' {of_user} "
            "GROUP BY entry_id ORDER BY n DESC, entry_id LIMIT 5",
            params,
        )
        latest = (
            "SELECT a.* FROM assessments a WHERE a.status = 'done' AND a.id = (SELECT b.id FROM assessments b "
            "WHERE b.coop_id = a.coop_id AND b.status = 'done' ORDER BY b.finished_at DESC, b.id DESC LIMIT 1)"
        )
        by_level = await self.db.all(
            f"SELECT l.level, min(l.level_name) AS level_name, count(*) AS n FROM ({latest}) l JOIN cooperatives c ON c.id = l.coop_id "
            f"{coop_filter} GROUP BY l.level ORDER BY l.level",
            params,
        )
        by_province = await self.db.all(
            "SELECT c.province, count(*) AS n, "
            "CAST(round(CAST(avg(l.overall) AS NUMERIC), 1) AS DOUBLE PRECISION) AS mean "
            f"FROM ({latest}) l "
            f"JOIN cooperatives c ON c.id = l.coop_id {coop_filter} GROUP BY c.province ORDER BY n DESC, c.province LIMIT 10",
            params,
        )
        deliveries = await self.db.all(
            f"SELECT status, count(*) AS n FROM deliveries WHERE 1 = 1 {of_user} GROUP BY status", params
        )
        return {
            "users": users["users"] or 0,
            "reachable": users["reachable"] or 0,
            "blocked": users["blocked"] or 0,
            "cooperatives": coops["n"],
            "per_day": per_day,
            "top_entries": top,
            "by_level": by_level,
            "by_province": by_province,
            "deliveries": {row["status"]: row["n"] for row in deliveries},
            "handoffs": await self.handoff_figures(province),
        }

    async def handoff_figures(self, province: str | None) -> list[dict[str, Any]]:
        """Members' questions to officers, per province: asked, answered, median hours to the
        answer, and the share rated 👍 among those rated."""
        where, params = ("WHERE province = ?", (province,)) if province else ("", ())
        rows = await self.db.all(
            f"SELECT province, status, asked_at, answered_at, rating FROM handoffs {where} ORDER BY id",
            params,
        )
        by_province: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_province.setdefault(row["province"] or "-", []).append(row)
        figures = []
        for name, items in sorted(by_province.items(), key=lambda kv: -len(kv[1])):
            answered = [r for r in items if r["status"] == "answered" and r["answered_at"]]
            hours = sorted(
                (
                    dt.datetime.fromisoformat(r["answered_at"]) - dt.datetime.fromisoformat(r["asked_at"])
                ).total_seconds()
                / 3600
                for r in answered
            )
            rated = [r["rating"] for r in answered if r["rating"] is not None]
            figures.append(
                {
                    "province": name,
                    "asked": len(items),
                    "answered": len(answered),
                    "median_hours": round(statistics.median(hours), 1) if hours else None,
                    "liked": round(100 * sum(v > 0 for v in rated) / len(rated)) if rated else None,
                }
            )
        return figures

    async def export(self, table: str, province: str | None = None) -> list[dict[str, Any]]:
        """Rows of an export; cooperative-based tables (and the per-province figures of questions
        to officers) can be limited to one province."""
        if table == "handoffs":
            return await self.handoff_figures(province)
        if table not in EXPORTS:
            raise KeyError(table)
        sql = EXPORTS[table]
        if table in PROVINCE_SCOPED:
            where = "WHERE c.province = ?" if province else "WHERE 1 = 1"
            return await self.db.all(sql.format(where=where), (province,) if province else ())
        if province:
            raise KeyError(f"{table} cannot be limited to a province")
        return await self.db.all(sql)
