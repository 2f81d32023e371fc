"""Readers for the question-and-answer content: topics, FAQ entries with their programmes, guides.

Each reader checks one file's records against its specs and adds the valid ones to the
`Collected` parts; links to other entries, topics and guides are noted for the cross-file
check at the end.
"""

from __future__ import annotations

import re
from typing import Any

from advisor.folding import fold
from advisor.kb.collected import Collected, Ref
from advisor.kb.models import PROGRAMME_KINDS, SECTORS, Entry, Guide, GuideStep, Programme, Topic
from advisor.kb.schema import (
    ANY,
    DATE,
    MAPPING,
    MAX_SOURCE,
    MAX_TITLE,
    TEXT,
    TEXT_LIST,
    Checker,
    Spec,
    required,
)
from advisor.kb.yamlsource import LineDict, LineList

ENTRY_ID_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
GUIDE_ID_RE = re.compile(r"^guide\.[a-z0-9_]+$")
TOPIC_ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,15}$")
MIN_PHRASINGS = 3
MIN_TEST_QUESTIONS = 2
MAX_PHRASING = 300
MAX_ANSWER_VISIBLE = 3500  # leaves room for title, source and date in one 4096-char message
MAX_STEP_VISIBLE = 3000

ENTRY_SPECS = {
    "id": Spec(TEXT, True, 80),
    "topic": Spec(TEXT),
    "title": Spec(TEXT, True, MAX_TITLE),
    "title_en": Spec(TEXT, False, MAX_TITLE),
    "phrasings": Spec(TEXT_LIST, True, MAX_PHRASING, MIN_PHRASINGS),
    "phrasings_en": Spec(TEXT_LIST, False, MAX_PHRASING),
    "keywords": Spec(TEXT_LIST, False, 80),
    "answer": Spec(TEXT, True),
    "answer_en": Spec(TEXT),
    "source": Spec(TEXT, True, MAX_SOURCE),
    "reviewed": Spec(DATE, True),
    "related": Spec(TEXT_LIST),
    "test_questions": Spec(TEXT_LIST, True, MAX_PHRASING, MIN_TEST_QUESTIONS),
    "guide": Spec(TEXT),
    "programme": Spec(MAPPING),
    "draft": Spec(TEXT),
}
PROGRAMME_SPECS = {
    "kind": Spec(TEXT, True),
    "sectors": Spec(TEXT_LIST, True, 40, 1),
    "eligible": Spec(TEXT, True, 400),
    "benefit": Spec(TEXT, True, 400),
    "amount": Spec(TEXT, False, 400),
    "apply": Spec(TEXT, True, 400),
    "contact": Spec(TEXT, True, 400),
    "legal_basis": Spec(TEXT, True, 400),
}
TOPIC_SPECS = {
    "id": Spec(TEXT, True, 16),
    "icon": Spec(TEXT, True, 8),
    "title": Spec(TEXT, True, 40),
    "title_en": Spec(TEXT, True, 40),
}
GUIDE_SPECS = {
    "id": Spec(TEXT, True, 60),
    "title": Spec(TEXT, True, MAX_TITLE),
    "title_en": Spec(TEXT, False, MAX_TITLE),
    "intro": Spec(TEXT, True),
    "intro_en": Spec(TEXT),
    "source": Spec(TEXT, True, MAX_SOURCE),
    "reviewed": Spec(DATE, True),
    "steps": Spec(ANY, True),
}
STEP_SPECS = {
    "title": Spec(TEXT, True, MAX_TITLE),
    "title_en": Spec(TEXT, False, MAX_TITLE),
    "text": Spec(TEXT, True),
    "text_en": Spec(TEXT),
    "entries": Spec(TEXT_LIST),
}


