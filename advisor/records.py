"""The records the product works with: plain, frozen data, no SQL.

The storage layer builds them from rows; the core (roles, gaps, broadcasts, views) reads
them without knowing which database, or any, sits behind them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field


class StoreError(Exception):
    """The database cannot do what was asked (locked, missing, read-only, full, or a
    constraint the data breaks)."""

    def __init__(self, message: str, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient
        """Worth retrying (busy, locked, read-only, I/O); False for data the schema refuses."""


@dataclass(frozen=True)
class User:
    id: int
    chat_id: int
    language: str
    first_seen: str
    last_seen: str
    blocked_at: str | None = None
    coop_id: int | None = None
    username: str | None = None
    subscribed: int = 1
    share_name: int | None = None
    """Whether officers may see the member's name with a question: None until asked."""
    is_new: bool = False


@dataclass(frozen=True)
class Coop:
    id: int
    name: str
    province: str
    sector: str
    members: int
    invite_code: str
    created_by: int | None
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class Assessment:
    """One run of the questionnaire by one user for their cooperative."""

    id: int
    coop_id: int
    user_id: int | None
    """None once the person who took it has had their data erased."""
    version: str
    status: str
    current_question: str | None
    started_at: str
    finished_at: str | None = None
    overall: float | None = None
    level: int | None = None
    level_name: str | None = None
    pillar_scores: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Grant:
    user_id: int
    role: str
    province: str | None
    granted_by: int
    granted_at: str


@dataclass(frozen=True)
class Audience:
    """Who a broadcast goes to; empty sets mean "any". `province_scope` is the officer's."""

    provinces: frozenset[str] = frozenset()
    sectors: frozenset[str] = frozenset()
    levels: frozenset[int] = frozenset()
    not_assessed: bool = False
    province_scope: str | None = None

    def to_json(self) -> str:
        """The form kept with a broadcast, so its audience can be shown later."""
        return json.dumps(
            {
                "provinces": sorted(self.provinces),
                "sectors": sorted(self.sectors),
                "levels": sorted(self.levels),
                "not_assessed": self.not_assessed,
                "province_scope": self.province_scope,
            },
            ensure_ascii=False,
        )

    @property
    def needs_coop(self) -> bool:
        """Any filter on the cooperative leaves out members who have none."""
        return bool(self.provinces or self.sectors or self.levels or self.not_assessed or self.province_scope)


@dataclass(frozen=True)
class Broadcast:
    id: int
    author_id: int
    author_chat: int
    text: str
    html: str
    audience: str
    status: str
    created_at: str
    send_at: str
    finished_at: str | None = None
    progress_message_id: int | None = None


DELIVERY_OUTCOMES = ("sent", "blocked", "failed", "unknown")
"""How a claimed delivery can end."""


@dataclass(frozen=True)
class Delivery:
    """One recipient of one broadcast: pending, sending, then one of DELIVERY_OUTCOMES (or cancelled)."""

    broadcast_id: int
    user_id: int
    chat_id: int
    status: str
    attempts: int
    message_id: int | None = None
    error: str | None = None
    updated_at: str | None = None


@dataclass(frozen=True)
class Handoff:
    """A member's question handed to the extension officers of their province."""

    id: int
    user_id: int
    chat_id: int
    province: str | None
    question: str
    status: str
    """open | claimed (an officer is answering) | answered | out_of_scope"""
    asked_at: str
    claimed_by: int | None = None
    answer: str | None = None
    claimed_at: str | None = None
    answered_at: str | None = None
    rating: int | None = None
    reminded_at: str | None = None
    escalated_at: str | None = None
    asker: str | None = None
    """The name officers see; None when the member chose not to share it."""
    answer_text: str | None = None
    """The officer's answer as typed (the formatting subset), for a draft knowledge entry."""
    follow_up: str | None = None
    follow_up_answer: str | None = None
    for_kb: int = 0
    moved_from: str | None = None
    claimer: str | None = None
    """How other officers see who is answering (the officer's Telegram name)."""
    signed: str | None = None
    """How the answer was signed for the member: role and province (in Vietnamese)."""


@dataclass(frozen=True)
class KnowledgeVersion:
    """A set of knowledge files that was live: who applied it, when, from what, what changed.

    `origin` is `upload:<file name>`, `rollback:<version id>`, `server` (files edited on the
    server, recorded when seen) or what a later source names; `summary` holds the changed
    `files` and the entry ids `added`, `removed` and `edited`."""

    id: int
    content_hash: str
    author_id: int | None
    origin: str
    summary: dict[str, list[str]]
    created_at: str


@dataclass(frozen=True)
class KnowledgeProposal:
    """A checked candidate waiting for its admin's "Áp dụng": valid against `base_hash` only."""

    id: int
    user_id: int
    base_hash: str
    content_hash: str
    origin: str
    summary: dict[str, list[str]]
    status: str
    """pending | applied | cancelled | replaced (the same admin sent a newer one)"""
    created_at: str
    decided_at: str | None = None
    version_id: int | None = None


CONSENT_DECISIONS = ("granted", "refused", "withdrawn")


@dataclass(frozen=True)
class Consent:
    """One decision of a person on one version of the privacy notice (the history is kept)."""

    user_id: int
    version: str
    decision: str
    """granted | refused | withdrawn"""
    at: str


@dataclass(frozen=True)
class Erasure:
    """What /forget did, in counts only (the audit log keeps this, never who)."""

    answers_unlinked: int = 0
    assessments_unlinked: int = 0
    questions_deleted: int = 0
    coop_deleted: bool = False
