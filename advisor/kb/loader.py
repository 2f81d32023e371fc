"""Load the knowledge folder and validate all of it, reporting every problem at once.

`load_knowledge(dir)` never raises for bad content: it returns the problems (each one
`path:line: message`) and, only when there are no errors, a new immutable
`KnowledgeBase`. The running bot keeps its old knowledge base unless a new one loads
cleanly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from advisor import markup
from advisor.assessment import Condition, Level, Option, Pillar, Question, Questionnaire
from advisor.kb.models import (
    LANGUAGES,
    PROGRAMME_KINDS,
    SECTORS,
    Entry,
    Guide,
    GuideStep,
    KnowledgeBase,
    Problem,
    Programme,
    Synonyms,
    Topic,
    UiTexts,
)
from advisor.kb.yamlsource import LineDict, LineList, YamlError, read_yaml
from advisor.text import fold

ENTRY_ID_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
GUIDE_ID_RE = re.compile(r"^guide\.[a-z0-9_]+$")
TOPIC_ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,15}$")
MIN_PHRASINGS = 3
MIN_TEST_QUESTIONS = 2
MAX_TITLE = 120
MAX_PHRASING = 300
MAX_SOURCE = 500
MAX_ANSWER_VISIBLE = 3500  # leaves room for title, source and date in one 4096-char message
MAX_STEP_VISIBLE = 3000
STALE_AFTER = dt.timedelta(days=365)
SPECIAL_FILES = ("topics.yaml", "guides.yaml", "synonyms.yaml", "ui.yaml", "assessment.yaml")


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


# --- field checking -------------------------------------------------------------------

TEXT, TEXT_LIST, DATE, MAPPING, ANY = "text", "list of texts", "date (YYYY-MM-DD)", "mapping", "any"


@dataclass(frozen=True)
class Spec:
    kind: str
    required: bool = False
    max_len: int | None = None
    min_items: int = 0


class _Checker:
    """Collects problems for one file while reading its fields."""

    def __init__(self, path: str, problems: list[Problem], today: dt.date, file: Path | None = None) -> None:
        self.path = path
        self.file = file
        self.problems = problems
        self.today = today

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message))

    def warn(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message, warning=True))

    def fields(self, mapping: Any, specs: dict[str, Spec], what: str, line: int) -> dict[str, Any]:
        """Check a mapping against specs; return the fields that have the right type."""
        if not isinstance(mapping, LineDict):
            self.error(line, f"{what} must be a mapping of fields")
            return {}
        out: dict[str, Any] = {}
        for key in mapping:
            if key not in specs:
                known = ", ".join(specs)
                self.error(mapping.key_lines[key], f"unknown field '{key}' in {what} (known: {known})")
        for key, spec in specs.items():
            if key not in mapping or mapping[key] is None:
                if spec.required:
                    self.error(mapping.line, f"{what} is missing required field '{key}'")
                continue
            value = self._typed(mapping, key, spec, what)
            if value is not None:
                out[key] = value
        return out

    def _typed(self, mapping: LineDict, key: str, spec: Spec, what: str) -> Any:
        value, line = mapping[key], mapping.key_lines[key]
        if spec.kind == TEXT:
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                self.error(line, f"'{key}' must be text")
                return None
            text = str(value).strip()
            if not text:
                self.error(line, f"'{key}' is empty")
                return None
            if spec.max_len and len(text) > spec.max_len:
                self.error(line, f"'{key}' is too long ({len(text)} characters, at most {spec.max_len})")
            return text
        if spec.kind == TEXT_LIST:
            if not isinstance(value, LineList):
                self.error(line, f"'{key}' must be a list")
                return None
            texts: list[str] = []
            for item, item_line in zip(value, value.item_lines, strict=True):
                if isinstance(item, bool) or not isinstance(item, str | int | float) or not str(item).strip():
                    self.error(item_line, f"'{key}' items must be non-empty text")
                    continue
                if spec.max_len and len(str(item)) > spec.max_len:
                    self.error(item_line, f"'{key}' item is too long (at most {spec.max_len} characters)")
                texts.append(str(item).strip())
            if len(texts) < spec.min_items:
                self.error(line, f"'{key}' needs at least {spec.min_items} items, has {len(texts)}")
            return tuple(texts)
        if spec.kind == DATE:
            if isinstance(value, dt.datetime):
                value = value.date()
            if not isinstance(value, dt.date):
                self.error(line, f"'{key}' must be a date written YYYY-MM-DD, got {value!r}")
                return None
            if value > self.today:
                self.error(line, f"'{key}' date {value.isoformat()} is in the future")
            elif self.today - value > STALE_AFTER:
                self.warn(line, f"'{key}' {value.isoformat()} is more than 12 months ago; review it")
            return value
        if spec.kind == MAPPING:
            if not isinstance(value, LineDict):
                self.error(line, f"'{key}' must be a mapping")
                return None
            return value
        return value

    def markup(self, mapping: LineDict, key: str, limit: int) -> tuple[str, ...]:
        """Check the formatting subset and rendered length of a text field; return entry refs."""
        text = mapping.get(key)
        if not isinstance(text, str):
            return ()
        base = mapping.text_lines.get(key, mapping.line)
        rendered = markup.render(text)
        for err in rendered.errors:
            self.error(base + err.line, f"'{key}': {err.message}")
        visible = markup.visible_length(markup.html_visible_text(rendered.html))
        if visible > limit:
            self.error(
                mapping.key_lines[key],
                f"'{key}' is too long after formatting ({visible} characters, at most {limit}); "
                "shorten it or move part into a related entry",
            )
        return rendered.entry_refs

    def items(self, container: Any, key: str, line: int) -> Iterable[tuple[Any, int]]:
        """The items of a top-level list with their lines; reports a missing/non-list key."""
        if not isinstance(container, LineDict) or key not in container:
            self.error(line, f"file must have a top-level '{key}:' list")
            return []
        value = container[key]
        if not isinstance(value, LineList):
            self.error(container.key_lines[key], f"'{key}' must be a list")
            return []
        return zip(value, value.item_lines, strict=True)


# --- the pieces of the knowledge base --------------------------------------------------

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


@dataclass
class _Ref:
    """A reference to check once every file is read."""

    path: str
    line: int
    target: str
    what: str


@dataclass
class _Collected:
    topics: list[Topic] = field(default_factory=list)
    entries: dict[str, Entry] = field(default_factory=dict)
    entry_places: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    guides: dict[str, Guide] = field(default_factory=dict)
    synonyms: Synonyms = field(default_factory=Synonyms)
    ui: UiTexts = field(default_factory=UiTexts)
    entry_refs: list[_Ref] = field(default_factory=list)
    guide_refs: list[_Ref] = field(default_factory=list)
    topic_refs: list[_Ref] = field(default_factory=list)
    assessment: Questionnaire | None = None


def _read_topics(data: Any, check: _Checker, out: _Collected) -> None:
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


def _read_programme(raw: LineDict, check: _Checker) -> Programme | None:
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
    required = {k for k, s in PROGRAMME_SPECS.items() if s.required}
    if not required <= f.keys():
        return None
    return Programme(**f)


def _read_entries(data: Any, check: _Checker, out: _Collected) -> None:
    file_topic = data.get("topic") if isinstance(data, LineDict) else None
    if isinstance(data, LineDict):
        for key in data:
            if key not in ("topic", "entries"):
                check.error(data.key_lines[key], f"unknown top-level field '{key}' (expected topic, entries)")
        if file_topic is not None:
            out.topic_refs.append(_Ref(check.path, data.key_lines["topic"], str(file_topic), "topic"))
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
            out.topic_refs.append(_Ref(check.path, item.key_lines["topic"], topic, "topic"))
        refs = check.markup(item, "answer", MAX_ANSWER_VISIBLE) + check.markup(
            item, "answer_en", MAX_ANSWER_VISIBLE
        )
        for ref in refs:
            out.entry_refs.append(_Ref(check.path, item.text_lines["answer"], ref, "link"))
        for ref in f.get("related", ()):
            out.entry_refs.append(_Ref(check.path, item.key_lines["related"], ref, "related entry"))
            if ref == entry_id:
                check.error(item.key_lines["related"], f"entry '{entry_id}' lists itself as related")
        if "guide" in f:
            out.guide_refs.append(_Ref(check.path, item.key_lines["guide"], f["guide"], "guide"))
        _check_distinct(check, item, entry_id)
        programme = _read_programme(f["programme"], check) if "programme" in f else None
        if topic is None or not {k for k, s in ENTRY_SPECS.items() if s.required} <= f.keys():
            continue
        if entry_id in out.entries:
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


def _check_distinct(check: _Checker, item: LineDict, entry_id: str) -> None:
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


def _read_guides(data: Any, check: _Checker, out: _Collected) -> None:
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
                out.entry_refs.append(_Ref(check.path, item.text_lines[key], ref, "link"))
        steps: list[GuideStep] = []
        raw_steps = f.get("steps")
        if raw_steps is not None and not isinstance(raw_steps, LineList):
            check.error(item.key_lines["steps"], "'steps' must be a list")
        elif raw_steps is not None:
            if len(raw_steps) < 2:
                check.error(item.key_lines["steps"], "a guide needs at least 2 steps")
            for raw, step_line in zip(raw_steps, raw_steps.item_lines, strict=True):
                s = check.fields(raw, STEP_SPECS, "guide step", step_line)
                for key in ("text", "text_en"):
                    for ref in check.markup(raw, key, MAX_STEP_VISIBLE):
                        out.entry_refs.append(_Ref(check.path, raw.text_lines[key], ref, "link"))
                for ref in s.get("entries", ()):
                    out.entry_refs.append(_Ref(check.path, raw.key_lines["entries"], ref, "guide step entry"))
                if {"title", "text"} <= s.keys():
                    steps.append(GuideStep(**s))
        if {k for k, s in GUIDE_SPECS.items() if s.required} <= f.keys() and f["id"] not in out.guides:
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


def _read_synonyms(data: Any, check: _Checker, out: _Collected) -> None:
    f = check.fields(
        data,
        {"abbreviations": Spec(MAPPING, True), "fillers": Spec(TEXT_LIST), "domain": Spec(TEXT_LIST)},
        "synonyms file",
        1,
    )
    abbreviations: dict[str, str] = {}
    raw = f.get("abbreviations")
    if isinstance(raw, LineDict):
        for short, long in raw.items():
            line = raw.key_lines[short]
            if not isinstance(long, str) or not long.strip():
                check.error(line, f"abbreviation '{short}' must expand to text")
                continue
            key = fold(short)
            if " " in key or not key:
                check.error(line, f"abbreviation '{short}' must be a single word")
                continue
            if key in abbreviations:
                check.error(line, f"abbreviation '{short}' is listed twice")
            abbreviations[key] = fold(long)
    fillers = tuple(fold(text) for text in f.get("fillers", ()))
    domain = tuple(fold(text) for text in f.get("domain", ()))
    out.synonyms = Synonyms(MappingProxyType(abbreviations), fillers, domain)


def _placeholders(template: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}
    except ValueError:
        return {"<invalid>"}


def _read_ui(data: Any, check: _Checker, out: _Collected) -> None:
    from advisor.kb.ui_keys import REQUIRED_UI_KEYS

    f = check.fields(data, {"texts": Spec(MAPPING, True)}, "ui file", 1)
    raw = f.get("texts")
    if not isinstance(raw, LineDict):
        return
    texts: dict[str, MappingProxyType] = {}
    for key, variants in raw.items():
        line = raw.key_lines[key]
        langs = check.fields(variants, {lang: Spec(TEXT, True) for lang in LANGUAGES}, f"text '{key}'", line)
        names = {lang: _placeholders(text) for lang, text in langs.items()}
        if "<invalid>" in set().union(*names.values()) if names else False:
            check.error(line, f"text '{key}' has a broken {{placeholder}} (use {{{{ and }}}} for braces)")
        elif len(names) == len(LANGUAGES) and names["vi"] != names["en"]:
            check.error(
                line,
                f"text '{key}' uses different placeholders in vi {sorted(names['vi'])} "
                f"and en {sorted(names['en'])}",
            )
        for lang in langs:
            rendered = markup.render(variants[lang])
            for err in rendered.errors:
                check.error(variants.text_lines[lang] + err.line, f"text '{key}' ({lang}): {err.message}")
        texts[key] = MappingProxyType(langs)
    for key in sorted(set(REQUIRED_UI_KEYS) - texts.keys()):
        check.error(raw.line, f"interface text '{key}' is missing (the bot uses it)")
    out.ui = UiTexts(MappingProxyType(texts))


# --- the whole folder ------------------------------------------------------------------

READERS: dict[str, Callable[[Any, _Checker, _Collected], None]] = {
    "topics.yaml": _read_topics,
    "guides.yaml": _read_guides,
    "synonyms.yaml": _read_synonyms,
    "ui.yaml": _read_ui,
}


def _knowledge_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _version(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()[:8]


def _resolve(out: _Collected, problems: list[Problem]) -> None:
    """Cross-file checks: duplicates and references that point nowhere."""
    for entry_id, places in out.entry_places.items():
        if len(places) > 1:
            where = ", ".join(f"{p}:{line}" for p, line in places)
            for path, line in places:
                problems.append(Problem(path, line, f"duplicate id '{entry_id}' (defined at {where})"))
    topic_ids = {t.id for t in out.topics}
    for ref in out.topic_refs:
        if ref.target not in topic_ids:
            problems.append(
                Problem(
                    ref.path,
                    ref.line,
                    f"unknown topic '{ref.target}' (topics.yaml lists: {', '.join(sorted(topic_ids))})",
                )
            )
    for ref in out.entry_refs:
        if ref.target not in out.entry_places:
            problems.append(Problem(ref.path, ref.line, f"{ref.what} '{ref.target}' points to no entry"))
    for ref in out.guide_refs:
        if ref.target not in out.guides:
            problems.append(Problem(ref.path, ref.line, f"guide '{ref.target}' does not exist"))


def load_knowledge(root: Path, today: dt.date | None = None) -> LoadResult:
    """Load and validate a knowledge folder; the KB is returned only when error-free."""
    today = today or dt.date.today()
    problems: list[Problem] = []
    root_name = _display(root)
    if not root.is_dir():
        return LoadResult(None, [Problem(root_name, 0, "knowledge folder does not exist")])
    files = _knowledge_files(root)
    out = _Collected()
    for path in files:
        shown = _display(path)
        check = _Checker(shown, problems, today, path)
        relative = path.relative_to(root)
        if relative.parts[0] == "faq" and len(relative.parts) == 2:
            reader = _read_entries
        elif str(relative) in READERS:
            reader = READERS[str(relative)]
        elif str(relative) == "assessment.yaml":
            reader = _read_assessment
        else:
            check.error(
                1, f"unknown knowledge file (expected faq/*.yaml or one of {', '.join(SPECIAL_FILES)})"
            )
            continue
        try:
            data = read_yaml(path)
        except YamlError as exc:
            check.error(exc.line, exc.message)
            continue
        reader(data, check, out)
    for required in ("topics.yaml", "synonyms.yaml", "ui.yaml"):
        if not (root / required).is_file():
            problems.append(Problem(f"{root_name}/{required}", 0, "required file is missing"))
    _resolve(out, problems)
    problems.sort(key=lambda p: (p.path, p.line))
    if any(not p.warning for p in problems):
        return LoadResult(None, problems)
    kb = KnowledgeBase(
        topics=tuple(out.topics),
        entries=MappingProxyType(dict(out.entries)),
        guides=MappingProxyType(dict(out.guides)),
        synonyms=out.synonyms,
        ui=out.ui,
        version=_version(files),
        assessment=out.assessment,
    )
    return LoadResult(kb, problems)


ASSESSMENT_SPECS = {
    "title": Spec(TEXT, True, MAX_TITLE),
    "title_en": Spec(TEXT, False, MAX_TITLE),
    "intro": Spec(TEXT, True),
    "intro_en": Spec(TEXT),
    "source": Spec(TEXT, True, MAX_SOURCE),
    "reviewed": Spec(DATE, True),
    "pillars": Spec(ANY, True),
    "levels": Spec(ANY, True),
    "questions": Spec(ANY, True),
}
PILLAR_SPECS = {
    "id": Spec(TEXT, True, 24),
    "title": Spec(TEXT, True, 60),
    "title_en": Spec(TEXT, False, 60),
    "advice": Spec(TEXT, True),
    "advice_en": Spec(TEXT),
    "entries": Spec(TEXT_LIST),
    "programmes": Spec(TEXT_LIST),
}
LEVEL_SPECS = {
    "id": Spec(ANY, True),
    "name": Spec(TEXT, True, 60),
    "name_en": Spec(TEXT, False, 60),
    "min": Spec(ANY, True),
    "meaning": Spec(TEXT, True),
    "meaning_en": Spec(TEXT),
    "entries": Spec(TEXT_LIST),
    "programmes": Spec(TEXT_LIST),
}
QUESTION_SPECS = {
    "id": Spec(TEXT, True, 24),
    "pillar": Spec(TEXT, True),
    "text": Spec(TEXT, True, 300),
    "text_en": Spec(TEXT, False, 300),
    "only_if": Spec(MAPPING),
    "options": Spec(ANY, True),
}
OPTION_SPECS = {"text": Spec(TEXT, True, 60), "text_en": Spec(TEXT, False, 60), "score": Spec(ANY, True)}
OPTIONS_PER_QUESTION = 4
SHORT_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_ADVICE_VISIBLE = 1500


def _listed(check: _Checker, f: dict[str, Any], item: LineDict, key: str) -> list[tuple[Any, int]]:
    raw = f.get(key)
    if raw is None:
        return []
    if not isinstance(raw, LineList):
        check.error(item.key_lines[key], f"'{key}' must be a list")
        return []
    return list(zip(raw, raw.item_lines, strict=True))


def _refs(check: _Checker, out: _Collected, item: LineDict, f: dict[str, Any]) -> None:
    for key, what in (("entries", "entry"), ("programmes", "programme")):
        for ref in f.get(key, ()):
            out.entry_refs.append(_Ref(check.path, item.key_lines[key], ref, what))


def _read_pillars(check: _Checker, out: _Collected, data: LineDict, f: dict[str, Any]) -> list[Pillar]:
    pillars: list[Pillar] = []
    for item, line in _listed(check, f, data, "pillars"):
        p = check.fields(item, PILLAR_SPECS, "pillar", line)
        if "id" in p and not SHORT_ID_RE.match(p["id"]):
            check.error(item.key_lines["id"], f"pillar id '{p['id']}' must be lower-case ASCII")
        if "id" in p and any(existing.id == p["id"] for existing in pillars):
            check.error(item.key_lines["id"], f"duplicate pillar id '{p['id']}'")
            continue
        for key in ("advice", "advice_en"):
            for ref in check.markup(item, key, MAX_ADVICE_VISIBLE):
                out.entry_refs.append(_Ref(check.path, item.text_lines[key], ref, "link"))
        _refs(check, out, item, p)
        if {"id", "title", "advice"} <= p.keys():
            pillars.append(Pillar(**p))
    if not pillars:
        check.error(data.line, "the questionnaire needs at least one pillar")
    return pillars


def _read_levels(check: _Checker, out: _Collected, data: LineDict, f: dict[str, Any]) -> list[Level]:
    levels: list[Level] = []
    for item, line in _listed(check, f, data, "levels"):
        lv = check.fields(item, LEVEL_SPECS, "level", line)
        if "id" in lv and (isinstance(lv["id"], bool) or not isinstance(lv["id"], int)):
            check.error(item.key_lines["id"], "level id must be a whole number")
            continue
        minimum = lv.get("min")
        if minimum is not None and (isinstance(minimum, bool) or not isinstance(minimum, int | float)):
            check.error(item.key_lines["min"], "level 'min' must be a number from 0 to 100")
            continue
        if minimum is not None and not 0 <= minimum <= 100:
            check.error(item.key_lines["min"], f"level 'min' {minimum} is outside 0-100")
        if levels and minimum is not None and minimum <= levels[-1].min:
            check.error(item.key_lines["min"], f"level 'min' {minimum} must be above the previous level's")
        if not levels and minimum not in (None, 0):
            check.error(
                item.key_lines["min"], "the first level must start at min 0, so every score has a level"
            )
        for key in ("meaning", "meaning_en"):
            for ref in check.markup(item, key, MAX_ADVICE_VISIBLE):
                out.entry_refs.append(_Ref(check.path, item.text_lines[key], ref, "link"))
        _refs(check, out, item, lv)
        if {"id", "name", "min", "meaning"} <= lv.keys():
            levels.append(Level(**{**lv, "min": float(lv["min"])}))
    if not levels:
        check.error(data.line, "the questionnaire needs at least one level")
    return levels


def _read_options(check: _Checker, item: LineDict, q: dict[str, Any], line: int) -> tuple[Option, ...]:
    options: list[Option] = []
    raw = _listed(check, q, item, "options")
    if "options" in q and len(raw) != OPTIONS_PER_QUESTION:
        check.error(
            item.key_lines["options"],
            f"a question needs exactly {OPTIONS_PER_QUESTION} options, has {len(raw)}",
        )
    for option, option_line in raw:
        o = check.fields(option, OPTION_SPECS, "option", option_line)
        score = o.get("score")
        if "score" in o and (isinstance(score, bool) or not isinstance(score, int) or score < 0):
            check.error(option.key_lines["score"], "option 'score' must be a whole number, 0 or more")
            continue
        if {"text", "score"} <= o.keys():
            options.append(Option(**o))
    return tuple(options)


def _read_condition(
    check: _Checker, item: LineDict, q: dict[str, Any], earlier: dict[str, Question]
) -> Condition | None:
    raw = q.get("only_if")
    if raw is None:
        return None
    c = check.fields(raw, {"question": Spec(TEXT, True), "options": Spec(ANY, True)}, "only_if", raw.line)
    target = earlier.get(c.get("question", ""))
    if "question" in c and target is None:
        check.error(
            raw.key_lines["question"], f"only_if question '{c['question']}' is not an earlier question"
        )
        return None
    options = c.get("options")
    if (
        not isinstance(options, list)
        or not options
        or not all(isinstance(i, int) and not isinstance(i, bool) for i in options)
    ):
        check.error(raw.line, "only_if 'options' must be a list of option numbers (0 = first option)")
        return None
    if target is not None and any(not 0 <= i < len(target.options) for i in options):
        check.error(
            raw.key_lines["options"], f"only_if options {options} do not exist in question '{target.id}'"
        )
        return None
    return Condition(c["question"], frozenset(options)) if target else None


def _read_questions(
    check: _Checker, data: LineDict, f: dict[str, Any], pillars: list[Pillar]
) -> list[Question]:
    questions: dict[str, Question] = {}
    pillar_ids = {p.id for p in pillars}
    for item, line in _listed(check, f, data, "questions"):
        q = check.fields(item, QUESTION_SPECS, "question", line)
        if "id" in q and not SHORT_ID_RE.match(q["id"]):
            check.error(item.key_lines["id"], f"question id '{q['id']}' must be lower-case ASCII")
        if q.get("id") in questions:
            check.error(item.key_lines["id"], f"duplicate question id '{q['id']}'")
            continue
        if "pillar" in q and q["pillar"] not in pillar_ids:
            check.error(item.key_lines["pillar"], f"pillar '{q['pillar']}' is not defined under pillars")
        options = _read_options(check, item, q, line)
        condition = _read_condition(check, item, q, questions)
        if {"id", "pillar", "text", "options"} <= q.keys() and len(options) == OPTIONS_PER_QUESTION:
            fields = {k: v for k, v in q.items() if k not in ("options", "only_if")}
            questions[q["id"]] = Question(**fields, options=options, only_if=condition)
    for pillar in pillars:
        if not any(question.pillar == pillar.id for question in questions.values()):
            check.error(data.key_lines.get("pillars", data.line), f"pillar '{pillar.id}' has no questions")
    return list(questions.values())


def _read_assessment(data: Any, check: _Checker, out: _Collected) -> None:
    """The self-assessment questionnaire: pillars, levels and questions (see README)."""
    f = check.fields(data, ASSESSMENT_SPECS, "questionnaire", 1)
    if not isinstance(data, LineDict):
        return
    for key in ("intro", "intro_en"):
        check.markup(data, key, MAX_ADVICE_VISIBLE)
    pillars = _read_pillars(check, out, data, f)
    levels = _read_levels(check, out, data, f)
    questions = _read_questions(check, data, f, pillars)
    if not questions or not {"title", "intro", "source", "reviewed"} <= f.keys():
        return
    out.assessment = Questionnaire(
        title=f["title"],
        title_en=f.get("title_en", ""),
        intro=f["intro"],
        intro_en=f.get("intro_en", ""),
        source=f["source"],
        pillars=tuple(pillars),
        levels=tuple(levels),
        questions=tuple(questions),
        version=_version([check.file]) if check.file else "0",
    )
