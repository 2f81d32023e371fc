"""Vietnamese text normalisation, used for indexing and for every question.

Members type with or without diacritics, in NFC or NFD, with old or new tone placement
(hoà/hòa), abbreviations (htx, cds, ko) and greetings around the real question. Folding
everything to lower-case ASCII syllables makes all of these the same; the curators'
`synonyms.yaml` then expands abbreviations and drops filler phrases.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MAX_QUESTION_CHARS = 1000
"""Longer input is cut: a real question fits, and matching time stays bounded."""

_NON_WORD = re.compile(r"[^a-z0-9]+")
_SPECIAL = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "ı": "i", "ł": "l", "ø": "o", "æ": "ae", "ß": "ss"})


def fold(text: str) -> str:
    """Lower-case ASCII syllables separated by single spaces ("Đăng ký!" -> "dang ky")."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", stripped.lower().translate(_SPECIAL)).strip()


def display(text: str) -> str:
    """NFC text with control characters removed and whitespace tidied, for showing back."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch if ch in "\n\t" or unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return re.sub(r"[ \t]+", " ", text).strip()


@dataclass(frozen=True)
class Normaliser:
    """Folding plus the curators' abbreviations and fillers; build one per knowledge base."""

    abbreviations: Mapping[str, str]
    fillers: tuple[str, ...] = ()

    @classmethod
    def build(cls, abbreviations: Mapping[str, str], fillers: Iterable[str]) -> Normaliser:
        # Longest fillers first, so "xin chao luat su" goes before "xin chao".
        ordered = tuple(sorted({f for f in fillers if f}, key=lambda f: (-len(f), f)))
        return cls(dict(abbreviations), ordered)

    def tokens(self, text: str) -> list[str]:
        """Folded, expanded syllables with filler phrases removed."""
        folded = fold(text[:MAX_QUESTION_CHARS])
        words: list[str] = []
        for word in folded.split():
            words.extend(self.abbreviations.get(word, word).split())
        if not self.fillers:
            return words
        padded = f" {' '.join(words)} "
        previous = None
        while padded != previous:  # removing one filler can join the words of another
            previous = padded
            for filler in self.fillers:
                padded = padded.replace(f" {filler} ", " ")
        remaining = padded.split()
        # A question made only of filler ("xin chào") keeps its words: it is not empty.
        return remaining or words

    def normalise(self, text: str) -> str:
        return " ".join(self.tokens(text))