def read_topics(data: Any, check: Checker, out: Collected) -> None:
    """topics.yaml: the topics entries belong to, with their menu icon and titles."""
    seen: set[str] = set()
    for item, line in check.items(data, "topics", 1):
        f = check.fields(item, TOPIC_SPECS, "topic", line)
        if not {"id", "icon", "title", "title_en"} <= f.keys():
            continue
        if not TOPIC_ID_RE.match(f["id"]):
            check.error(line, f"topic id '{f['id']}' must be short lower-case ASCII")
        if f["id"] in seen:
            check.error(line, f"duplicate topic id '{f['id']}'")
        seen.add(f["id"])
        out.topics.append(Topic(f["id"], f["icon"], f["title"], f["title_en"]))


def read_entries(data: Any, check: Checker, out: Collected) -> None:
    """faq/*.yaml: question-and-answer entries, by default in the file's topic."""
    file_topic = data.get("topic") if isinstance(data, LineDict) else None
    if isinstance(data, LineDict):
        for key in data:
            if key not in ("topic", "entries"):
                check.error(data.key_lines[key], f"unknown top-level field '{key}' (expected topic, entries)")
        if file_topic is not None:
            out.topic_refs.append(Ref(check.path, data.key_lines["topic"], str(file_topic), "topic"))
    for item, line in check.items(data, "entries", 1):
        f = check.fields(item, ENTRY_SPECS, "entry", line)
        if "id" not in f:
            continue
        entry_id = f["id"]
        id_line = item.key_lines["id"]
        if not ENTRY_ID_RE.match(entry_id):
            check.error(
                id_line, f"id '{entry_id}' must be lower-case ASCII words joined by dots, e.g. tm.fees"
            )
        out.entry_places.setdefault(entry_id, []).append((check.path, id_line))
        topic = f.get("topic") or (str(file_topic) if file_topic is not None else None)
        if topic is None:
            check.error(line, f"entry '{entry_id}' has no topic (set 'topic:' in the file or the entry)")
        elif "topic" in f:
            out.topic_refs.append(Ref(check.path, item.key_lines["topic"], topic, "topic"))
        if "draft" in f:
            check.error(
                item.key_lines["draft"],
                f"entry '{entry_id}' is an unreviewed draft ({f['draft']}): check it against the "
                "official texts, cite them in 'source', set 'reviewed', then delete 'draft'",
            )
        _note_refs(check, out, item, f, entry_id)
        _check_distinct(check, item, entry_id)
        programme = _read_programme(f["programme"], check) if "programme" in f else None
        if topic is None or not required(ENTRY_SPECS) <= f.keys() or entry_id in out.entries:
            continue
        out.entries[entry_id] = Entry(
            id=entry_id,
            topic=topic,
            title=f["title"],
            title_en=f.get("title_en", ""),
            phrasings=f["phrasings"],
            phrasings_en=f.get("phrasings_en", ()),
            keywords=f.get("keywords", ()),
            answer=f["answer"],
            answer_en=f.get("answer_en", ""),
            source=f["source"],
            reviewed=f["reviewed"],
            related=f.get("related", ()),
            test_questions=f["test_questions"],
            guide=f.get("guide"),
            programme=programme,
            path=check.path,
            line=line,
        )


def _note_refs(check: Checker, out: Collected, item: LineDict, f: dict[str, Any], entry_id: str) -> None:
    """An entry's links in its answers, its related entries and its guide, for the cross-check."""
    refs = check.markup(item, "answer", MAX_ANSWER_VISIBLE) + check.markup(
        item, "answer_en", MAX_ANSWER_VISIBLE
    )
    for ref in refs:
        out.entry_refs.append(Ref(check.path, item.text_lines["answer"], ref, "link"))
    for ref in f.get("related", ()):
        out.entry_refs.append(Ref(check.path, item.key_lines["related"], ref, "related entry"))
        if ref == entry_id:
            check.error(item.key_lines["related"], f"entry '{entry_id}' lists itself as related")
    if "guide" in f:
        out.guide_refs.append(Ref(check.path, item.key_lines["guide"], f["guide"], "guide"))


