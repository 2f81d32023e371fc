"""Tables as CSV that is safe to open in a spreadsheet.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel and
LibreOffice as a formula: a cooperative named `=HYPERLINK("http://...","Bấm vào đây")` would
become a live link in an officer's sheet. Such text cells get a leading apostrophe, which
spreadsheets show as plain text (OWASP's advice for CSV injection). Numbers stay numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Mapping, Sequence

from advisor.coop_views import VIETNAM

TIME_COLUMNS = frozenset({"first_seen", "last_seen", "at", "send_at"})
"""Besides every `*_at` column: the columns holding a time."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """The value as written to a cell: text that a spreadsheet would evaluate is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def for_people(
    rows: Sequence[Mapping[str, object]],
    admins: frozenset[int] = frozenset(),
    officers: frozenset[int] = frozenset(),
    sectors: Mapping[str, str] | None = None,
) -> list[dict[str, object]]:
    """Rows as an officer reads them in a spreadsheet: times in Vietnam time (the zone in the
    column's name), a result's pillar scores one column each, sectors by name (`sectors`: code
    -> name) and the role of users whose rights come from the server's configuration."""
    out = []
    for row in rows:
        readable: dict[str, object] = {}
        for key, value in row.items():
            if key in TIME_COLUMNS or key.endswith("_at"):
                readable[f"{key} (UTC+7)"] = _local(value)
            elif key == "pillar_scores":
                scores = json.loads(value) if isinstance(value, str) and value else {}
                readable.update({f"score_{pillar}": score for pillar, score in scores.items()})
            elif key == "sector" and sectors and value in sectors:
                readable[key] = sectors[value]
            elif key == "role" and row.get("id") in admins | officers:
                readable[key] = "admin (config)" if row.get("id") in admins else "officer (config)"
            else:
                readable[key] = value
        out.append(readable)
    return out


def _local(value: object) -> object:
    if not isinstance(value, str) or not value:
        return value
    try:
        stamp = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp.astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M:%S")


def csv_text(rows: Sequence[Mapping[str, object]], notice: str = "") -> str:
    """Rows as CSV, the header from the first row's keys; empty for no rows. `notice` is a
    first line of one cell above the header (the data is personal and must be protected),
    which a spreadsheet shows in A1."""
    if not rows:
        return ""
    out = io.StringIO()
    if notice:
        csv.writer(out).writerow([safe_cell(notice)])
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows({key: safe_cell(value) for key, value in row.items()} for row in rows)
    return out.getvalue()
