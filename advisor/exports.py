"""Tables as CSV that is safe to open in a spreadsheet.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel and
LibreOffice as a formula: a cooperative named `=HYPERLINK("http://...","Bấm vào đây")` would
become a live link in an officer's sheet. Such text cells get a leading apostrophe, which
spreadsheets show as plain text (OWASP's advice for CSV injection). Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """The value as written to a cell: text that a spreadsheet would evaluate is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(rows: Sequence[Mapping[str, object]]) -> str:
    """Rows as CSV, the header from the first row's keys; empty for no rows."""
    if not rows:
        return ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows({key: safe_cell(value) for key, value in row.items()} for row in rows)
    return out.getvalue()
