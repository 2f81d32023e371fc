"""What a candidate set of knowledge files would change, found out before anything changes.

`review` writes the candidate into a scratch folder and validates it with the loader
`advisor validate` uses, so an upload is checked exactly as a curator's folder is (every
problem as `file:line: message`, the path relative to the knowledge folder). A valid candidate
is compared with what members get now: files added, removed and changed; entries added,
removed and edited (for an edited answer, its changed lines); and the entries' test questions
that no longer find their entry (found before, or new, and not found now).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from advisor.answering import Advisor
from advisor.kb import Problem, load_knowledge
from advisor.kb.bundle import KnowledgeFiles
from advisor.kb.changes import Changes, compare
from advisor.kb.models import Entry

MAX_DIFF_LINES = 8
"""Changed lines shown per edited answer; the rest is counted."""
_NOT_CONTENT = frozenset({"id", "path", "line"})


@dataclass(frozen=True)
class EntryEdit:
    """An edited entry: the fields that changed and, for its answers, the changed lines."""

    entry_id: str
    fields: tuple[str, ...]
    lines: tuple[str, ...] = ()
    """`- old` / `+ new` lines of `answer` (then `answer_en`), at most MAX_DIFF_LINES."""
    more_lines: int = 0


@dataclass(frozen=True)
class LostTest:
    """A test question that does not find its entry with the candidate (but did, or is new)."""

    entry_id: str
    question: str


@dataclass(frozen=True)
class Review:
    """The check of one candidate: its problems, or what it would change."""

    problems: tuple[Problem, ...]
    files_added: tuple[str, ...] = ()
    files_removed: tuple[str, ...] = ()
    files_changed: tuple[str, ...] = ()
    changes: Changes | None = None
    """None when the candidate has errors (nothing can be applied)."""
    edits: tuple[EntryEdit, ...] = ()
    lost: tuple[LostTest, ...] = ()
    ignored: tuple[str, ...] = ()
    """Files of an uploaded zip that are not knowledge files (left out)."""
    entries: Mapping[str, Entry] = field(default_factory=dict)
    """Every entry named in `changes`, as it will be (the removed ones as they were)."""

    @property
    def valid(self) -> bool:
        return self.changes is not None

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if not p.warning)

    @property
    def unchanged(self) -> bool:
        """Valid, and the very same files as now: nothing to apply."""
        return self.valid and not (self.files_added or self.files_removed or self.files_changed)


def review(
    current: KnowledgeFiles, candidate: KnowledgeFiles, live: Advisor, today: dt.date | None = None
) -> Review:
    """Validate `candidate` and say what it changes against `current` (the folder's files)
    and `live` (what members get now). Blocking: run it in a thread."""
    added, removed, changed = current.changed_paths(candidate)
    with tempfile.TemporaryDirectory(prefix="advisor-kb-") as scratch:
        root = Path(scratch) / "knowledge"
        root.mkdir()
        candidate.write_into(root)
        result = load_knowledge(root, today)
        problems = tuple(_relative(p, root) for p in result.problems)
    # the sent files' own problems first: a syntax error there explains the others it causes
    touched = {*added, *changed}
    problems = tuple(sorted(problems, key=lambda p: p.path not in touched))
    files = {"files_added": added, "files_removed": removed, "files_changed": changed}
    if result.kb is None:
        return Review(problems, ignored=candidate.ignored, **files)
    new = result.kb
    changes = compare(live.kb, new)
    edits = tuple(_edit(live.kb.entries[i], new.entries[i]) for i in changes.edited)
    named = {i: live.kb.entries[i] for i in changes.removed}
    named.update({i: new.entries[i] for i in (*changes.added, *changes.edited)})
    return Review(
        problems,
        changes=changes,
        edits=edits,
        lost=lost_tests(live, Advisor(new)),
        ignored=candidate.ignored,
        entries=named,
        **files,
    )


def _relative(problem: Problem, root: Path) -> Problem:
    """A problem with its path as in the knowledge folder (`faq/tm.yaml`), not the scratch one."""
    try:
        path = (Path.cwd() / problem.path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return problem
    return dataclasses.replace(problem, path=path if path != "." else "")


def _edit(old: Entry, new: Entry) -> EntryEdit:
    fields = tuple(
        f.name
        for f in dataclasses.fields(Entry)
        if f.name not in _NOT_CONTENT and getattr(old, f.name) != getattr(new, f.name)
    )
    lines = _changed_lines(old.answer, new.answer) + [
        f"{line[0]} (en) {line[2:]}" for line in _changed_lines(old.answer_en, new.answer_en)
    ]
    return EntryEdit(new.id, fields, tuple(lines[:MAX_DIFF_LINES]), max(0, len(lines) - MAX_DIFF_LINES))


def _changed_lines(old: str, new: str) -> list[str]:
    """The removed (`- `) and added (`+ `) lines between two answers, in order."""
    diff = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
    return [
        f"{line[0]} {line[1:]}"
        for line in diff
        if line[:1] in "-+" and not line.startswith(("---", "+++")) and line[1:].strip()
    ]


def _finds(advisor: Advisor, question: str, entry_id: str) -> bool:
    """The member gets the entry at once or one tap away (as `advisor eval` counts *reach*)."""
    return entry_id in advisor.decide(question).reachable


def lost_tests(live: Advisor, candidate: Advisor) -> tuple[LostTest, ...]:
    """Test questions of the candidate's entries that do not find their entry there, leaving out
    those that did not find it with the live knowledge either (not this change's doing)."""
    lost = []
    for entry in candidate.kb.entries.values():
        before = live.kb.entries.get(entry.id)
        for question in entry.test_questions:
            if _finds(candidate, question, entry.id):
                continue
            known = before is not None and question in before.test_questions
            if known and not _finds(live, question, entry.id):
                continue
            lost.append(LostTest(entry.id, question))
    return tuple(lost)
