"""The search index: BM25 ranks the candidates, an absolute confidence judges them.

Ranking (which entry is best) and confidence (is the best one good enough) are separate
questions, measured separately on the knowledge base's own test questions, on
../shared/eval/dev.yaml (with and without diacritics) and on the out-of-scope probes of
tests/test_answering.py; bench/README.md has the tables. The index is built once per
knowledge-base load, never per question.

Ranking: BM25 (bm25s) over folded, abbreviation-expanded syllables and syllable bigrams, one
document per entry (title, phrasings and keywords pooled), finds `CANDIDATES` entries; they
are ordered by `0.5 * fuzzy + 50 * bm25 / best_bm25`, where fuzzy is rapidfuzz's
`token_sort_ratio` against the entry's closest phrasing. That puts the right entry first
for 99.5 % of the KB test questions and 100 % of dev; ordering by the confidence below
instead measured 89.6 % and 97.3 %, by BM25 alone 96.7 % and 100 %.

Confidence (`Hit.score`, 0-100): the old score, `0.5 * fuzzy + 50 * bm25 / best_bm25`, is
relative: the best candidate got the full 50 points however weak the match ("thoi tiet ngay
mai the nao" scored 74.6). The confidence is absolute instead:

    score = COVERAGE_WEIGHT * 100 * coverage + (1 - COVERAGE_WEIGHT) * token_sort_ratio

`coverage` is the IDF-weighted share of the question's terms that the entry contains.
Syllables weigh their IDF over the entries; a syllable no entry contains weighs as much as
the rarest known one, so "kết hôn" or "sáng chế" leave a question mostly uncovered. A
syllable bigram weighs `BIGRAM_WEIGHT` times its IDF, and only when the knowledge base knows
it ("dang_ky"): an unseen bigram only recombines words already counted. A term found only in
the entry's answer text earns `ANSWER_CREDIT` of its weight (members ask in the answer's
words too: "pháp nhân", "sao lưu"). `token_sort_ratio` is bounded and length-aware, but
blind to which word is missing ("đăng ký kết hôn cần giấy tờ gì" scores 73.5 against "hồ sơ
đăng ký nhãn hiệu gồm giấy tờ gì"); coverage is not.

A question of several sentences ("HTX chúng tôi trồng bưởi ở xã Tân Phú. Thủ tục đăng ký
nhãn hiệu thế nào?") is also judged, and ranked, on its last asking sentence alone (see
`Normaliser.question`), when that sentence weighs at least `FOCUS_MIN_WEIGHT`: otherwise
"Nhà tôi nuôi heo bị dịch tả. Phải làm sao?" would be judged on "phải làm sao". Without
this, every KB test question behind a sentence of context fell below the decline threshold.

Measured with the final code (in scope: KB test questions + dev, as typed and folded; out of
scope: dev's 8 + the 49 probes, as typed and folded; AUC of their confidences; "below" =
share of in-scope questions under the score that declines 95 % of out-of-scope ones):

| variant | AUC | 95 % out-of-scope score | in scope below | with context below |
|---|---|---|---|---|
| final | 0.974 | 64.9 | 10.8 % | 23 % |
| old relative score | 0.942 | 84.5 | 38.1 % | 62 % |
| coverage only | 0.952 | 78.6 | 30.2 % | 63 % |
| token_sort_ratio only | 0.938 | 69.1 | 37.3 % | 54 % |
| no bigrams / bigrams at full weight | 0.974 / 0.957 | 66.6 / 68.5 | 11.5 / 23.1 % | 25 / 49 % |
| answer text: no credit / full credit | 0.967 / 0.972 | 64.8 / 70.3 | 15.2 / 15.5 % | 33 / 34 % |
| no focus on the asking sentence | 0.974 | 64.9 | 10.8 % | 100 % |

Coverage weights 0.4-0.6 and token_set_ratio or plain ratio instead of token_sort_ratio were
no better. Also tried and dropped: judging diacritics when the member typed them ("chữa" is
not "chưa"): AUC 0.964 against 0.965 without, not worth the code. The remaining overlap is
real: "vay tiền mua nhà lãi suất bao nhiêu" shares nearly every word with the credit-fund
entry. `advisor.answering.THRESHOLDS` turns the score into answer / suggest / decline.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import bm25s
import numpy as np
from rapidfuzz import fuzz, process

from advisor.kb.models import KnowledgeBase
from advisor.provinces import MERGED_INTO
from advisor.text import Normaliser

CANDIDATES = 12
"""How many BM25 candidates are re-ranked and judged."""

KEYWORD_WEIGHT = 2
"""Keywords are curated signal: for BM25 each counts as if written this many times."""

COVERAGE_WEIGHT = 0.5
"""Share of the confidence that comes from coverage; the rest is token_sort_ratio."""

BIGRAM_WEIGHT = 0.2
"""A known syllable bigram adds this share of its IDF to coverage (syllables count fully)."""

ANSWER_CREDIT = 0.5
"""A question term found only in the entry's answer text counts this much as covered."""

