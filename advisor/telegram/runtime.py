"""What the handlers share: settings, the current knowledge (swappable), and the store."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from advisor.answering import Advisor
from advisor.broadcast import Sender
from advisor.chart import exit_with_parent
from advisor.config import Settings
from advisor.exclusive import instance_name
from advisor.flood import FloodGuard
from advisor.kb import KnowledgeBase, load_knowledge
from advisor.kb.changes import Changes, compare
from advisor.kb.models import Problem
from advisor.kb_editing import KnowledgeEditor
from advisor.roles import Role
from advisor.storage import Store
from advisor.write_queue import WriteQueue


async def _no_menu(user_id: int, role: Role) -> None:
    """Without an application (tests of the core), there is no menu to change."""


@dataclass
class Runtime:
    """Held in `application.bot_data["runtime"]`.

    `advisor` is replaced as a whole on reload (one reference assignment), so a handler
    that read it keeps a consistent knowledge base and index for its whole update.
    """

    settings: Settings
    advisor: Advisor
    store: Store | None = None
    sender: Sender | None = None
    flood: FloodGuard = field(default_factory=FloodGuard)
    charts: ProcessPoolExecutor | None = None
    writes: WriteQueue = field(default_factory=WriteQueue)
    """Writes behind the reply (question log, last seen), retried until they land."""
    writes_task: asyncio.Task | None = None
    jobs: list[asyncio.Task] = field(default_factory=list)
    """Background tasks running until the bot stops: the broadcast sender, the reminders and
    the retention purge (each in one instance only), the knowledge follower (in every one)."""
    instance: str = field(default_factory=instance_name)
    """This process among several bot instances on one database (the holder of leases)."""
    role_menu: Callable[[int, Role], Awaitable[None]] = _no_menu
    """Shows a user the command menu of their new role (set by the application)."""
    kb_editor: KnowledgeEditor | None = None

    def editor(self) -> KnowledgeEditor:
        """The one knowledge editor (`/kb`): its lock orders admins' applications."""
        if self.kb_editor is None:
            self.kb_editor = KnowledgeEditor(
                self.require_store(), self.settings.knowledge_dir, lambda: self.advisor, self.reload
            )
        return self.kb_editor

    @property
    def kb(self) -> KnowledgeBase:
        return self.advisor.kb

    def require_store(self) -> Store:
        if self.store is None:
            raise RuntimeError("the store is not open; call open_store() in post_init")
        return self.store

    async def reload(self) -> tuple[Changes | None, list[Problem]]:
        """Load and validate the knowledge folder off the event loop; swap it in only if valid.

        Returns what changed (None when the new knowledge has errors) and every problem found.
        """
        result = await asyncio.to_thread(load_knowledge, self.settings.knowledge_dir)
        if result.kb is None:
            return None, result.problems
        advisor = await asyncio.to_thread(Advisor, result.kb)
        changes = compare(self.advisor.kb, result.kb)
        self.advisor = advisor
        return changes, result.problems

    def chart_pool(self) -> ProcessPoolExecutor:
        """One worker process for charts: matplotlib holds the GIL for long stretches and
        pauses for garbage collection, which would stall the event loop even from a thread."""
        if self.charts is None:
            self.charts = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=exit_with_parent,
                initargs=(os.getpid(),),
            )
        return self.charts

    def close_chart_pool(self) -> None:
        if self.charts is not None:
            self.charts.shutdown(wait=False, cancel_futures=True)
            self.charts = None
