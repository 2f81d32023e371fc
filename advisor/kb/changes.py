"""What a reload changed: entries added, removed and edited between two knowledge bases."""

from __future__ import annotations

from dataclasses import dataclass, replace

from advisor.kb.models import Entry, KnowledgeBase


@dataclass(frozen=True)
class Changes:
    """Entry ids added, removed and edited, and whether the questionnaire changed."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    edited: tuple[str, ...]
    assessment_changed: bool


def _content(entry: Entry) -> Entry:
    """An entry without where it was written: moving it between files is not an edit."""
    return replace(entry, path="", line=0)


def compare(old: KnowledgeBase, new: KnowledgeBase) -> Changes:
    added = tuple(sorted(new.entries.keys() - old.entries.keys()))
    removed = tuple(sorted(old.entries.keys() - new.entries.keys()))
    edited = tuple(
        sorted(
            entry_id
            for entry_id in old.entries.keys() & new.entries.keys()
            if _content(old.entries[entry_id]) != _content(new.entries[entry_id])
        )
    )
    old_version = old.assessment.version if old.assessment else None
    new_version = new.assessment.version if new.assessment else None
    return Changes(added, removed, edited, old_version != new_version)
