"""A multinomial naive-Bayes classifier over the entries: which entry's words is this?

BM25 and the fuzzy scores (`advisor.kb.index`) judge an entry by the question's words it
contains; they cannot tell that "logo" or "xử phạt" point to one entry more than another
when both entries contain them. Naive Bayes learns that from the entries' own text (titles,
phrasings and keywords fully, answers at `ANSWER_COUNT`): its posterior, and how far ahead
of the best other entry it puts a candidate, are two features of the calibrated decision.
Measured with `advisor calibrate` (cross-validated, phrasings held out of the classifier as
well): real questions answered directly went from 0.47 to 0.61, see bench/README.md.

Closed form and sparse: built in one pass at each knowledge load; a question costs one
`Postings.total`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from advisor.kb.postings import Postings

SMOOTHING = 0.03
"""Additive (Lidstone) smoothing; small, because entries' texts are short and precise."""

ANSWER_COUNT = 0.3
"""A term of an entry's answer counts this much, once (phrasings are what members ask)."""

TEMPERATURE = 0.5
"""The posterior is taken over log-likelihoods divided by (known terms) ** this, so a long
letter does not make every posterior 0 or 1."""


class NaiveBayes:
    """Entry posteriors for a question's terms; immutable once built."""

    def __init__(self, documents: Sequence[Iterable[str]], answers: Sequence[Iterable[str]]) -> None:
        counts = []
        for document, answer in zip(documents, answers, strict=True):
            count: Counter[str] = Counter()
            count.update(document)
            for term in set(answer):
                count[term] += ANSWER_COUNT
            counts.append(count)
        size = len({term for count in counts for term in count}) or 1
        self._unseen = np.array(
            [math.log(SMOOTHING / (count.total() + SMOOTHING * size)) for count in counts]
        )
        """Per entry: the log-probability of a term it never contains."""
        self._gains = Postings([{t: math.log1p(n / SMOOTHING) for t, n in c.items()} for c in counts])
        """Per term: the entries containing it and how much more likely it is in each."""

    def judge(self, terms: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
        """(posterior, lead) of every entry: the tempered posterior (0-1), and its
        log-likelihood minus the best other entry's, per known term (> 0 for the first)."""
        known = [term for term in dict.fromkeys(terms) if term in self._gains]
        scores = self._unseen * len(known) + self._gains.total(known)
        per_term = max(1, len(known))
        posterior = np.exp((scores - scores.max()) / per_term**TEMPERATURE)
        posterior /= posterior.sum()
        if len(scores) < 2:
            return posterior, np.zeros_like(scores)
        first, second = np.argsort(-scores)[:2]
        others = np.full_like(scores, scores[first])
        others[first] = scores[second]
        return posterior, (scores - others) / per_term
