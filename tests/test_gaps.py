"""The curators' to-do list: unanswered questions grouped."""

from __future__ import annotations

from advisor import gaps


def test_gaps_group_similar_questions() -> None:
    rows = [
        {"text": t, "normalised": t, "decision": "decline", "asked_at": "2026-11-22"}
        for t in ("gia vang hom nay", "gia vang hom nay bao nhieu", "thoi tiet ngay mai", "gia vang")
    ]
    grouped = gaps.group(rows)
    assert grouped[0].count == 3 and grouped[1].count == 1
