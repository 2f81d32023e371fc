"""Sparse postings, and BM25 computed from them as the bm25s library computes it."""

import bm25s
import numpy as np
import pytest

from advisor.kb.postings import Postings, bm25_postings

DOCUMENTS = [
    ["dang", "ky", "nhan", "hieu", "nhan", "hieu"],
    ["thanh", "lap", "hop", "tac", "xa"],
    ["hoa", "don", "dien", "tu", "hop", "tac", "xa", "dang", "ky"],
    ["_"],
]


@pytest.mark.parametrize("query", [["dang", "ky"], ["hop", "tac", "xa", "nhan"], ["khong", "co"], []])
def test_bm25_matches_the_library(query: list[str]) -> None:
    library = bm25s.BM25()
    library.index(DOCUMENTS, show_progress=False)
    known = [term for term in query if term in library.vocab_dict]
    expected = library.get_scores(known) if known else np.zeros(len(DOCUMENTS))
    assert np.allclose(bm25_postings(DOCUMENTS).total(query), expected, atol=1e-6)


def test_totals_of_every_item_and_of_some() -> None:
    postings = Postings([{"a": 1.0, "b": 2.0}, {"b": 0.5}, {}])
    assert postings.total(["b", "zzz"]).tolist() == [2.0, 0.5, 0.0]
    assert postings.total(["a", "b"]).tolist() == [3.0, 0.5, 0.0]
    assert postings.total(["a", "b"], items=[2, 0]).tolist() == [0.0, 3.0]
    assert postings.total(["zzz"], items=[1]).tolist() == [0.0]
    assert postings.total(["a"], items=[]).tolist() == []
    assert postings.total([]).tolist() == [0.0, 0.0, 0.0] and "a" in postings and "c" not in postings
