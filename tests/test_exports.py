"""Exports are safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io

from advisor.exports import csv_text, for_people


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


def test_exports_read_well_in_a_spreadsheet() -> None:
    rows = [
        {
            "id": 1,
            "role": "member",
            "asked_at": "2026-12-01T01:30:00+00:00",
            "pillar_scores": '{"strategy": 50.0}',
        },
        {"id": 2, "role": "member", "asked_at": None, "pillar_scores": None},
    ]
    [first, second] = for_people(rows, admins=frozenset({2}))
    [coop] = for_people([{"sector": "agriculture"}], sectors={"agriculture": "Nông nghiệp"})
    assert coop["sector"] == "Nông nghiệp"
    assert first["asked_at (UTC+7)"] == "2026-12-01 08:30:00" and first["score_strategy"] == 50.0
    assert "pillar_scores" not in first and second["role"] == "admin (config)"
