import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.text import MAX_QUESTION_CHARS, Normaliser, display, fold

NORMALISER = Normaliser.build({"htx": "hop tac xa", "ko": "khong"}, ["cho toi hoi", "xin chao"])


def test_fold_removes_marks_case_and_punctuation() -> None:
    assert fold("Đăng ký NHÃN HIỆU, tập thể!") == "dang ky nhan hieu tap the"


def test_old_and_new_tone_placement_fold_alike() -> None:
    assert fold("hoà thuý") == fold("hòa thúy") == "hoa thuy"


def test_abbreviations_and_fillers() -> None:
    assert NORMALISER.tokens("Xin chào, cho tôi hỏi HTX có phải dùng hđđt ko?") == [
        "hop",
        "tac",
        "xa",
        "co",
        "phai",
        "dung",
        "hddt",
        "khong",
    ]


def test_fillers_hidden_inside_fillers_are_removed() -> None:
    assert NORMALISER.tokens("cho cho toi hoi toi hoi htx") == ["hop", "tac", "xa"]


def test_only_filler_keeps_its_words() -> None:
    assert NORMALISER.tokens("xin chào") == ["xin", "chao"]


def test_display_keeps_diacritics_and_drops_controls() -> None:
    assert display("Hợp\u0000 tác   xã\u200b") == "Hợp tác xã"


@given(st.text())
def test_fold_is_idempotent_and_total(text: str) -> None:
    once = fold(text)
    assert fold(once) == once
    assert once == once.strip() and "  " not in once


@given(st.text())
def test_nfc_and_nfd_fold_alike(text: str) -> None:
    assert fold(unicodedata.normalize("NFC", text)) == fold(unicodedata.normalize("NFD", text))


@given(st.text())
def test_normaliser_never_raises_and_is_idempotent(text: str) -> None:
    once = NORMALISER.normalise(text)
    assert NORMALISER.normalise(once) == once


@settings(max_examples=5)
@given(st.sampled_from(["🙂", "\u202e", "\x00", "שלום", "a"]))
def test_huge_input_is_cut(piece: str) -> None:
    assert len(NORMALISER.normalise(piece * 100_000)) <= MAX_QUESTION_CHARS * 2
