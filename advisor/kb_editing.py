"""Admins change the knowledge without a shell: a candidate is checked, previewed, then applied.

Every source of change takes the same path, `propose` then `apply`:
- an uploaded YAML file (it replaces the file of that name) or zip of the folder (it replaces
  every knowledge file): `propose_upload`;
- an earlier version (a rollback): `propose_rollback`;
- any other candidate set of files, e.g. the current files plus a draft entry written from an
  officer's answer: `propose(user_id, (await editor.current()).with_file(path, text), origin)`.

`propose` checks the whole resulting knowledge exactly as `advisor validate` does
(`kb_review.review`); a valid candidate that changes something is kept in the database with
the hash of the files it was checked against (so a preview survives a restart). `apply`
refuses when the folder no longer has those files (another admin applied first, or someone
edited on the server): the preview would no longer be true. Otherwise it keeps the current
files as a version if they are not kept yet, writes the candidate into the folder (file by
file, atomically), swaps the live knowledge as `/reload` does, and records the new version.
Nothing is ever lost: every version's files stay in the database. Every step is audited.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from advisor.answering import Advisor
from advisor.kb.bundle import KnowledgeFiles, UploadError, from_zip, read_folder
from advisor.kb.changes import Changes
from advisor.kb.models import Problem
from advisor.kb_review import Review, review
from advisor.storage import Store

log = logging.getLogger("advisor.kb")

SERVER = "server"
"""Origin of files found in the folder that no version recorded (edited on the server)."""

Reload = Callable[[], Awaitable[tuple[Changes | None, list[Problem]]]]


@dataclass(frozen=True)
class Proposal:
    """The outcome of `propose`: the upload refused, or its review and (when there is something
    to apply) the number of the stored proposal the "Áp dụng" button names."""

    origin: str
    review: Review | None = None
    proposal_id: int | None = None
    refusal: UploadError | None = None


@dataclass(frozen=True)
class Applied:
    """The outcome of `apply`: `applied`, `base_changed` (look again), `closed` (already applied,
    cancelled or replaced), `failed` (the folder would not load; the old files are back) or
    `unwritable` (the folder cannot be written; nothing changed)."""

    status: str
    version_id: int | None = None
    changes: Changes | None = None
    problems: tuple[Problem, ...] = ()


def summary_of(review_: Review) -> dict[str, list[str]]:
    """What a version changed, as kept with it: file paths and entry ids."""
    changes = review_.changes
    return {
        "files": [*review_.files_added, *review_.files_changed, *review_.files_removed],
        "added": list(changes.added) if changes else [],
        "removed": list(changes.removed) if changes else [],
        "edited": list(changes.edited) if changes else [],
    }


class KnowledgeEditor:
    """Check, preview, apply and roll back the knowledge folder; one per running bot (its lock
    makes two applications one after the other)."""

    def __init__(self, store: Store, folder: Path, live: Callable[[], Advisor], reload: Reload) -> None:
        self.store = store
        self.folder = folder
        self._live = live
        self._reload = reload
        self._lock = asyncio.Lock()
        self.known: int | None = None
        """The newest version this instance has live or has seen (see `follow`)."""

    async def current(self) -> KnowledgeFiles:
        """The knowledge files in the folder now."""
        return await asyncio.to_thread(read_folder, self.folder)

    # --- check and preview ----------------------------------------------------------------------

    async def propose_upload(self, user_id: int, filename: str, data: bytes) -> Proposal:
        """An admin's upload: a zip replaces every knowledge file, a YAML file the file of its name."""
        origin = f"upload:{filename[:60]}"
        current = await self.current()
        try:
            if filename.lower().endswith(".zip"):
                candidate = await asyncio.to_thread(from_zip, data)
            else:
                candidate = current.with_file(current.placed(filename), data)
        except UploadError as refusal:
            await self.store.audit.record(user_id, "kb_refused", f"{origin}: {refusal.key}")
            return Proposal(origin, refusal=refusal)
        return await self.propose(user_id, candidate, origin, current)

    async def propose_rollback(self, user_id: int, version_id: int) -> Proposal | None:
        """An earlier version as the candidate; None if there is no such version."""
        files = await self.store.kb_versions.files(version_id)
        if files is None:
            return None
        candidate = await asyncio.to_thread(from_zip, files)
        return await self.propose(user_id, candidate, f"rollback:{version_id}")

    async def propose(
        self, user_id: int, candidate: KnowledgeFiles, origin: str, current: KnowledgeFiles | None = None
    ) -> Proposal:
        """Check a candidate set of files and keep it for `apply` when it is valid and changes
        something (replacing this admin's earlier preview)."""
        current = current or await self.current()
        found = await asyncio.to_thread(review, current, candidate, self._live())
        if not found.valid:
            await self.store.audit.record(user_id, "kb_refused", f"{origin}: {len(found.errors)} error(s)")
            return Proposal(origin, found)
        if found.unchanged:
            await self.store.audit.record(user_id, "kb_unchanged", origin)
            return Proposal(origin, found)
        summary = summary_of(found)
        files = await asyncio.to_thread(candidate.to_zip)
        proposal_id = await self.store.kb_versions.propose(
            user_id, current.content_hash, candidate.content_hash, origin, summary, files
        )
        await self.store.audit.record(user_id, "kb_preview", f"#{proposal_id} {origin}")
        return Proposal(origin, found, proposal_id)

    # --- apply, cancel ----------------------------------------------------------------------------

    async def apply(self, user_id: int, proposal_id: int) -> Applied:
        """Apply an admin's own pending proposal if the folder still holds the files it was
        checked against."""
        async with self._lock:
            versions = self.store.kb_versions
            proposal = await versions.proposal(proposal_id)
            files = await versions.proposal_files(proposal_id)
            if proposal is None or proposal.user_id != user_id or files is None:
                return Applied("closed")
            current = await self.current()
            if current.content_hash != proposal.base_hash:
                await self.store.audit.record(user_id, "kb_apply_refused", f"#{proposal_id}: base changed")
                return Applied("base_changed")
            await self._keep(current, None)
            candidate = await asyncio.to_thread(from_zip, files)
            try:
                await asyncio.to_thread(candidate.write_into, self.folder)
            except OSError as exc:  # a read-only or full disk: put back what was written
                log.error("cannot write the knowledge folder %s: %s", self.folder, exc)
                with contextlib.suppress(OSError):
                    await asyncio.to_thread(current.write_into, self.folder)
                await self.store.audit.record(user_id, "kb_apply_failed", f"#{proposal_id}: {exc}"[:200])
                return Applied("unwritable")
            changes, problems = await self._reload()
            if changes is None:  # the folder changed under us after the check: put it back
                await asyncio.to_thread(current.write_into, self.folder)
                await self.store.audit.record(user_id, "kb_apply_failed", f"#{proposal_id}")
                return Applied("failed", problems=tuple(problems))
            version_id = await versions.applied(proposal, files)
            self.known = version_id
            await self.store.audit.record(user_id, "kb_apply", f"#{proposal_id} -> version {version_id}")
            return Applied("applied", version_id, changes)

    async def cancel(self, user_id: int, proposal_id: int) -> bool:
        """Drop an admin's own pending proposal; False if it was no longer pending."""
        async with self._lock:
            cancelled = await self.store.kb_versions.cancel(proposal_id, user_id)
        if cancelled:
            await self.store.audit.record(user_id, "kb_cancel", f"#{proposal_id}")
        return cancelled

    # --- history ----------------------------------------------------------------------------------

    async def record_current(self, user_id: int | None) -> int | None:
        """Keep the folder's files as a version if no version has them yet (after `/reload` of
        files edited on the server); returns the new version's number, if one was kept."""
        async with self._lock:
            return await self._keep(await self.current(), user_id)

    async def _keep(self, current: KnowledgeFiles, user_id: int | None) -> int | None:
        versions = self.store.kb_versions
        if await versions.with_hash(current.content_hash) is not None:
            return None
        summary: dict[str, list[str]] = {}
        latest = await versions.recent(1)
        if latest:
            previous = await asyncio.to_thread(from_zip, await versions.files(latest[0].id) or b"")
            added, removed, changed = previous.changed_paths(current)
            summary = {"files": [*added, *changed, *removed]}
        files = await asyncio.to_thread(current.to_zip)
        version_id = await versions.add(current.content_hash, user_id, SERVER, summary, files)
        self.known = version_id
        await self.store.audit.record(user_id, "kb_version", f"version {version_id} {SERVER}")
        return version_id

    # --- several instances --------------------------------------------------------------------

    async def start(self) -> None:
        """At start: keep the folder as a version if it is new (a deployment with changed
        files), and remember the newest version as known."""
        async with self._lock:
            await self._keep(await self.current(), None)
            latest = await self.store.kb_versions.recent(1)
            self.known = latest[0].id if latest else None

    async def follow(self) -> int | None:
        """With several instances on one database: when another instance applied a newer
        version, write its files into this instance's folder and reload, so every instance
        serves the same knowledge. Returns the version adopted, if any. A version that does
        not load here is skipped (and logged) rather than retried forever."""
        async with self._lock:
            latest = await self.store.kb_versions.recent(1)
            if not latest or (self.known is not None and latest[0].id <= self.known):
                return None
            newest, self.known = latest[0], latest[0].id
            current = await self.current()
            if current.content_hash == newest.content_hash:
                return None
            candidate = await asyncio.to_thread(
                from_zip, await self.store.kb_versions.files(newest.id) or b""
            )
            await asyncio.to_thread(candidate.write_into, self.folder)
            changes, problems = await self._reload()
            if changes is None:
                await asyncio.to_thread(current.write_into, self.folder)
                log.error("version %s from another instance does not load here: %s", newest.id, problems[:3])
                return None
            log.info("adopted knowledge version %s applied by another instance", newest.id)
            return newest.id

    async def current_version(self) -> int | None:
        """The number of the version the folder holds now, if it is kept."""
        found = await self.store.kb_versions.with_hash((await self.current()).content_hash)
        return found.id if found else None
