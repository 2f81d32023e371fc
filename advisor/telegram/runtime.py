"""What the handlers share: settings, the current knowledge (swappable), and the store."""

from __future__ import annotations

from dataclasses import dataclass, field

from advisor.answering import Advisor
from advisor.config import Settings
from advisor.kb import KnowledgeBase
from advisor.store import Store


@dataclass
class Runtime:
    """Held in `application.bot_data["runtime"]`.

    `advisor` is replaced as a whole on reload (one reference assignment), so a handler
    that read it keeps a consistent knowledge base and index for its whole update.
    """

    settings: Settings
    advisor: Advisor
    store: Store | None = None
    flood: dict[int, list[float]] = field(default_factory=dict)

    @property
    def kb(self) -> KnowledgeBase:
        return self.advisor.kb

    def require_store(self) -> Store:
        if self.store is None:
            raise RuntimeError("the store is not open; call open_store() in post_init")
        return self.store
