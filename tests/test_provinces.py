"""Provinces: the 34 of 2025 and the old names members still type."""

from __future__ import annotations

from advisor import provinces


def test_34_provinces_and_old_names() -> None:
    assert len(provinces.PROVINCES) == 34
    assert provinces.match("Tiền Giang").province == "Đồng Tháp"
    assert provinces.match("tien giang").old_name == "Tiền Giang"
    assert provinces.match("TP HCM").province == "TP. Hồ Chí Minh"
    assert provinces.match("Thanh Hoá").province == "Thanh Hóa"  # old tone placement
    assert provinces.match("gia lai ").province == "Gia Lai"
    assert provinces.match("ở đâu đó") is None and provinces.match("") is None
