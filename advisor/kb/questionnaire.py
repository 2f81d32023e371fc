"""Reader for `assessment.yaml`, the self-assessment questionnaire: pillars, levels, questions.

Beyond field types it checks what scoring relies on: levels start at 0 and rise, every
question has exactly four options with whole-number scores, every pillar has questions,
and an `only_if` condition names an earlier question and options that exist.
"""

from __future__ import annotations

import re
from typing import Any

from advisor.assessment import Condition, Level, Option, Pillar, Question, Questionnaire
from advisor.kb.collected import Collected, Ref
from advisor.kb.schema import ANY, DATE, MAPPING, MAX_SOURCE, MAX_TITLE, TEXT, TEXT_LIST, Checker, Spec
from advisor.kb.yamlsource import LineDict, fingerprint

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
CONDITION_SPECS = {"question": Spec(TEXT, True), "options": Spec(ANY, True)}
OPTIONS_PER_QUESTION = 4
SHORT_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_ADVICE_VISIBLE = 1500


def read_assessment(data: Any, check: Checker, out: Collected) -> None:
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
        version=fingerprint([check.file]) if check.file else "0",
    )


def _note_refs(
    check: Checker, out: Collected, item: LineDict, f: dict[str, Any], text_keys: tuple[str, ...]
) -> None:
    """Links in a pillar's or level's texts and its listed entries and programmes."""
    for key in text_keys:
        for ref in check.markup(item, key, MAX_ADVICE_VISIBLE):
            out.entry_refs.append(Ref(check.path, item.text_lines[key], ref, "link"))
    for key, what in (("entries", "entry"), ("programmes", "programme")):
        for ref in f.get(key, ()):
            out.entry_refs.append(Ref(check.path, item.key_lines[key], ref, what))


def _read_pillars(check: Checker, out: Collected, data: LineDict, f: dict[str, Any]) -> list[Pillar]:
    pillars: list[Pillar] = []
    for item, line in check.listed(f, data, "pillars"):
        p = check.fields(item, PILLAR_SPECS, "pillar", line)
        if "id" in p and not SHORT_ID_RE.match(p["id"]):
            check.error(item.key_lines["id"], f"pillar id '{p['id']}' must be lower-case ASCII")
        if "id" in p and any(existing.id == p["id"] for existing in pillars):
            check.error(item.key_lines["id"], f"duplicate pillar id '{p['id']}'")
            continue
        _note_refs(check, out, item, p, ("advice", "advice_en"))
        if {"id", "title", "advice"} <= p.keys():
            pillars.append(Pillar(**p))
    if not pillars:
        check.error(data.line, "the questionnaire needs at least one pillar")
    return pillars


def _read_levels(check: Checker, out: Collected, data: LineDict, f: dict[str, Any]) -> list[Level]:
    """Levels by rising minimum score, the first at 0, so every score has a level."""
    levels: list[Level] = []
    for item, line in check.listed(f, data, "levels"):
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
        _note_refs(check, out, item, lv, ("meaning", "meaning_en"))
        if {"id", "name", "min", "meaning"} <= lv.keys():
            levels.append(Level(**{**lv, "min": float(lv["min"])}))
    if not levels:
        check.error(data.line, "the questionnaire needs at least one level")
    return levels


def _read_options(check: Checker, item: LineDict, q: dict[str, Any]) -> tuple[Option, ...]:
    options: list[Option] = []
    raw = check.listed(q, item, "options")
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


def _read_condition(check: Checker, q: dict[str, Any], earlier: dict[str, Question]) -> Condition | None:
    """`only_if`: ask this question only if an earlier one got one of the listed options."""
    raw = q.get("only_if")
    if raw is None:
        return None
    c = check.fields(raw, CONDITION_SPECS, "only_if", raw.line)
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
    check: Checker, data: LineDict, f: dict[str, Any], pillars: list[Pillar]
) -> list[Question]:
    questions: dict[str, Question] = {}
    pillar_ids = {p.id for p in pillars}
    for item, line in check.listed(f, data, "questions"):
        q = check.fields(item, QUESTION_SPECS, "question", line)
        if "id" in q and not SHORT_ID_RE.match(q["id"]):
            check.error(item.key_lines["id"], f"question id '{q['id']}' must be lower-case ASCII")
        if q.get("id") in questions:
            check.error(item.key_lines["id"], f"duplicate question id '{q['id']}'")
            continue
        if "pillar" in q and q["pillar"] not in pillar_ids:
            check.error(item.key_lines["pillar"], f"pillar '{q['pillar']}' is not defined under pillars")
        options = _read_options(check, item, q)
        condition = _read_condition(check, q, questions)
        if {"id", "pillar", "text", "options"} <= q.keys() and len(options) == OPTIONS_PER_QUESTION:
            fields = {k: v for k, v in q.items() if k not in ("options", "only_if")}
            questions[q["id"]] = Question(**fields, options=options, only_if=condition)
    for pillar in pillars:
        if not any(question.pillar == pillar.id for question in questions.values()):
            check.error(data.key_lines.get("pillars", data.line), f"pillar '{pillar.id}' has no questions")
    return list(questions.values())
