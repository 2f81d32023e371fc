"""The knowledge's history: every applied version with its files (a zip in the database, so a
backup of the database is a backup of every version), and the previews waiting to be applied."""

from __future__ import annotations

import json
from typing import Any

from advisor.records import KnowledgeProposal, KnowledgeVersion
from advisor.storage.db import Repository, Transaction, now

_VERSION = "id, content_hash, author_id, origin, summary, created_at"
_PROPOSAL = (
    "id, user_id, base_hash, content_hash, origin, summary, status, created_at, decided_at, version_id"
)


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "summary": json.loads(row["summary"] or "{}")}


class KnowledgeVersions(Repository):
    # --- versions ------------------------------------------------------------------------------

    async def add(
        self, content_hash: str, author_id: int | None, origin: str, summary: dict, files: bytes
    ) -> int:
        """Keep a version; returns its number."""
        async with self.db.transaction() as tx:
            return await _insert_version(tx, content_hash, author_id, origin, summary, files)

    async def get(self, version_id: int) -> KnowledgeVersion | None:
        row = await self.db.first(f"SELECT {_VERSION} FROM kb_versions WHERE id = ?", (version_id,))
        return KnowledgeVersion(**_summary(row)) if row else None

    async def with_hash(self, content_hash: str) -> KnowledgeVersion | None:
        """The newest version with exactly these files."""
        row = await self.db.first(
            f"SELECT {_VERSION} FROM kb_versions WHERE content_hash = ? ORDER BY id DESC LIMIT 1",
            (content_hash,),
        )
        return KnowledgeVersion(**_summary(row)) if row else None

    async def recent(self, limit: int = 10) -> list[KnowledgeVersion]:
        rows = await self.db.all(f"SELECT {_VERSION} FROM kb_versions ORDER BY id DESC LIMIT ?", (limit,))
        return [KnowledgeVersion(**_summary(row)) for row in rows]

    async def files(self, version_id: int) -> bytes | None:
        """The version's files as the zip they were kept in."""
        row = await self.db.first("SELECT files FROM kb_versions WHERE id = ?", (version_id,))
        return bytes(row["files"]) if row else None

    # --- previews waiting for "Áp dụng" -------------------------------------------------------

    async def propose(
        self,
        user_id: int,
        base_hash: str,
        content_hash: str,
        origin: str,
        summary: dict,
        files: bytes,
    ) -> int:
        """Keep a checked candidate; the admin's earlier preview, if still open, is replaced."""
        async with self.db.transaction() as tx:
            await tx.write(
                "UPDATE kb_proposals SET status = 'replaced', files = NULL, decided_at = ? "
                "WHERE user_id = ? AND status = 'pending'",
                (now(), user_id),
            )
            row = await tx.first(
                "INSERT INTO kb_proposals (user_id, base_hash, content_hash, origin, summary, files, "
                "status, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?) RETURNING id",
                (user_id, base_hash, content_hash, origin, json.dumps(summary), files, now()),
            )
            return row["id"]

    async def proposal(self, proposal_id: int) -> KnowledgeProposal | None:
        row = await self.db.first(f"SELECT {_PROPOSAL} FROM kb_proposals WHERE id = ?", (proposal_id,))
        return KnowledgeProposal(**_summary(row)) if row else None

    async def proposal_files(self, proposal_id: int) -> bytes | None:
        """A pending proposal's files (decided ones no longer keep them)."""
        row = await self.db.first(
            "SELECT files FROM kb_proposals WHERE id = ? AND status = 'pending'", (proposal_id,)
        )
        return bytes(row["files"]) if row and row["files"] is not None else None

    async def cancel(self, proposal_id: int, user_id: int) -> bool:
        """Close the admin's pending proposal; False if it was not pending (or not theirs)."""
        changed = await self.db.write(
            "UPDATE kb_proposals SET status = 'cancelled', files = NULL, decided_at = ? "
            "WHERE id = ? AND user_id = ? AND status = 'pending'",
            (now(), proposal_id, user_id),
        )
        return changed == 1

    async def applied(self, proposal: KnowledgeProposal, files: bytes) -> int | None:
        """Record the proposal's files as the new version and close the proposal, together;
        None (and nothing recorded) if the proposal was no longer pending."""
        async with self.db.transaction() as tx:
            closed = await tx.write(
                "UPDATE kb_proposals SET status = 'applied', files = NULL, decided_at = ? "
                "WHERE id = ? AND status = 'pending'",
                (now(), proposal.id),
            )
            if closed != 1:
                return None
            version_id = await _insert_version(
                tx, proposal.content_hash, proposal.user_id, proposal.origin, proposal.summary, files
            )
            await tx.write("UPDATE kb_proposals SET version_id = ? WHERE id = ?", (version_id, proposal.id))
            return version_id


async def _insert_version(
    tx: Transaction, content_hash: str, author_id: int | None, origin: str, summary: dict, files: bytes
) -> int:
    row = await tx.first(
        "INSERT INTO kb_versions (content_hash, author_id, origin, summary, files, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        (content_hash, author_id, origin, json.dumps(summary), files, now()),
    )
    return row["id"]