def _read_programme(raw: LineDict, check: Checker) -> Programme | None:
    """An entry's `programme:` facts; None unless every required fact is valid."""
    f = check.fields(raw, PROGRAMME_SPECS, "programme", raw.line)
    if "kind" in f and f["kind"] not in PROGRAMME_KINDS:
        check.error(
            raw.key_lines["kind"], f"programme kind '{f['kind']}' is not one of: {', '.join(PROGRAMME_KINDS)}"
        )
    for sector in f.get("sectors", ()):
        if sector != "all" and sector not in SECTORS:
            check.error(
                raw.key_lines["sectors"], f"sector '{sector}' is not 'all' or one of: {', '.join(SECTORS)}"
            )
    for key in PROGRAMME_SPECS:
        if key in f and isinstance(f[key], str):
            check.markup(raw, key, 400)
    if not required(PROGRAMME_SPECS) <= f.keys():
        return None
    return Programme(**f)


def _check_distinct(check: Checker, item: LineDict, entry_id: str) -> None:
    """Phrasings must differ from each other, and test questions must not copy them."""
    seen: set[str] = set()
    for key in ("phrasings", "test_questions"):
        raw = item.get(key)
        if not isinstance(raw, LineList):
            continue
        for text, line in zip(raw, raw.item_lines, strict=True):
            folded = fold(str(text))
            if folded in seen and key == "phrasings":
                check.error(line, f"entry '{entry_id}' repeats the phrasing {str(text)!r}")
            elif folded in seen:
                check.error(line, f"test question {str(text)!r} copies a phrasing; word it differently")
            if key == "phrasings":
                seen.add(folded)


def read_guides(data: Any, check: Checker, out: Collected) -> None:
    """guides.yaml: multi-step walk-throughs; each step may point to entries."""
    for item, line in check.items(data, "guides", 1):
        f = check.fields(item, GUIDE_SPECS, "guide", line)
        if "id" not in f:
            continue
        if not GUIDE_ID_RE.match(f["id"]):
            check.error(item.key_lines["id"], f"guide id '{f['id']}' must look like guide.name")
        if f["id"] in out.guides:
            check.error(item.key_lines["id"], f"duplicate guide id '{f['id']}'")
        for key in ("intro", "intro_en"):
            for ref in check.markup(item, key, MAX_STEP_VISIBLE):
                out.entry_refs.append(Ref(check.path, item.text_lines[key], ref, "link"))
        steps = _read_steps(check, out, item, f.get("steps"))
        if required(GUIDE_SPECS) <= f.keys() and f["id"] not in out.guides:
            out.guides[f["id"]] = Guide(
                id=f["id"],
                title=f["title"],
                title_en=f.get("title_en", ""),
                intro=f["intro"],
                intro_en=f.get("intro_en", ""),
                steps=tuple(steps),
                source=f["source"],
                reviewed=f["reviewed"],
            )


def _read_steps(check: Checker, out: Collected, item: LineDict, raw_steps: Any) -> list[GuideStep]:
    """A guide's steps (at least two); the valid ones, in order."""
    steps: list[GuideStep] = []
    if raw_steps is None:
        return steps
    if not isinstance(raw_steps, LineList):
        check.error(item.key_lines["steps"], "'steps' must be a list")
        return steps
    if len(raw_steps) < 2:
        check.error(item.key_lines["steps"], "a guide needs at least 2 steps")
    for raw, step_line in zip(raw_steps, raw_steps.item_lines, strict=True):
        s = check.fields(raw, STEP_SPECS, "guide step", step_line)
        for key in ("text", "text_en"):
            for ref in check.markup(raw, key, MAX_STEP_VISIBLE):
                out.entry_refs.append(Ref(check.path, raw.text_lines[key], ref, "link"))
        for ref in s.get("entries", ()):
            out.entry_refs.append(Ref(check.path, raw.key_lines["entries"], ref, "guide step entry"))
        if {"title", "text"} <= s.keys():
            steps.append(GuideStep(**s))
    return steps
