"""What the readers have found so far, and the cross-file checks run once every file is read.

An entry may link to an entry in another file, and a topic or guide may be defined after
the entries that name them, so references are only noted while reading and checked at the
end, together with ids defined in two places.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from advisor.assessment import Questionnaire
from advisor.kb.models import Entry, Guide, PrivacyNotice, Problem, Synonyms, Topic, UiTexts


@dataclass
class Ref:
    """A reference to check once every file is read."""

    path: str
    line: int
    target: str
    what: str


@dataclass
class Collected:
    """The parts of the knowledge base read so far, from all files."""

    topics: list[Topic] = field(default_factory=list)
    entries: dict[str, Entry] = field(default_factory=dict)
    entry_places: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    guides: dict[str, Guide] = field(default_factory=dict)
    synonyms: Synonyms = field(default_factory=Synonyms)
    ui: UiTexts = field(default_factory=UiTexts)
    entry_refs: list[Ref] = field(default_factory=list)
    guide_refs: list[Ref] = field(default_factory=list)
    topic_refs: list[Ref] = field(default_factory=list)
    assessment: Questionnaire | None = None
    privacy: PrivacyNotice | None = None

    def cross_check(self) -> list[Problem]:
        """Duplicate entry ids and references that point nowhere."""
        problems: list[Problem] = []
        for entry_id, places in self.entry_places.items():
            if len(places) > 1:
                where = ", ".join(f"{p}:{line}" for p, line in places)
                for path, line in places:
                    problems.append(Problem(path, line, f"duplicate id '{entry_id}' (defined at {where})"))
        topic_ids = {t.id for t in self.topics}
        for ref in self.topic_refs:
            if ref.target not in topic_ids:
                problems.append(
                    Problem(
                        ref.path,
                        ref.line,
                        f"unknown topic '{ref.target}' (topics.yaml lists: {', '.join(sorted(topic_ids))})",
                    )
                )
        for ref in self.entry_refs:
            if ref.target not in self.entry_places:
                problems.append(Problem(ref.path, ref.line, f"{ref.what} '{ref.target}' points to no entry"))
        for ref in self.guide_refs:
            if ref.target not in self.guides:
                problems.append(Problem(ref.path, ref.line, f"guide '{ref.target}' does not exist"))
        return problems
