"""Vietnam's 34 provinces and centrally-run cities in force since 1 July 2025.

Source: Resolution 202/2025/QH15 of the National Assembly (12 June 2025) on rearranging
provincial-level administrative units. Members still write the 63 old names, so each old
name maps to the province it became part of; `match` accepts either, with or without
diacritics and with typos.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process

from advisor.folding import fold

MERGED_INTO: dict[str, tuple[str, ...]] = {
    # new name: the old provinces it absorbed (besides its own old territory)
    "Hà Nội": (),
    "Huế": ("Thừa Thiên Huế",),
    "Lai Châu": (),
    "Điện Biên": (),
    "Sơn La": (),
    "Lạng Sơn": (),
    "Quảng Ninh": (),
    "Thanh Hóa": (),
    "Nghệ An": (),
    "Hà Tĩnh": (),
    "Cao Bằng": (),
    "Tuyên Quang": ("Hà Giang",),
    "Lào Cai": ("Yên Bái",),
    "Thái Nguyên": ("Bắc Kạn",),
    "Phú Thọ": ("Vĩnh Phúc", "Hòa Bình"),
    "Bắc Ninh": ("Bắc Giang",),
    "Hưng Yên": ("Thái Bình",),
    "Hải Phòng": ("Hải Dương",),
    "Ninh Bình": ("Hà Nam", "Nam Định"),
    "Quảng Trị": ("Quảng Bình",),
    "Đà Nẵng": ("Quảng Nam",),
    "Quảng Ngãi": ("Kon Tum",),
    "Gia Lai": ("Bình Định",),
    "Khánh Hòa": ("Ninh Thuận",),
    "Lâm Đồng": ("Đắk Nông", "Bình Thuận"),
    "Đắk Lắk": ("Phú Yên",),
    "TP. Hồ Chí Minh": ("Bình Dương", "Bà Rịa - Vũng Tàu"),
    "Đồng Nai": ("Bình Phước",),
    "Tây Ninh": ("Long An",),
    "Cần Thơ": ("Sóc Trăng", "Hậu Giang"),
    "Vĩnh Long": ("Bến Tre", "Trà Vinh"),
    "Đồng Tháp": ("Tiền Giang",),
    "Cà Mau": ("Bạc Liêu",),
    "An Giang": ("Kiên Giang",),
}

PROVINCES: tuple[str, ...] = tuple(sorted(MERGED_INTO, key=fold))
"""The 34 names in alphabetical order (folded), as the province buttons show them."""

_ALIASES: dict[str, str] = {
    "ho chi minh": "TP. Hồ Chí Minh",
    "hcm": "TP. Hồ Chí Minh",
    "sai gon": "TP. Hồ Chí Minh",
    "tp hcm": "TP. Hồ Chí Minh",
    "ha noi": "Hà Nội",
    "hn": "Hà Nội",
    "thua thien hue": "Huế",
    "brvt": "TP. Hồ Chí Minh",
    "vung tau": "TP. Hồ Chí Minh",
}
_NAMES: dict[str, str] = {fold(name): name for name in MERGED_INTO}
_NAMES.update({fold(old): new for new, olds in MERGED_INTO.items() for old in olds})
_NAMES.update(_ALIASES)
_PREFIXES = ("tinh ", "thanh pho ", "tp. ", "tp ")
MATCH_CUTOFF = 80


@dataclass(frozen=True)
class ProvinceMatch:
    """A province the text names; `old_name` is set when the text named a pre-2025 province."""

    province: str
    old_name: str | None = None


def _clean(text: str) -> str:
    folded = " ".join(fold(text).replace("-", " ").replace(".", " ").split())
    for prefix in _PREFIXES:
        if folded.startswith(prefix):
            return folded[len(prefix) :]
    return folded


def match(text: str) -> ProvinceMatch | None:
    """The province a member typed ("ben tre", "Tỉnh Bến Tre", "ha noii"), or None."""
    cleaned = _clean(text)[:60]
    if not cleaned:
        return None
    found = _NAMES.get(cleaned)
    key = cleaned
    if found is None:
        best = process.extractOne(cleaned, _NAMES.keys(), scorer=fuzz.ratio, score_cutoff=MATCH_CUTOFF)
        if best is None:
            return None
        key = best[0]
        found = _NAMES[key]
    old = None if key == fold(found) or key in _ALIASES else _display_old(key)
    return ProvinceMatch(found, old)


def _display_old(folded_old: str) -> str | None:
    return next((old for olds in MERGED_INTO.values() for old in olds if fold(old) == folded_old), None)
