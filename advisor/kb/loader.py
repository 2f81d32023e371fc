"""Load the knowledge folder and validate all of it, reporting every problem at once.

`load_knowledge(dir)` never raises for bad content: it returns the problems (each one
`path:line: message`) and, only when there are no errors, a new immutable
`KnowledgeBase`. The running bot keeps its old knowledge base unless a new one loads
cleanly. This module only picks a reader for each file (`faq`, `wording`,
`questionnaire`) and runs the cross-file checks; the field rules live in `schema`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from advisor.kb.collected import Collected
from advisor.kb.faq import read_entries, read_guides, read_topics
from advisor.kb.models import KnowledgeBase, Problem
from advisor.kb.notice import read_privacy
from advisor.kb.questionnaire import read_assessment
from advisor.kb.schema import Checker
from advisor.kb.wording import read_synonyms, read_ui
from advisor.kb.yamlsource import YamlError, fingerprint, read_yaml

Reader = Callable[[Any, Checker, Collected], None]

READERS: dict[str, Reader] = {
    "topics.yaml": read_topics,
    "guides.yaml": read_guides,
    "synonyms.yaml": read_synonyms,
    "ui.yaml": read_ui,
    "assessment.yaml": read_assessment,
    "privacy.yaml": read_privacy,
}
"""The special files at the top of the folder; every other file must be `faq/<name>.yaml`."""
REQUIRED_FILES = ("topics.yaml", "synonyms.yaml", "ui.yaml", "privacy.yaml")


@dataclass
class LoadResult:
    """What a load produced: the knowledge base (None if any error) and all findings."""

    kb: KnowledgeBase | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if not p.warning]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.warning]


def load_knowledge(root: Path, today: dt.date | None = None) -> LoadResult:
    """Load and validate a knowledge folder; the KB is returned only when error-free."""
    today = today or dt.date.today()
    problems: list[Problem] = []
    root_name = _display(root)
    if not root.is_dir():
        return LoadResult(None, [Problem(root_name, 0, "knowledge folder does not exist")])
    files = _knowledge_files(root)
    out = Collected()
    for path in files:
        check = Checker(_display(path), problems, today, path)
        reader = _reader_for(path.relative_to(root))
        if reader is None:
            check.error(1, f"unknown knowledge file (expected faq/*.yaml or one of {', '.join(READERS)})")
            continue
        try:
            data = read_yaml(path)
        except YamlError as exc:
            check.error(exc.line, exc.message)
            continue
        reader(data, check, out)
    for required in REQUIRED_FILES:
        if not (root / required).is_file():
            problems.append(Problem(f"{root_name}/{required}", 0, "required file is missing"))
    problems.extend(out.cross_check())
    problems.sort(key=lambda p: (p.path, p.line))
    if any(not p.warning for p in problems):
        return LoadResult(None, problems)
    kb = KnowledgeBase(
        topics=tuple(out.topics),
        entries=MappingProxyType(dict(out.entries)),
        guides=MappingProxyType(dict(out.guides)),
        synonyms=out.synonyms,
        ui=out.ui,
        version=fingerprint(files),
        assessment=out.assessment,
        privacy=out.privacy,
    )
    return LoadResult(kb, problems)


def _reader_for(relative: Path) -> Reader | None:
    if relative.parts[0] == "faq" and len(relative.parts) == 2:
        return read_entries
    return READERS.get(str(relative))


def _knowledge_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def _display(path: Path) -> str:
    """The path as the curator typed it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
