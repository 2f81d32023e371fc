"""Folding Vietnamese to plain lower-case ASCII syllables, and tidying text to show back.

Members type with or without diacritics, in NFC or NFD, with old or new tone placement
(hoà/hòa): folding makes all of these the same, for indexing and for every question.
"""

from __future__ import annotations

import functools
import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_SPECIAL = str.maketrans(
    {
        **{"đ": "d", "Đ": "d", "ð": "d", "ı": "i", "ł": "l", "ø": "o", "æ": "ae", "ß": "ss"},
        **{"®": " r ", "©": " c ", "™": " tm ", "℠": " sm "},
    }
)
"""Letters that lose no mark but still differ from ASCII, and the trademark symbols, which
members paste and ask about ("in ® khi chưa đăng ký"): they fold to the letters people
type for them ("chữ R", "TM") rather than vanish."""


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_LATIN = str.maketrans(
    {
        code: _strip_marks(chr(code))
        for block in (range(0x80, 0x250), range(0x300, 0x370), range(0x1E00, 0x1F00))
        for code in block
    }
)
"""`_strip_marks` of every Latin letter and combining mark, one character at a time: marks
are dropped whatever their order, so character by character (or run by run) equals
`_strip_marks` of the whole text, only faster."""


def fold(text: str) -> str:
    """Lower-case ASCII syllables separated by single spaces ("Đăng ký!" -> "dang ky")."""
    stripped = text.translate(_LATIN)
    if not stripped.isascii():  # other scripts, compatibility forms ("ｈｔｘ"), symbols, emoji
        stripped = _NON_ASCII.sub(lambda run: _strip_marks(run.group()), stripped)
    return _NON_WORD.sub(" ", stripped.lower().translate(_SPECIAL)).strip()


def display(text: str) -> str:
    """NFC text with control characters removed and whitespace tidied, for showing back."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch if ch in "\n\t" or unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return re.sub(r"[ \t]+", " ", text).strip()


fold_word = functools.lru_cache(maxsize=16_384)(fold)
"""`fold` of one typed word: members reuse few words, so this is cached."""
