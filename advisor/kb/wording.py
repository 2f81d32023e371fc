"""Readers for the bot's wording: `synonyms.yaml` (how members write) and `ui.yaml` (what it says).

Interface texts are checked as strictly as answers: both languages present, the same
`{placeholders}` in each, valid formatting, and every key the bot uses defined.
"""

from __future__ import annotations

import string
from types import MappingProxyType
from typing import Any

from advisor import markup
from advisor.folding import fold
from advisor.kb.collected import Collected
from advisor.kb.models import LANGUAGES, Synonyms, UiTexts
from advisor.kb.schema import MAPPING, TEXT, TEXT_LIST, Checker, Spec
from advisor.kb.ui_keys import REQUIRED_UI_KEYS
from advisor.kb.yamlsource import LineDict

SYNONYMS_SPECS = {"abbreviations": Spec(MAPPING, True), "fillers": Spec(TEXT_LIST), "domain": Spec(TEXT_LIST)}


def read_synonyms(data: Any, check: Checker, out: Collected) -> None:
    """Abbreviations (one word each), filler phrases and domain words, all folded."""
    f = check.fields(data, SYNONYMS_SPECS, "synonyms file", 1)
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


def read_ui(data: Any, check: Checker, out: Collected) -> None:
    """Interface texts by key, each in every language with the same placeholders."""
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