FOCUS_MIN_WEIGHT = 3.0
"""A question's last asking sentence is judged alone too when its terms weigh this much (IDF)."""

MAX_ANSWER_CHARS = 20_000
"""Answer text indexed for coverage (answers are far shorter; this only bounds the build)."""

PLACES = (
    *MERGED_INTO,
    *(old for olds in MERGED_INTO.values() for old in olds),
    "Hồ Chí Minh",
    "Sài Gòn",
    "HCM",
    "TP HCM",
)
"""Province names, old and new: "..., ở Bến Tre" at the end of a question is a signature."""

_LINK_TARGET = re.compile(r"\]\([^)]*\)")


@dataclass(frozen=True)
class Hit:
    """One ranked entry: `score` (0-100, absolute) is what the decision thresholds compare."""

    entry_id: str
    score: float
    fuzzy: float
    lexical: float
    coverage: float = 0.0


def terms(tokens: list[str]) -> list[str]:
    """Syllables plus adjacent-syllable bigrams ("dang ky" -> dang, ky, dang_ky)."""
    return tokens + [f"{a}_{b}" for a, b in zip(tokens, tokens[1:], strict=False)]


def _idf(df: int, count: int) -> float:
    return math.log(1 + (count - df + 0.5) / (df + 0.5))


class SearchIndex:
    """Ranks a knowledge base's entries for a question; immutable once built."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.normaliser = Normaliser.build(kb.synonyms.abbreviations, kb.synonyms.fillers, PLACES)
        self.entry_ids: list[str] = []
        self.sorted_phrasings: list[list[str]] = []
        """Phrasings with their words sorted: `token_sort_ratio` is `ratio` of these."""
        self.term_sets: list[frozenset[str]] = []
        self.answer_sets: list[frozenset[str]] = []
        documents: list[list[str]] = []
        for entry in kb.entries.values():
            normalised = [" ".join(self.normaliser.tokens(text)) for text in (entry.title, *entry.phrasings)]
            document = [term for text in normalised for term in terms(text.split())]
            keywords = [term for keyword in entry.keywords for term in terms(self.normaliser.tokens(keyword))]
            answer = _LINK_TARGET.sub("]", entry.answer[:MAX_ANSWER_CHARS])
            self.entry_ids.append(entry.id)
            self.sorted_phrasings.append([" ".join(sorted(text.split())) for text in normalised if text])
            self.term_sets.append(frozenset(document + keywords))
            self.answer_sets.append(frozenset(terms(self.normaliser.tokens(answer, limit=None))))
            documents.append(document + keywords * KEYWORD_WEIGHT or ["_"])
        frequency: dict[str, int] = {}
        for term_set in self.term_sets:
            for term in term_set:
                frequency[term] = frequency.get(term, 0) + 1
        count = len(documents)
        self.idf = {term: _idf(df, count) for term, df in frequency.items()}
        self.unknown_idf = _idf(0, count)
        self.bm25 = bm25s.BM25()
        if documents:
            self.bm25.index(documents, show_progress=False)

    def __len__(self) -> int:
        return len(self.entry_ids)

    def weighted_terms(self, tokens: list[str]) -> list[tuple[str, float]]:
        """The question's terms with their weight in coverage (see the module docstring)."""
        weighted = {token: self.idf.get(token, self.unknown_idf) for token in tokens}
        for bigram in terms(tokens)[len(tokens) :]:
            if bigram in self.idf:
                weighted[bigram] = BIGRAM_WEIGHT * self.idf[bigram]
        return list(weighted.items())

    def search(self, question: str, limit: int = 3) -> list[Hit]:
        """The best entries for a question, best first; empty when nothing matches at all."""
        return self.rank(*self.normaliser.question(question), limit=limit)

    def rank(self, tokens: list[str], focus: list[str] | None = None, limit: int = 3) -> list[Hit]:
        """`search` for a question already reduced to its tokens (and its asking sentence)."""
        if not tokens or not self.entry_ids:
            return []
        views = [tokens]
        if focus and sum(self.idf.get(t, self.unknown_idf) for t in set(focus)) >= FOCUS_MIN_WEIGHT:
            views.append(focus)
        lexical: list[np.ndarray] = []
        candidates: dict[int, None] = {}
        for view in views:
            known = [term for term in terms(view) if term in self.idf]
            scores = self.bm25.get_scores(known) if known else np.zeros(len(self.entry_ids))
            lexical.append(scores)
            count = min(CANDIDATES, len(scores))
            candidates.update(
                (int(i), None) for i in np.argpartition(-scores, count - 1)[:count] if scores[i] > 0
            )
        if not candidates:
            return []
        prepared = [self._view(view) for view in views]
        best_lexical = [float(max(scores[i] for i in candidates)) or 1.0 for scores in lexical]
        ranked = []
        for idx in candidates:
            judged = [self._confidence(idx, *view) for view in prepared]
            orders = [
                0.5 * fuzzy + 50 * float(scores[idx]) / best
                for (_, _, fuzzy), scores, best in zip(judged, lexical, best_lexical, strict=True)
            ]
            score, coverage, fuzzy = max(judged)
            lexical_score = round(float(lexical[0][idx]), 3)
            hit = Hit(
                self.entry_ids[idx], round(score, 2), round(fuzzy, 2), lexical_score, round(coverage, 3)
            )
            ranked.append((max(orders), hit))
        ranked.sort(key=lambda pair: pair[0], reverse=True)
        return [hit for _, hit in ranked[:limit]]

    def _view(self, tokens: list[str]) -> tuple[str, list[tuple[str, float]], float]:
        weighted = self.weighted_terms(tokens)
        return " ".join(sorted(tokens)), weighted, sum(weight for _, weight in weighted) or 1.0

    def _confidence(
        self, idx: int, query: str, weighted: list[tuple[str, float]], total: float
    ) -> tuple[float, float, float]:
        """(score, coverage, fuzzy) of entry `idx` for one view of the question."""
        term_set, answer_set = self.term_sets[idx], self.answer_sets[idx]
        covered = sum(
            weight if term in term_set else ANSWER_CREDIT * weight if term in answer_set else 0.0
            for term, weight in weighted
        )
        coverage = min(1.0, covered / total)
        best = process.extractOne(query, self.sorted_phrasings[idx], scorer=fuzz.ratio, processor=None)
        fuzzy = best[1] if best else 0.0  # token_sort_ratio: both sides have their words sorted
        return COVERAGE_WEIGHT * 100 * coverage + (1 - COVERAGE_WEIGHT) * fuzzy, coverage, fuzzy
