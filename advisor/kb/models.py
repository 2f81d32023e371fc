"""Typed, immutable records of the knowledge base.

A `KnowledgeBase` is built once by the loader and never mutated; a reload builds a new
one and swaps the reference, so readers never see half an update.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from advisor.i18n import pick

if TYPE_CHECKING:
    from advisor.assessment import Questionnaire

LANGUAGES = ("vi", "en")

PROGRAMME_KINDS = (
    "training",
    "staff",
    "technology",
    "market",
    "credit",
    "infrastructure",
    "establishment",
    "certification",
)

SECTORS = (
    "agriculture",
    "industry",
    "trade",
    "transport",
    "construction",
    "environment",
    "credit_fund",
    "other",
)


@dataclass(frozen=True)
class Problem:
    """One validation finding, printed as `path:line: message`."""

    path: str
    line: int
    message: str
    warning: bool = False

    def __str__(self) -> str:
        prefix = "warning: " if self.warning else ""
        return f"{self.path}:{self.line}: {prefix}{self.message}"


@dataclass(frozen=True)
class Topic:
    id: str
    icon: str
    title: str
    title_en: str

    def name(self, lang: str) -> str:
        return pick(lang, self.title, self.title_en)


@dataclass(frozen=True)
class Programme:
    """Structured facts of a support programme, for cards, browsing and sector filters."""

    kind: str
    sectors: tuple[str, ...]
    eligible: str
    benefit: str
    apply: str
    contact: str
    legal_basis: str
    amount: str = ""

    def fits_sector(self, sector: str | None) -> bool:
        return sector is None or "all" in self.sectors or sector in self.sectors


@dataclass(frozen=True)
class Entry:
    """One question-and-answer entry."""

    id: str
    topic: str
    title: str
    phrasings: tuple[str, ...]
    answer: str
    source: str
    reviewed: dt.date
    test_questions: tuple[str, ...]
    title_en: str = ""
    answer_en: str = ""
    phrasings_en: tuple[str, ...] = ()
    """How English speakers ask it (optional); English questions are matched against these."""
    keywords: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    guide: str | None = None
    programme: Programme | None = None
    path: str = ""
    line: int = 0

    def heading(self, lang: str) -> str:
        return pick(lang, self.title, self.title_en)

    def text(self, lang: str) -> str:
        return pick(lang, self.answer, self.answer_en)


@dataclass(frozen=True)
class GuideStep:
    title: str
    text: str
    entries: tuple[str, ...] = ()
    title_en: str = ""
    text_en: str = ""


@dataclass(frozen=True)
class Guide:
    """A multi-step walk-through (the digital-transformation roadmap)."""

    id: str
    title: str
    intro: str
    steps: tuple[GuideStep, ...]
    source: str
    reviewed: dt.date
    title_en: str = ""
    intro_en: str = ""

    def heading(self, lang: str) -> str:
        return pick(lang, self.title, self.title_en)


@dataclass(frozen=True)
class Synonyms:
    """Curator-editable abbreviations (folded token -> folded expansion) and filler phrases."""

    abbreviations: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    fillers: tuple[str, ...] = ()
    domain: tuple[str, ...] = ()
    """Folded words that show a question is about what the bot covers (see `Advisor.in_domain`)."""


@dataclass(frozen=True)
class UiTexts:
    """Interface texts by key and language; `get` falls back to Vietnamese."""

    texts: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: MappingProxyType({}))

    def get(self, key: str, lang: str = "vi", **values: Any) -> str:
        variants = self.texts.get(key)
        if variants is None:
            return key
        template = variants.get(lang) or variants.get("vi") or key
        return template.format(**values) if values else template


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything the bot knows, loaded and validated together."""

    topics: tuple[Topic, ...]
    entries: Mapping[str, Entry]
    guides: Mapping[str, Guide]
    synonyms: Synonyms
    ui: UiTexts
    version: str
    assessment: Questionnaire | None = None
    privacy: PrivacyNotice | None = None

    def topic(self, topic_id: str) -> Topic | None:
        return next((t for t in self.topics if t.id == topic_id), None)

    def related_links(self) -> dict[str, frozenset[str]]:
        """Each entry's `related` ids, for looking up whether two entries are linked."""
        return {e.id: frozenset(e.related) for e in self.entries.values()}

    def entries_of(self, topic_id: str) -> list[Entry]:
        return [e for e in self.entries.values() if e.topic == topic_id]

    @property
    def last_reviewed(self) -> dt.date | None:
        dates = [e.reviewed for e in self.entries.values()]
        return max(dates) if dates else None


@dataclass(frozen=True)
class PrivacyNotice:
    """`privacy.yaml`: the privacy notice people consent to. A new `version` asks everyone
    again. Texts are in the formatting subset with {operator}, {contact}, {months}, {days}."""

    version: str
    summary: Mapping[str, str]
    """The short notice shown with the consent buttons, by language."""
    text: Mapping[str, str]
    """The full notice (/privacy, "Xem chi tiết"), by language."""
    reviewed: dt.date | None = None
