"""The search index: BM25 finds the candidates, lexical evidence describes each of them.

One index per language of the knowledge base: Vietnamese (titles, phrasings, keywords and
answers, folded and abbreviation-expanded) and English (`title_en`, `phrasings_en`,
`answer_en`, stemmed). Built once per knowledge-base load, never per question.

A question arrives as views: its whole substance and, when it has several sentences, each
asking sentence (`Normaliser.question`). For each view BM25 over syllables and syllable
bigrams proposes `CANDIDATES` entries; at most `JUDGED` candidates of all views are then
described by evidence that `advisor.decision` turns into one calibrated probability. BM25,
coverage, recall and the classifier are sums over term postings (`advisor.kb.postings`),
computed for every entry at once:

- `coverage`: the IDF-weighted share of the view's terms that the entry contains. A
  syllable no entry contains weighs as much as the rarest known one, so "kết hôn" or "sáng
  chế" leave a question mostly uncovered; a known bigram ("dang_ky") adds `BIGRAM_WEIGHT` of
  its IDF; a term found only in the entry's answer text counts `ANSWER_CREDIT`;
- `fuzzy`: rapidfuzz's `token_sort_ratio` against the entry's closest phrasing (bounded and
  length-aware, but blind to which word is missing: coverage is not), on the whole question
  and on the asking sentence the entry covers best only (the costliest evidence);
- `lexical`: BM25 relative to the view's best candidate;
- `order`: `0.5 * fuzzy + 50 * lexical`, the pre-calibration ranking (the gap to the next
  candidate on it is a feature of the decision too);
- `posterior` and `lead`: what a naive-Bayes classifier trained on the entries' texts makes
  of the whole question (`advisor.kb.classifier`); its three most probable entries are
  candidates too.

Each feature is taken on the view where the entry fits best, and `whole` is the coverage of
the whole question, so "<context>. <question>?" is judged on the question while a second
question in the same message still finds its own entry. The measurements behind these
choices are in bench/README.md.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from advisor.english import EnglishNormaliser
from advisor.kb.classifier import NaiveBayes
from advisor.kb.models import Entry, KnowledgeBase
from advisor.kb.postings import Postings, bm25_postings
from advisor.provinces import MERGED_INTO
from advisor.text import Normaliser

CANDIDATES = 12
"""How many entries BM25 proposes for each view of the question."""

JUDGED = 16
"""At most this many candidates are judged (a letter's views may propose four times more):
the classifier's likeliest, then the lexically best. Judging all changed no figure of
`advisor calibrate` and made a long question's p99 half as much again (bench/README.md)."""

CLASSIFIER_CANDIDATES = 3
"""The classifier's most probable entries are judged too, when BM25 did not propose them."""

FUZZY_WHOLE_MAX_TERMS = 60
"""A question longer than this (in syllables) gets its fuzzy ratio on its asking sentences
only, if it has any: on a whole letter the ratio is low for every entry, and it is the
costliest evidence. No figure of `advisor calibrate` moved (2026-12-01); a long letter takes
0.2-0.4 ms less."""

KEYWORD_WEIGHT = 2
"""Keywords are curated signal: for BM25 each counts as if written this many times."""

BIGRAM_WEIGHT = 0.2
"""A known syllable bigram adds this share of its IDF to coverage (syllables count fully)."""

ANSWER_CREDIT = 0.5
"""A question term found only in the entry's answer text counts this much as covered."""

FOCUS_MIN_WEIGHT = 3.0
"""An asking sentence is judged alone too when its terms weigh this much (IDF)."""

MAX_VIEW_TERMS = 150
"""A view's distinct syllables beyond this (a pasted letter) are not searched: time stays flat."""

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
class Candidate:
    """One entry proposed for a question, with the lexical evidence the decision weighs."""

    entry_id: str
    order: float
    """Pre-calibration ranking score, 0-100: `0.5 * fuzzy + 50 * lexical` on the best view."""
    coverage: float
    """0-1, on the view where the entry fits best."""
    fuzzy: float
    """0-100, token_sort_ratio on that view."""
    whole: float
    """0-1, coverage of the whole question."""
    lexical: float
    """0-1, BM25 relative to the best candidate of that view."""
    recall: float
    """0-1, the IDF-weighted share of the closest phrasing's terms found in the question."""
    view: int
    """Which view fits best: 0 is the whole question, 1... its asking sentences."""
    posterior: float = 0.0
    """0-1, the naive-Bayes posterior of the entry for the whole question (`NaiveBayes`)."""
    lead: float = 0.0
    """Per known term, the entry's naive-Bayes log-likelihood minus the best other entry's."""


def terms(tokens: list[str]) -> list[str]:
    """Syllables plus adjacent-syllable bigrams ("dang ky" -> dang, ky, dang_ky)."""
    return tokens + [f"{a}_{b}" for a, b in zip(tokens, tokens[1:], strict=False)]


def _idf(df: int, count: int) -> float:
    return math.log(1 + (count - df + 0.5) / (df + 0.5))


def _fields(entry: Entry, lang: str) -> tuple[list[str], list[str], str]:
    """(title and phrasings, keywords, answer) of an entry in one language."""
    if lang == "en":
        titles = [entry.title_en] if entry.title_en else []
        return [*titles, *entry.phrasings_en], [], entry.answer_en
    return [entry.title, *entry.phrasings], list(entry.keywords), entry.answer


class SearchIndex:
    """Ranks a knowledge base's entries for a question in one language; immutable once built."""

    def __init__(self, kb: KnowledgeBase, lang: str = "vi") -> None:
        self.normaliser: Normaliser | EnglishNormaliser = (
            EnglishNormaliser()
            if lang == "en"
            else Normaliser.build(kb.synonyms.abbreviations, kb.synonyms.fillers, PLACES)
        )
        self.entry_ids: list[str] = []
        self.sorted_phrasings: list[list[str]] = []
        """Phrasings with their words sorted: `token_sort_ratio` is `ratio` of these."""
        term_sets: list[frozenset[str]] = []
        answer_sets: list[frozenset[str]] = []
        phrasing_terms: list[list[list[str]]] = []
        documents: list[list[str]] = []
        for entry in kb.entries.values():
            texts, keyword_texts, answer_text = _fields(entry, lang)
            normalised = [" ".join(self.normaliser.tokens(text)) for text in texts]
            document = [term for text in normalised for term in terms(text.split())]
            keywords = [term for keyword in keyword_texts for term in terms(self.normaliser.tokens(keyword))]
            answer = _LINK_TARGET.sub("]", answer_text[:MAX_ANSWER_CHARS])
            self.entry_ids.append(entry.id)
            self.sorted_phrasings.append([" ".join(sorted(text.split())) for text in normalised if text])
            term_sets.append(frozenset(document + keywords))
            answer_sets.append(frozenset(terms(self.normaliser.tokens(answer, limit=None))))
            phrasing_terms.append([list(dict.fromkeys(terms(text.split()))) for text in normalised if text])
            documents.append(document + keywords * KEYWORD_WEIGHT or ["_"])
        frequency: dict[str, int] = {}
        for term_set, answer_set in zip(term_sets, answer_sets, strict=True):
            for term in term_set | answer_set if lang == "en" else term_set:
                frequency[term] = frequency.get(term, 0) + 1
        count = len(documents)
        self.idf = {term: _idf(df, count) for term, df in frequency.items()}
        self.unknown_idf = _idf(0, count)
        self.bm25 = bm25_postings(documents)
        weight = {
            term: self._weight(term)
            for term in frozenset().union(*term_sets, *answer_sets)
            if "_" not in term or term in self.idf  # unknown bigrams weigh nothing
        }
        self.contains = Postings(
            [
                {
                    **{
                        term: ANSWER_CREDIT * weight[term] for term in answer_set - term_set if term in weight
                    },
                    **{term: weight[term] for term in term_set if term in weight},
                }
                for term_set, answer_set in zip(term_sets, answer_sets, strict=True)
            ]
        )
        """Per term: the entries holding it, with its weight in coverage (`weighted_terms`),
        times `ANSWER_CREDIT` where an entry holds it only in its answer."""
        shares = [[_shares(p, weight) for p in phrasings] or [{}] for phrasings in phrasing_terms]
        self.phrasing_shares = Postings([share for entry in shares for share in entry])
        """Per term: the phrasings holding it and its share of each one's weight (`_recall`)."""
        self.first_phrasing = np.cumsum([0] + [len(entry) for entry in shares])
        """Where each entry's phrasings start in `phrasing_shares` (and, last, their count)."""
        self.classifier = NaiveBayes(documents, answer_sets)

    def _weight(self, term: str) -> float:
        idf = self.idf.get(term, self.unknown_idf)
        return BIGRAM_WEIGHT * idf if "_" in term else idf

    def weighted_terms(self, tokens: list[str]) -> list[tuple[str, float]]:
        """The question's terms with their weight in coverage (see the module docstring)."""
        weighted = {token: self.idf.get(token, self.unknown_idf) for token in tokens}
        for bigram in terms(tokens)[len(tokens) :]:
            if bigram in self.idf:
                weighted[bigram] = BIGRAM_WEIGHT * self.idf[bigram]
        return list(weighted.items())

    def rank(
        self, tokens: list[str], sentences: list[list[str]] = (), limit: int = CANDIDATES
    ) -> list[Candidate]:
        """The entries that may answer a question already reduced to its views, best first."""
        if not tokens or not self.entry_ids:
            return []
        views = [_bounded(tokens)]
        views += [
            _bounded(view)
            for view in sentences
            if sum(self.idf.get(t, self.unknown_idf) for t in set(view)) >= FOCUS_MIN_WEIGHT
        ]
        lexical: list[np.ndarray] = []
        proposed: dict[int, None] = {}
        for view in views:
            scores = self.bm25.total(dict.fromkeys(terms(view)))
            lexical.append(scores)
            count = min(CANDIDATES, len(scores))
            proposed.update(
                (int(i), None) for i in np.argpartition(-scores, count - 1)[:count] if scores[i] > 0
            )
        asked = terms(tokens)
        posterior, lead = self.classifier.judge(asked)
        likeliest = [int(i) for i in np.argsort(-posterior)[:CLASSIFIER_CANDIDATES] if posterior[i] > 0.05]
        proposed.update(dict.fromkeys(likeliest))
        if not proposed:
            return []
        ids = np.fromiter(proposed, dtype=np.int64, count=len(proposed))
        relative = [scores[ids] / (scores[ids].max() or 1.0) for scores in lexical]
        best_relative = np.max(relative, axis=0)
        if len(ids) > JUDGED:  # a long letter's views propose many: judge the likeliest
            lexically = ids[np.argsort(-best_relative, kind="stable")].tolist()
            chosen = list(dict.fromkeys([*likeliest, *lexically]))[:JUDGED]
            where = {int(idx): n for n, idx in enumerate(ids)}
            keep = [where[idx] for idx in chosen]
            ids, relative, best_relative = ids[keep], [r[keep] for r in relative], best_relative[keep]
        prepared = [self._view(view) for view in views]
        whole_fuzzy = len(views[0]) <= FUZZY_WHOLE_MAX_TERMS
        coverages = [coverage[ids].tolist() for _, coverage in prepared]
        relatives = [r.tolist() for r in relative]
        ranked = []
        for n, idx in enumerate(ids.tolist()):
            covered = [coverage[n] for coverage in coverages]
            focus = max(range(1, len(views)), key=covered.__getitem__, default=0)
            judged = [
                (covered[v], self._fuzzy(idx, query) if v == focus or (v == 0 and whole_fuzzy) else 0.0)
                for v, (query, _) in enumerate(prepared)
            ]
            orders = [0.5 * fuzzy + 50 * r[n] for (_, fuzzy), r in zip(judged, relatives, strict=True)]
            view = max(range(len(views)), key=lambda v: judged[v][0] + judged[v][1] / 100)
            coverage, fuzzy = judged[view]
            evidence = (
                round(coverage, 3),
                round(fuzzy, 2),
                round(judged[0][0], 3),
                round(float(best_relative[n]), 3),
            )
            ranked.append((round(max(orders), 2), idx, evidence, view))
        ranked.sort(key=lambda c: c[0], reverse=True)
        ranked = ranked[:limit]
        recall = self._recall(asked, [idx for _, idx, _, _ in ranked])
        return [
            Candidate(
                self.entry_ids[idx],
                order,
                *evidence,
                round(float(entry_recall), 3),
                view,
                round(float(posterior[idx]), 4),
                round(float(lead[idx]), 4),
            )
            for (order, idx, evidence, view), entry_recall in zip(ranked, recall, strict=True)
        ]

    def _view(self, tokens: list[str]) -> tuple[str, np.ndarray]:
        """(the view's words sorted, for `_fuzzy`; every entry's coverage of it)."""
        weighted = self.weighted_terms(tokens)
        total = sum(weight for _, weight in weighted) or 1.0
        covered = self.contains.total(term for term, _ in weighted)
        return " ".join(sorted(tokens)), np.minimum(1.0, covered / total)

    def _fuzzy(self, idx: int, query: str) -> float:
        """token_sort_ratio of entry `idx`'s closest phrasing (both sides have their words sorted)."""
        best = process.extractOne(query, self.sorted_phrasings[idx], scorer=fuzz.ratio, processor=None)
        return best[1] if best else 0.0

    def _recall(self, asked: list[str], entries: list[int]) -> np.ndarray:
        """For these entries, how much of each one's closest phrasing the question contains (a
        long letter contains a short phrasing whole, while covering little of itself)."""
        if not entries:
            return np.zeros(0)
        first, after = self.first_phrasing[entries], self.first_phrasing[np.array(entries) + 1]
        phrasings = np.concatenate([np.arange(a, b) for a, b in zip(first, after, strict=True)])
        per_phrasing = self.phrasing_shares.total(dict.fromkeys(asked), items=phrasings)
        return np.minimum(1.0, np.maximum.reduceat(per_phrasing, np.cumsum(after - first) - (after - first)))


def _shares(phrasing: list[str], weight: dict[str, float]) -> dict[str, float]:
    """Each term's share of a phrasing's weight (its terms are the entry's, so all known)."""
    total = sum(weight[term] for term in phrasing) or 1.0
    return {term: weight[term] / total for term in phrasing}


def _bounded(tokens: list[str]) -> list[str]:
    """A view's first `MAX_VIEW_TERMS` distinct syllables, in order."""
    if len(tokens) <= MAX_VIEW_TERMS:
        return tokens
    return list(dict.fromkeys(tokens))[:MAX_VIEW_TERMS]
