"""Sparse term postings: for every term, the items that hold it and a value for each.

The search index asks the same question in several ways (BM25 scores, coverage, the closest
phrasing's recall, the classifier's likelihoods): "for these terms, sum each item's values".
A posting list per term answers all of them for every item at once with one `np.bincount`,
instead of a Python loop per candidate and per term; a letter of several hundred terms then
costs about as much as a short question (bench/bench_matching.py).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain

import numpy as np


class Postings:
    """term -> (item numbers, values); immutable once built."""

    def __init__(self, items: Sequence[Mapping[str, float]]) -> None:
        """`items[n]` maps the terms item `n` holds to their value there."""
        self.size = len(items)
        vocabulary = {term: i for i, term in enumerate(dict.fromkeys(chain.from_iterable(items)))}
        term_ids: list[int] = []
        values: list[float] = []
        for held in items:  # flat lists, then one stable sort by term: fast for a million pairs
            term_ids.extend(map(vocabulary.__getitem__, held))
            values.extend(held.values())
        ids = np.array(term_ids, dtype=np.int64)
        order = np.argsort(ids, kind="stable")
        item_of = np.repeat(np.arange(self.size), [len(held) for held in items])[order]
        value_of = np.array(values, dtype=float)[order]
        counts = np.bincount(ids, minlength=len(vocabulary))
        ends = np.cumsum(counts)
        starts = ends - counts
        self._lists = {
            term: (item_of[starts[i] : ends[i]], value_of[starts[i] : ends[i]])
            for term, i in vocabulary.items()
        }

    def __contains__(self, term: str) -> bool:
        return term in self._lists

    def total(self, terms: Iterable[str]) -> np.ndarray:
        """Per item, the sum of its values for these terms (each once: give distinct terms);
        terms no item holds add nothing."""
        return self.weighted_total((term, 1.0) for term in terms)

    def weighted_total(self, weighted: Iterable[tuple[str, float]]) -> np.ndarray:
        """`total` with each term's values times its weight."""
        found = [(self._lists[term], weight) for term, weight in weighted if term in self._lists]
        if not found:
            return np.zeros(self.size)
        items = np.concatenate([held for (held, _), _ in found])
        values = np.concatenate([value for (_, value), _ in found])
        if any(weight != 1.0 for _, weight in found):
            values = values * np.repeat([w for _, w in found], [len(held) for (held, _), _ in found])
        return np.bincount(items, values, minlength=self.size)


def bm25_postings(documents: Sequence[Sequence[str]], k1: float = 1.5, b: float = 0.75) -> Postings:
    """BM25 (the Lucene variant) of every term in every document, as postings: a query's
    scores are then `total(unique query terms)`."""
    counts = []
    for document in documents:
        count: dict[str, float] = {}
        for term in document:
            count[term] = count.get(term, 0.0) + 1.0
        counts.append(count)
    average = sum(len(d) for d in documents) / max(1, len(documents)) or 1.0
    frequency: dict[str, int] = {}
    for count in counts:
        for term in count:
            frequency[term] = frequency.get(term, 0) + 1
    n = len(documents)
    scored = []
    for document, count in zip(documents, counts, strict=True):
        norm = k1 * ((1 - b) + b * len(document) / average)
        scored.append(
            {
                term: math.log(1 + (n - frequency[term] + 0.5) / (frequency[term] + 0.5)) * tf / (norm + tf)
                for term, tf in count.items()
            }
        )
    return Postings(scored)
