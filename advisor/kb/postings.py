"""Sparse term postings: for every term, the items that hold it and a value for each.

The search index asks the same question in several ways (BM25 scores, coverage, the closest
phrasing's recall, the classifier's likelihoods): "for these terms, sum each item's values".
A posting list per term answers all of them for every item at once with one `np.bincount`,
instead of a Python loop per candidate and per term; a letter of several hundred terms then
costs about as much as a short question (bench/bench_matching.py).

When only a few items matter (the phrasings of the candidates already proposed) and the
question has many terms, the same sums are cheaper the other way round: each of those
items' own terms looked up in the question's terms (`total(..., items=...)`).
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
        self._vocabulary = vocabulary
        term_ids: list[int] = []
        values: list[float] = []
        for held in items:  # flat lists, then one stable sort by term: fast for a million pairs
            term_ids.extend(map(vocabulary.__getitem__, held))
            values.extend(held.values())
        ids = np.array(term_ids, dtype=np.int64)
        lengths = np.array([len(held) for held in items], dtype=np.int64)
        self._by_item = (ids, np.array(values, dtype=float), np.cumsum(lengths) - lengths, lengths)
        """Item by item: (term numbers, values, each item's start and length in them)."""
        order = np.argsort(ids, kind="stable")
        item_of = np.repeat(np.arange(self.size), lengths)[order]
        value_of = self._by_item[1][order]
        counts = np.bincount(ids, minlength=len(vocabulary))
        ends = np.cumsum(counts)
        starts = ends - counts
        self._lists = {
            term: (item_of[starts[i] : ends[i]], value_of[starts[i] : ends[i]])
            for term, i in vocabulary.items()
        }

    def __contains__(self, term: str) -> bool:
        return term in self._lists

    def total(self, terms: Iterable[str], items: Sequence[int] | None = None) -> np.ndarray:
        """Per item, the sum of its values for these terms (each once: give distinct terms);
        terms no item holds add nothing. For `items` only (in their order), if given."""
        if items is not None:
            return self._items_total(terms, np.asarray(items, dtype=np.int64))
        found = [held for held in map(self._lists.get, terms) if held is not None]
        if not found:
            return np.zeros(self.size)
        held_items = np.concatenate([held for held, _ in found])
        return np.bincount(held_items, np.concatenate([value for _, value in found]), minlength=self.size)

    def _items_total(self, terms: Iterable[str], items: np.ndarray) -> np.ndarray:
        asked = np.zeros(len(self._vocabulary))
        asked[[number for number in map(self._vocabulary.get, terms) if number is not None]] = 1.0
        ids, values, starts, lengths = self._by_item
        counts = lengths[items]
        ends = np.cumsum(counts)
        positions = np.repeat(starts[items] - (ends - counts), counts) + np.arange(
            ends[-1] if len(ends) else 0
        )
        held = values[positions] * asked[ids[positions]]
        return np.bincount(np.repeat(np.arange(len(items)), counts), held, minlength=len(items))


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
