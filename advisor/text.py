"""Reducing a member's question to its substance, for indexing and for every question.

Text is folded (`advisor.folding`: lower-case ASCII syllables, whatever the diacritics or
tone placement), then the curators' `synonyms.yaml` expands abbreviations (htx, cds, ko) and
drops filler phrases.

Long, formal questions ("Xin chào luật sư, cho tôi hỏi ... Tôi tên Nguyễn Văn A, ở Bến
Tre. Xin cảm ơn.") are reduced to their substance by `Normaliser.question`: the text is cut
into clauses at punctuation and at "cho tôi hỏi"-like introducers, and leading or trailing
clauses that are only a greeting, a self-introduction, a signature, a place or thanks are
dropped; without punctuation, a trailing "tôi tên ..." is cut. The rules are deliberately
narrow (a clause holding a question word is never dropped; "tôi là ..." only counts as an
introduction before a capitalised name; a place needs a known province name, or an
administrative word such as "tỉnh", "huyện" before a name) because dropping substance is
worse than keeping a little noise. Measured on the knowledge base's 183 test questions
wrapped in three such formal templates: the reduced text equals the plain question's for
all of them, so accuracy is unchanged (tests/test_answering.py). Names and provinces
dropped this way also stay out of the question log, which stores the normalised text.

`question` also returns the asking sentences of a question that has several sentences, so
the index can judge "<context>. <question>?" on the question alone, and each question of a
message with several (see advisor/kb/index.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from advisor.folding import fold, fold_word

MAX_QUESTION_CHARS = 4096
"""Longer input is cut (a Telegram message is at most this long), so time stays bounded."""

MAX_ASKING_SENTENCES = 3
"""A message asking more than this many things is judged on its last ones."""

MAX_CACHED_WORDS = 50_000
"""Raw words whose folded, expanded form is kept (then the cache starts again): bounded memory."""

_NUMBER_OR_LETTERS = re.compile(r"[0-9]+|[a-z]+")
_RAW_WORD = re.compile(r"[\w\u0300-\u036f®©™℠]+")
_SENTENCE_END = re.compile(r"[.!?…\n\r;]")
_CLAUSE_END = re.compile(r"[.,;:!?…\n\r()\[\]\"“”]")

INTRODUCERS = (
    "cho toi hoi",
    "cho em hoi",
    "cho minh hoi",
    "cho chau hoi",
    "cho hoi",
    "xin hoi",
    "toi muon hoi",
    "em muon hoi",
    "minh muon hoi",
    "toi xin hoi",
    "em xin hoi",
)
"""Phrases that announce the question: removed wherever they stand, and a clause boundary."""

QUESTION_WORDS = frozenset(["khong", "gi", "nao", "dau", "sao", "chua", "bao", "ai", "may"])
"""A clause holding one of these asks something, so it is never dropped as a signature."""

_GREETINGS = (
    "xin chao",
    "chao",
    "kinh gui",
    "kinh chao",
    "thua luat su",
    "thua anh",
    "thua chi",
    "thua ban",
    "thua ad",
    "thua quy",
    "thua ong",
    "thua ba",
    "da chao",
    "da thua",
    "alo",
    "hello",
    "hi",
)
_ADDRESSEES = ("luat su", "anh", "chi", "ban", "ad", "quy", "cac", "moi nguoi", "ong", "ba", "co", "chu")
_CLOSINGS = (
    "xin cam on",
    "cam on",
    "chan thanh cam on",
    "xin chan thanh cam on",
    "tran trong",
    "thanks",
    "thank",
    "rat mong",
    "kinh mong",
    # "mong"/"chúc" alone would also be "mong muốn", "chức năng": only when addressed
    *(f"{verb} {whom}" for verb in ("mong", "chuc") for whom in _ADDRESSEES),
    "mong duoc",
    "mong nhan duoc",
    "mong som",
    "chuc suc khoe",
)
_NAME_MARKERS = ("toi ten", "ten toi", "em ten", "ten em", "minh ten", "ten minh", "chau ten", "ten chau")
_SELF = ("toi la", "em la", "minh la", "chau la")
_PLACE_MARKERS = (
    "o",
    "tai",
    "que",
    "que o",
    "que quan",
    "dia chi",
    "hien o",
    "song o",
    "song tai",
    "nha o",
    "den tu",
    "o tai",
    "hien song o",
    "hien song tai",
    "thuoc",
)
_ADMIN_WORDS = ("tỉnh", "thành phố", "huyện", "thị xã", "thị trấn", "quận", "phường")
_NAMED_ADMIN_WORDS = ("tp", "xã", "thôn", "ấp", "bản", "buôn", "khu phố", "tổ dân phố", "xóm")
"""Administrative words, with their marks, that start a place ("tỉnh Bến Tre"). Folded, "tinh"
is also "tính" (calculate), "quan" "quản" (manage), "ban" "bán" (sell), "ap" "áp dụng"; and even
with marks "xã" is also "xã hội", "bản" "bản quyền". So `_NAMED_ADMIN_WORDS`, and any admin word
typed without marks, only count before a known place or a capitalised name."""
_SURNAME_TEXT = (
    "nguyễn trần lê phạm hoàng huỳnh phan vũ võ đặng bùi đỗ hồ ngô dương lý đinh trương lâm mai "
    "trịnh đoàn lương cao tạ hà tô châu quách thái"
)
_SURNAMES = frozenset(_SURNAME_TEXT.split())
_PRONOUNS = ("toi", "em", "minh", "chau", "chung toi", "chung em")
_MAX_SIGNATURE_WORDS = 12
"""A greeting, self-introduction or signature clause is short; longer clauses are kept."""

_TRAILING_NAME_CUT_MIN = 3
"""Without punctuation, "... tôi tên X" is cut only after this many words of substance."""


_FOLDED_ADMIN_WORDS = tuple(fold(word) for word in _ADMIN_WORDS + _NAMED_ADMIN_WORDS)


class _Phrases:
    """Word sequences looked up by their first word, longest first."""

    def __init__(self, phrases: Iterable[str]) -> None:
        self.by_first: dict[str, list[tuple[str, ...]]] = {}
        for phrase in sorted(phrases, key=lambda p: -len(p.split())):
            words = tuple(phrase.split())
            if words:
                self.by_first.setdefault(words[0], []).append(words)

    def match(self, words: list[str], at: int = 0) -> int:
        """Length in words of the longest phrase starting at `words[at]` (0 when none)."""
        if at >= len(words):
            return 0
        for phrase in self.by_first.get(words[at], ()):
            if tuple(words[at : at + len(phrase)]) == phrase:
                return len(phrase)
        return 0


_INTRODUCER_SET = _Phrases(INTRODUCERS)
_GREETING_SET = _Phrases(_GREETINGS)
_CLOSING_SET = _Phrases(_CLOSINGS)
_NAME_MARKER_SET = _Phrases(_NAME_MARKERS)
_SELF_SET = _Phrases(_SELF)
_PLACE_MARKER_SET = _Phrases(_PLACE_MARKERS)
_ADMIN_SET = _Phrases(_ADMIN_WORDS)
_NAMED_ADMIN_SET = _Phrases(_NAMED_ADMIN_WORDS)
_FOLDED_ADMIN_SET = _Phrases(_FOLDED_ADMIN_WORDS)
_PRONOUN_SET = _Phrases(_PRONOUNS)


@dataclass(frozen=True)
class _Clause:
    words: list[str]
    """Folded, expanded words."""
    raw: list[str]
    """The original (NFC) word each folded word came from, for capitalisation."""
    opens: bool = False
    """Starts a new sentence (after . ! ? or a line break, or at "cho tôi hỏi")."""
    asked: bool = False
    """Followed by a question mark."""


@dataclass(frozen=True)
class Normaliser:
    """Folding plus the curators' abbreviations and fillers; build one per knowledge base."""

    abbreviations: Mapping[str, str]
    fillers: tuple[str, ...] = ()
    places: frozenset[str] = frozenset()
    """Folded place names ("ben tre", "ha noi") that mark a trailing "ở Bến Tre" as a signature."""
    _filler_index: Mapping[str, list[tuple[str, ...]]] = field(init=False, repr=False, compare=False)
    _expansions: Mapping[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    _words_of: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    """Each raw word's folded, expanded words: members reuse a few thousand words."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_filler_index", _Phrases(self.fillers).by_first)
        expansions = {short: tuple(long.split()) for short, long in self.abbreviations.items()}
        object.__setattr__(self, "_expansions", expansions)
        object.__setattr__(self, "_words_of", {})

    @classmethod
    def build(
        cls, abbreviations: Mapping[str, str], fillers: Iterable[str], places: Iterable[str] = ()
    ) -> Normaliser:
        # Introducers ("cho tôi hỏi") are fillers too; `_strip_fillers` tries the longest first.
        every = {f for f in fillers if f} | set(INTRODUCERS)
        ordered = tuple(sorted(every, key=lambda f: (-len(f), f)))
        return cls(dict(abbreviations), ordered, frozenset(p for p in (fold(p) for p in places) if p))

    def _expand(self, folded: str) -> list[str]:
        words: list[str] = []
        expansions = self._expansions
        for word in folded.split():
            expanded = expansions.get(word)
            if expanded is not None:
                words.extend(expanded)
            elif word.isalpha() or word.isdigit():
                words.append(word)
            else:  # "10tr" -> "10 trieu", "tw5" -> "tw 5": numbers and units are typed together
                for part in _NUMBER_OR_LETTERS.findall(word):
                    words.extend(expansions.get(part, (part,)))
        return words

    def _word(self, raw: str) -> tuple[str, ...]:
        words = self._words_of.get(raw)
        if words is None:
            if len(self._words_of) >= MAX_CACHED_WORDS:
                self._words_of.clear()
            words = self._words_of[raw] = tuple(self._expand(fold_word(raw)))
        return words

    def _strip_fillers(self, words: list[str]) -> list[int]:
        """Positions of the words left once every filler phrase, and the second half of the
        legal doublet "hợp tác xã, liên hiệp hợp tác xã", are removed."""
        index = self._filler_index
        keep = _without_doublets(words)
        while True:  # removing one filler can join the words of another
            kept: list[int] = []
            done = 0
            for at in [at for at, i in enumerate(keep) if words[i] in index]:
                if at < done:
                    continue
                for filler in index[words[keep[at]]]:
                    if tuple(words[i] for i in keep[at : at + len(filler)]) == filler:
                        kept.extend(keep[done:at])
                        done = at + len(filler)
                        break
            if not done:
                break
            keep = kept + keep[done:]
        # A question made only of filler ("xin chào") keeps its words: it is not empty.
        return keep or list(range(len(words)))

    def tokens(self, text: str, limit: int | None = MAX_QUESTION_CHARS) -> list[str]:
        """Folded, expanded syllables with filler phrases removed (for knowledge-base text).
        Word by word, as `question` reads a member's words, so both fold alike."""
        words = [word for raw in _RAW_WORD.findall(text[:limit]) for word in self._word(raw)]
        return [words[i] for i in self._strip_fillers(words)]

    def question_tokens(self, text: str) -> list[str]:
        """`tokens` of a member's question reduced to its substance (see the module docstring)."""
        return self.question(text)[0]

    def question(self, text: str) -> tuple[list[str], list[list[str]]]:
        """The question's substance, and its asking sentences when it has several sentences.

        "HTX chúng tôi trồng bưởi ở xã Tân Phú. Thủ tục đăng ký nhãn hiệu thế nào?" keeps its
        context (it can tell entries apart) but the second sentence is what is asked; the
        index judges each entry on the whole and on every asking sentence (see
        `SearchIndex.rank`), so a message with two questions finds an entry for each. The
        asking sentences are empty when the question is a single sentence; at most
        `MAX_ASKING_SENTENCES` are kept, the last ones (a long letter ends with its question).
        """
        clauses = self._clauses(text[:MAX_QUESTION_CHARS])
        while len(clauses) > 1 and self._is_preamble(clauses[0]):
            clauses.pop(0)
        while len(clauses) > 1 and self._is_signature(clauses[-1]):
            clauses.pop()
        words: list[str] = []
        sentence_of: list[int] = []
        sentence = 0
        asking: list[int] = []
        for number, clause in enumerate(clauses):
            introduced = bool(_INTRODUCER_SET.match(clause.words))
            if (clause.opens or introduced) and number:
                sentence += 1
            if (clause.asked or introduced or _asks(clause.words)) and sentence not in asking:
                asking.append(sentence)
            words.extend(clause.words)
            sentence_of.extend([sentence] * len(clause.words))
        kept = self._strip_fillers(words)
        kept = kept[: len(_cut_trailing_name([words[i] for i in kept]))]
        tokens = [words[i] for i in kept]
        if sentence == 0 or not asking:
            return tokens, []
        sentences = [[words[i] for i in kept if sentence_of[i] == number] for number in asking]
        unique = {" ".join(s): s for s in sentences if s and len(s) < len(tokens)}
        return tokens, list(unique.values())[-MAX_ASKING_SENTENCES:]

    def normalise(self, text: str) -> str:
        """The substance of a question as one folded string (what is searched and logged)."""
        return " ".join(self.question_tokens(text))

    def _clauses(self, text: str) -> list[_Clause]:
        text = unicodedata.normalize("NFC", text)
        clauses: list[_Clause] = []
        words: list[str] = []
        raw: list[str] = []
        position = 0
        opens = True
        for match in _RAW_WORD.finditer(text):
            between = text[position : match.start()]
            if words and _CLAUSE_END.search(between):
                clauses.append(_Clause(words, raw, opens, "?" in between))
                words, raw = [], []
                opens = bool(_SENTENCE_END.search(between))
            position = match.end()
            found = self._word(match.group())
            words.extend(found)
            raw.extend([match.group()] * len(found))
        if words:
            clauses.append(_Clause(words, raw, opens, "?" in text[position:]))
        return [part for clause in clauses for part in _split_at_introducers(clause)]

    def _is_preamble(self, clause: _Clause) -> bool:
        """A leading clause with no substance: greeting, name or place."""
        words = clause.words
        if len(words) > _MAX_SIGNATURE_WORDS or _asks(words):
            return False
        return bool(_GREETING_SET.match(words)) or self._is_identity(clause)

    def _is_signature(self, clause: _Clause) -> bool:
        """A trailing clause with no substance: thanks, name, place or a bare name."""
        words = clause.words
        if len(words) > _MAX_SIGNATURE_WORDS or _asks(words):
            return False
        after_pronoun = words[_PRONOUN_SET.match(words) :]
        if _CLOSING_SET.match(after_pronoun) or _GREETING_SET.match(words):
            return True
        if self._is_identity(clause):
            return True
        return _is_name(clause.raw) and len(words) <= 5

    def _is_identity(self, clause: _Clause) -> bool:
        words = clause.words
        if _NAME_MARKER_SET.match(words):
            return True
        skip = _SELF_SET.match(words)
        if skip and len(clause.raw) > skip and _is_capitalised(clause.raw[skip]):
            return True
        return self._is_place(clause)

    def _is_place(self, clause: _Clause) -> bool:
        """ "ở Bến Tre", "tại xã Tân Phú", "tinh ben tre", "Huyện Châu Thành"."""
        skip = _PLACE_MARKER_SET.match(clause.words)
        rest, raw = clause.words[skip:], clause.raw[skip:]
        if not rest:
            return False
        if self._names_place(rest):
            return True
        lowered = [word.lower() for word in raw]
        size = _ADMIN_SET.match(lowered)
        if size and len(rest) > size:
            return True
        size = _NAMED_ADMIN_SET.match(lowered) or _FOLDED_ADMIN_SET.match(lowered)
        if size and len(rest) > size:
            # unmarked "tinh", "xa": only before a known place or a capitalised name
            return self._names_place(rest[size:]) or _is_capitalised(raw[size])
        return False

    def _names_place(self, words: list[str]) -> bool:
        return any(" ".join(words[:size]) in self.places for size in range(1, 5))


def _asks(words: list[str]) -> bool:
    joined = f" {' '.join(words)} "
    return any(f" {word} " in joined for word in QUESTION_WORDS)


def _is_capitalised(word: str) -> bool:
    return word[:1].isupper() and (len(word) == 1 or not word[1:].isupper())


def _is_name(raw: list[str]) -> bool:
    """ "Nguyễn Văn A": two or more capitalised words, starting with a common surname."""
    unique = list(dict.fromkeys(raw))
    return len(unique) >= 2 and unique[0].lower() in _SURNAMES and all(map(_is_capitalised, unique))


def _split_at_introducers(clause: _Clause) -> list[_Clause]:
    """ "tên tôi là Lan cho tôi hỏi ..." is two clauses, even without a comma."""
    parts: list[_Clause] = []
    start = 0
    index = 0
    words = clause.words
    while index < len(words):
        size = _INTRODUCER_SET.match(words, index)
        if size and index > start:
            parts.append(_Clause(words[start:index], clause.raw[start:index], clause.opens and not start))
            start = index
        index += max(size, 1)
    parts.append(_Clause(words[start:], clause.raw[start:], clause.opens or bool(start), clause.asked))
    return parts


_COOPERATIVE = ("hop", "tac", "xa")
_DOUBLET_TAIL = ("lien", "hiep", *_COOPERATIVE)
_DOUBLET_JOINS = ("va", "hoac")


def _without_doublets(words: list[str]) -> list[int]:
    """Positions of `words` without the tail of "hợp tác xã (và) liên hiệp hợp tác xã": laws
    and legal Q&A name both in one breath ("thành lập hợp tác xã, liên hiệp hợp tác xã"), and
    the union then looks like the topic. A union named on its own is kept."""
    if "lien" not in words:
        return list(range(len(words)))
    keep = []
    at = 0
    while at < len(words):
        keep.append(at)
        if tuple(words[at : at + 3]) == _COOPERATIVE:
            keep.extend((at + 1, at + 2))
            tail = at + 3 + (at + 3 < len(words) and words[at + 3] in _DOUBLET_JOINS)
            if tuple(words[tail : tail + 5]) == _DOUBLET_TAIL:
                at = tail + 5
                continue
            at += 3
            continue
        at += 1
    return keep


def _cut_trailing_name(words: list[str]) -> list[str]:
    """Without punctuation: "... dang ky nhan hieu toi ten la lan o ben tre" loses its tail."""
    for index in range(_TRAILING_NAME_CUT_MIN, len(words)):
        if _NAME_MARKER_SET.match(words, index):
            return words[:index]
    return words
