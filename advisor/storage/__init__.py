"""Storage by aggregate: one repository per kind of record, behind a thin `Store`.

    store = await Store.open(path)
    user = await store.users.touch(user_id, chat_id, "vi")
    coop = await store.coops.of_user(user.id)
    await store.close()

Callers get records (`advisor.records`) and plain dicts, never cursors or SQL errors
(those become `StoreError`). The SQL stays in this package; `db.py` is the seam between the
repositories and the two backends (SQLite by default, PostgreSQL for a `postgresql://` URL).
"""

from __future__ import annotations

from pathlib import Path

from advisor.storage.broadcasts import Broadcasts, Deliveries
from advisor.storage.cooperatives import Assessments, Cooperatives
from advisor.storage.db import Database, open_database
from advisor.storage.grants import Grants
from advisor.storage.handoffs import Handoffs
from advisor.storage.kb_versions import KnowledgeVersions
from advisor.storage.leases import Leases
from advisor.storage.privacy import Consents, PersonalData
from advisor.storage.questions import Feedback, Questions
from advisor.storage.reports import AuditLog, Reports
from advisor.storage.users import Flows, Users


class Store:
    """The open database and its repositories; `await Store.open(path)`, then `await close()`."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.users = Users(db)
        self.flows = Flows(db)
        self.questions = Questions(db)
        self.feedback = Feedback(db)
        self.coops = Cooperatives(db)
        self.assessments = Assessments(db)
        self.broadcasts = Broadcasts(db)
        self.deliveries = Deliveries(db)
        self.grants = Grants(db)
        self.handoffs = Handoffs(db)
        self.leases = Leases(db)
        self.kb_versions = KnowledgeVersions(db)
        self.audit = AuditLog(db)
        self.reports = Reports(db)
        self.consents = Consents(db)
        self.personal = PersonalData(db)

    @classmethod
    async def open(cls, target: Path | str, migrate: bool = True) -> Store:
        """Open an SQLite file (creating it and its folder if needed) or a PostgreSQL URL
        (`postgresql://user:password@host:port/db`), and migrate to the newest schema."""
        return cls(await open_database(target, migrate=migrate))

    async def close(self) -> None:
        await self.db.close()

    async def schema_version(self) -> int:
        """How many migrations the open database has had."""
        return await self.db.schema_version()
