"""Field specifications and the checker that reads fields against them, line by line.

Curators edit YAML by hand, so every finding names the file and line (`path:line: message`)
and a bad field never stops the reading: the checker records the problem, skips the value
and goes on, so one run reports everything that is wrong.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor import markup
from advisor.kb.models import Problem
from advisor.kb.yamlsource import LineDict, LineList

MAX_TITLE = 120
MAX_SOURCE = 500
STALE_AFTER = dt.timedelta(days=365)

TEXT, TEXT_LIST, DATE, MAPPING, ANY = "text", "list of texts", "date (YYYY-MM-DD)", "mapping", "any"


@dataclass(frozen=True)
class Spec:
    """What one field must hold: its kind, whether it is required, and its limits."""

    kind: str
    required: bool = False
    max_len: int | None = None
    min_items: int = 0


def required(specs: dict[str, Spec]) -> set[str]:
    """The names of the required fields: a record is built only when all of them are valid."""
    return {key for key, spec in specs.items() if spec.required}


class Checker:
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
            value = self._typed(mapping, key, spec)
            if value is not None:
                out[key] = value
        return out

    def _typed(self, mapping: LineDict, key: str, spec: Spec) -> Any:
        """The field's value in its spec's kind, or None after reporting why it is not."""
        value, line = mapping[key], mapping.key_lines[key]
        if spec.kind == TEXT:
            return self._text(key, value, line, spec)
        if spec.kind == TEXT_LIST:
            return self._text_list(key, value, line, spec)
        if spec.kind == DATE:
            return self._date(key, value, line)
        if spec.kind == MAPPING and not isinstance(value, LineDict):
            self.error(line, f"'{key}' must be a mapping")
            return None
        return value

    def _text(self, key: str, value: Any, line: int, spec: Spec) -> str | None:
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

    def _text_list(self, key: str, value: Any, line: int, spec: Spec) -> tuple[str, ...] | None:
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

    def _date(self, key: str, value: Any, line: int) -> dt.date | None:
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

    def listed(self, f: dict[str, Any], item: LineDict, key: str) -> list[tuple[Any, int]]:
        """The items of an optional list field with their lines; reports a non-list value."""
        raw = f.get(key)
        if raw is None:
            return []
        if not isinstance(raw, LineList):
            self.error(item.key_lines[key], f"'{key}' must be a list")
            return []
        return list(zip(raw, raw.item_lines, strict=True))
