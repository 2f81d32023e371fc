"""The naive-Bayes classifier that tells which entry's words a question uses."""

from advisor.kb.classifier import NaiveBayes


def _classifier() -> NaiveBayes:
    documents = [
        ["dang", "ky", "nhan", "hieu", "logo", "nhan_hieu"],
        ["dang", "ky", "hop", "tac", "xa", "thanh", "lap"],
        ["hoa", "don", "dien", "tu"],
    ]
    answers = [{"xu", "phat", "vi", "pham"}, {"giay", "to"}, set()]
    return NaiveBayes(documents, answers)


def test_a_word_only_one_entry_uses_points_to_it() -> None:
    posterior, lead = _classifier().judge(["dang", "ky", "logo"])
    assert posterior.argmax() == 0 and lead[0] > 0 > lead[1]
    assert abs(posterior.sum() - 1) < 1e-9


def test_answer_words_count_less_than_phrasing_words() -> None:
    posterior, _ = _classifier().judge(["xu", "phat"])
    assert posterior.argmax() == 0
    by_answer, _ = _classifier().judge(["giay", "to"])
    by_phrasing, _ = _classifier().judge(["thanh", "lap"])
    assert by_phrasing[1] > by_answer[1]


def test_unknown_words_change_nothing_and_nothing_known_is_uniform() -> None:
    classifier = _classifier()
    known, _ = classifier.judge(["hoa", "don"])
    padded, _ = classifier.judge(["hoa", "don", "gia", "vang"])
    assert (known == padded).all()
    posterior, lead = classifier.judge(["gia", "vang"])
    assert posterior.max() - posterior.min() < 0.5 and abs(lead).max() < 1


def test_a_long_letter_does_not_make_the_posterior_certain() -> None:
    """Tempering: many known words still leave the runner-up some probability."""
    posterior, _ = _classifier().judge(["dang", "ky", "nhan", "hieu", "hop", "tac", "xa"])
    assert sorted(posterior)[-2] > 0.01
