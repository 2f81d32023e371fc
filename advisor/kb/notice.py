"""Reader for `privacy.yaml`: the privacy notice, checked like every other text a person reads.

Both languages are required, for the short notice shown with the consent buttons and for
the full one; only the placeholders the bot fills in are allowed ({operator}, {contact},
{months}, {days}); the version travels in the consent buttons, so it is a short ASCII word.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Any

from advisor import markup
from advisor.kb.collected import Collected
from advisor.kb.models import LANGUAGES, PrivacyNotice
from advisor.kb.schema import DATE, MAPPING, TEXT, Checker, Spec
from advisor.kb.wording import _placeholders
from advisor.kb.yamlsource import LineDict

PLACEHOLDERS = frozenset({"operator", "contact", "months", "days"})
"""What the bot fills into the notice (see `advisor.privacy.notice_values`)."""
VERSION = re.compile(r"^[A-Za-z0-9._-]{1,16}$")
MAX_SUMMARY = 1500
MAX_TEXT = 12000

SPECS = {
    "version": Spec(TEXT, True),
    "reviewed": Spec(DATE),
    "summary": Spec(MAPPING, True),
    "text": Spec(MAPPING, True),
}


def read_privacy(data: Any, check: Checker, out: Collected) -> None:
    """The notice's version and its short and full texts in every language."""
    f = check.fields(data, SPECS, "privacy notice", 1)
    version = f.get("version")
    if version is not None and not VERSION.match(version):
        check.error(data.key_lines["version"], "'version' must be 1-16 letters, digits, '.', '-' or '_'")
        version = None
    texts = {
        key: _texts(data, f.get(key), key, limit, check)
        for key, limit in (("summary", MAX_SUMMARY), ("text", MAX_TEXT))
    }
    if version is None or None in texts.values():
        return
    out.privacy = PrivacyNotice(version, texts["summary"], texts["text"], f.get("reviewed"))


def _texts(data: LineDict, raw: Any, key: str, limit: int, check: Checker) -> MappingProxyType | None:
    """One text of the notice in every language, or None after reporting what is wrong."""
    if not isinstance(raw, LineDict):
        return None
    line = data.key_lines[key]
    langs = check.fields(raw, {lang: Spec(TEXT, True) for lang in LANGUAGES}, f"privacy '{key}'", line)
    ok = len(langs) == len(LANGUAGES)
    for lang, text in langs.items():
        unknown = _placeholders(text) - PLACEHOLDERS
        if unknown:
            check.error(
                raw.key_lines[lang],
                f"privacy '{key}' ({lang}) uses unknown placeholder(s) {sorted(unknown)} "
                f"(allowed: {', '.join('{' + p + '}' for p in sorted(PLACEHOLDERS))})",
            )
            ok = False
        rendered = markup.render(text)
        for err in rendered.errors:
            check.error(raw.text_lines.get(lang, line) + err.line, f"privacy '{key}' ({lang}): {err.message}")
            ok = False
        visible = markup.visible_length(markup.html_visible_text(rendered.html))
        if visible > limit:
            check.error(
                raw.key_lines[lang],
                f"privacy '{key}' ({lang}) is too long ({visible} characters, at most {limit})",
            )
            ok = False
    return MappingProxyType(langs) if ok else None
