"""Exports are safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io

from advisor.exports import csv_text


def test_no_exported_cell_is_a_formula() -> None:
    rows = [
        {"name": '=HYPERLINK("http://x","Bấm vào đây")', "members": -3, "note": "+84 912"},
        {"name": "@SUM(A1)", "members": 7, "note": "\tcmd"},
        {"name": "HTX Rau sạch", "members": 12, "note": "-"},
    ]
    parsed = list(csv.DictReader(io.StringIO(csv_text(rows))))
    for row in parsed:
        for key in ("name", "note"):
            assert not row[key].startswith(("=", "+", "-", "@", "\t", "\r")), row
    assert parsed[0]["name"] == '\'=HYPERLINK("http://x","Bấm vào đây")'
    assert parsed[0]["members"] == "-3"  # numbers stay numbers
    assert parsed[2]["name"] == "HTX Rau sạch"
    assert csv_text([]) == ""
