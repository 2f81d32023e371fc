"""English questions: telling them from Vietnamese typed without marks, and their tokens.

Members now and then ask in English ("How long does trademark registration take?"), and
English-speaking partners use the bot with `/lang en`. Such a question is matched against
the entries' English titles, phrasings and answers (`SearchIndex(kb, "en")`), whatever the
interface language; the answer then comes in the user's interface language.

Telling the languages apart is the delicate part: Vietnamese typed without marks is ASCII
too ("htx co phai dung hddt ko"), and many English words are also Vietnamese syllables
("the", "can", "do", "to", "an"). A question is English when it contains an English function
word that is not a Vietnamese syllable ("what", "how", "is", "does" ...) and 30 % of its words
are not Vietnamese syllables, or without one when 60 % are not ("barcode fee"); any
Vietnamese letter or tone mark makes it Vietnamese.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from advisor.folding import fold
from advisor.text import MAX_ASKING_SENTENCES, MAX_QUESTION_CHARS


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_VIETNAMESE_LETTERS = re.compile(
    "[đĐăĂâÂêÊôÔơƠưƯ"
    "àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
    "ÀÁẢÃẠẰẮẲẴẶẦẤẨẪẬÈÉẺẼẸỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌỒỐỔỖỘỜỚỞỠỢÙÚỦŨỤỪỨỬỮỰỲÝỶỸỴ]"
)
_SYLLABLE = re.compile(
    r"(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnpqrstvx])?"
    r"(uye|uya|oai|oay|uoi|uou|ieu|yeu|uay|uoc|ươ|[aeiouy]{1,3})"
    r"(ng|nh|ch|[cmnpt])?"
)
"""A Vietnamese syllable folded to ASCII: onset, vowel group, final consonant."""

FUNCTION_WORDS = _words(
    "what how is are was were does did should would could which who whom whose when where "
    "why we our us you your it its this that these those there their they have has had "
    "been being will shall must might of for with from about into by and or if any some "
    "please register registered registration trademark trademarks cooperative "
    "cooperatives support apply need does"
)
"""Common English words that are not Vietnamese syllables: one of them is needed to say English."""

STOPWORDS = _words(
    "a an the is are was were be been being am do does did doing have has had having i me "
    "my we our us you your he she it its they them their this that these those there here "
    "what which who whom whose when where why how can could should would will shall must "
    "may might of for to in on at by with from about into as and or if then than so not "
    "no yes any some all please tell know want like just also there get got vietnam "
    "vietnamese"
)
"""Words that carry no topic; dropped from English tokens."""

_ASKING = _words("what how is are does do can should which who when where why may must")
_SENTENCE = re.compile(r"[^.?!\n;]+[.?!\n;]*")
_WORD = re.compile(r"[a-z0-9]+")
_DOUBLET = re.compile(r"\bcooperatives (?:and |or )?(?:unions? of cooperatives|cooperative unions?)\b")
"""The legal doublet "cooperatives and unions of cooperatives": the union is not the topic
(`advisor.text` drops the same doublet in Vietnamese)."""


def is_vietnamese_syllable(word: str) -> bool:
    return bool(_SYLLABLE.fullmatch(word))


def is_english(text: str, abbreviations: Iterable[str] = ()) -> bool:
    """Whether a question is written in English (see the module docstring)."""
    sample = text[:MAX_QUESTION_CHARS]
    if _VIETNAMESE_LETTERS.search(sample):
        return False
    known = set(abbreviations)
    words = [w for w in fold(sample).split() if not w.isdigit() and w not in known]
    if len(words) < 2:
        return False
    foreign = sum(not is_vietnamese_syllable(w) for w in words)
    if any(w in FUNCTION_WORDS for w in words):
        return foreign >= 0.3 * len(words)
    return foreign >= 2 and foreign >= 0.6 * len(words)  # "barcode fee", "brand protection abroad"


def stem(word: str) -> str:
    """A light suffix strip, so "registering", "registered" and "registers" meet."""
    for suffix, replacement in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + replacement
    return word


@dataclass(frozen=True)
class EnglishNormaliser:
    """The English counterpart of `advisor.text.Normaliser` (same `tokens` and `question`)."""

    def tokens(self, text: str, limit: int | None = MAX_QUESTION_CHARS) -> list[str]:
        words = _WORD.findall(_DOUBLET.sub("cooperatives", fold(text[:limit])))
        return [stem(w) for w in words if w not in STOPWORDS]

    def question(self, text: str) -> tuple[list[str], list[list[str]]]:
        """Topic tokens of the whole question, and of each asking sentence when there are several."""
        sentences = [s.strip() for s in _SENTENCE.findall(text[:MAX_QUESTION_CHARS]) if s.strip()]
        tokens = self.tokens(text)
        if len(sentences) < 2:
            return tokens, []
        asking = []
        for sentence in sentences:
            words = _WORD.findall(fold(sentence))
            if sentence.endswith("?") or (words and words[0] in _ASKING):
                part = self.tokens(sentence)
                if part and len(part) < len(tokens):
                    asking.append(part)
        return tokens, asking[-MAX_ASKING_SENTENCES:]
