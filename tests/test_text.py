import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.folding import display, fold
from advisor.text import MAX_QUESTION_CHARS, Normaliser

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


def test_trademark_symbols_fold_to_the_letters_people_type_for_them() -> None:
    assert fold("In ký hiệu ® trên bao bì") == "in ky hieu r tren bao bi"
    assert fold("Nhãn ABC™, ©2024") == "nhan abc tm c 2024"
    assert NORMALISER.question("HTX in ® khi chưa có văn bằng được không?")[0][:4] == [
        "hop",
        "tac",
        "xa",
        "in",
    ]
    assert "r" in NORMALISER.question("HTX in ® khi chưa có văn bằng được không?")[0]


def test_the_legal_doublet_of_cooperative_and_union_names_the_cooperative_only() -> None:
    assert NORMALISER.tokens("Thủ tục giải thể hợp tác xã, liên hiệp hợp tác xã") == (
        ["thu", "tuc", "giai", "the", "hop", "tac", "xa"]
    )
    assert NORMALISER.question("hợp tác xã hoặc liên hiệp hợp tác xã giải thể thế nào?")[0][:4] == [
        "hop",
        "tac",
        "xa",
        "giai",
    ]
    union = "Thành lập liên hiệp hợp tác xã cần mấy hợp tác xã?"
    assert NORMALISER.tokens(union)[:6] == ["thanh", "lap", "lien", "hiep", "hop", "tac"]


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


# Reducing long, formal questions to their substance.

PLACES = ("Bến Tre", "Đồng Tháp", "An Giang", "Hà Nội", "Cà Mau")
FORMAL = Normaliser.build(
    {"htx": "hop tac xa", "ko": "khong", "tr": "trieu", "nh": "nhan hieu"},
    ["cho toi hoi", "xin chao", "xin chao luat su", "cam on", "xin cam on", "a"],
    PLACES,
)


def test_greeting_self_introduction_and_signature_are_dropped() -> None:
    substance = "thu tuc dang ky nhan hieu"
    for text in (
        "Xin chào luật sư, cho tôi hỏi thủ tục đăng ký nhãn hiệu? Tôi tên Nguyễn Văn A, ở Bến Tre. Cảm ơn.",
        "Kính gửi anh chị. Em là Trần Thị Bích, ở tỉnh Đồng Tháp. Em muốn hỏi: thủ tục đăng ký nhãn hiệu ạ.",
        "Tôi tên Nguyễn Văn A, ở Bến Tre, cho tôi hỏi thủ tục đăng ký nhãn hiệu",
        "thủ tục đăng ký nhãn hiệu. Trân trọng, Lê Văn Tám",
        "thủ tục đăng ký nhãn hiệu, mong luật sư tư vấn giúp, em cảm ơn nhiều",
        "thu tuc dang ky nhan hieu, tai xa Tan Phu, huyen Chau Thanh",
        "chao ad cho em hoi thu tuc dang ky nhan hieu em ten la hoa o an giang",
        "Tên tôi là Lan cho tôi hỏi thủ tục đăng ký nhãn hiệu",
    ):
        assert FORMAL.normalise(text) == substance, text


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("nộp đơn nhãn hiệu ở đâu", "nop don nhan hieu o dau"),  # "ở đâu" asks
        ("Tôi là hộ kinh doanh, có được đăng ký nhãn hiệu không?", "toi la ho kinh doanh"),
        ("Quản lý thành viên HTX, dùng phần mềm nào", "quan ly thanh vien"),  # not "quận"
        ("Bán hàng online, cần gì", "ban hang online"),  # not "bản" (village)
        ("Bản quyền logo, đăng ký ở đâu", "ban quyen logo"),
        ("Đã đăng ký nhãn hiệu, giờ muốn gia hạn thì sao", "da dang ky"),  # not "dạ"
        ("Xã viên HTX, muốn rút vốn thì làm sao", "xa vien"),  # not "xã Tân Phú"
        ("Bảo hộ nhãn hiệu, ở nước ngoài", "o nuoc ngoai"),  # not a province
        ("Ở Bến Tre có hỗ trợ HTX không?", "o ben tre co ho tro"),  # asks
        ("Phần mềm kế toán nào tốt, chức năng đầy đủ", "chuc nang day du"),  # not "chúc"
        ("HTX cần hỗ trợ gì, mong muốn xuất khẩu", "mong muon xuat khau"),  # not "mong luật sư"
    ],
)
def test_substance_is_kept(text: str, kept: str) -> None:
    assert kept in FORMAL.normalise(text)


def test_the_asking_sentence_is_the_focus() -> None:
    tokens, asking = FORMAL.question(
        "Chào luật sư, HTX chúng tôi trồng bưởi đã nhiều năm. Thủ tục đăng ký nhãn hiệu thế nào? Xin cảm ơn."
    )
    assert (
        " ".join(tokens) == "hop tac xa chung toi trong buoi da nhieu nam thu tuc dang ky nhan hieu the nao"
    )
    assert [" ".join(s) for s in asking] == ["thu tuc dang ky nhan hieu the nao"]
    assert FORMAL.question("HTX tôi trồng bưởi, cho tôi hỏi thủ tục đăng ký nhãn hiệu")[1][0][0] == "thu"
    assert FORMAL.question("Hợp tác xã bán không được hàng, có chương trình nào giúp không?")[1] == []


def test_every_asking_sentence_of_a_message_is_kept() -> None:
    _, asking = FORMAL.question("Lệ phí đăng ký nhãn hiệu bao nhiêu? Còn hóa đơn điện tử đăng ký ở đâu?")
    assert [" ".join(s) for s in asking] == [
        "le phi dang ky nhan hieu bao nhieu",
        "con hoa don dien tu dang ky o dau",
    ]


def test_numbers_and_units_typed_together_are_split() -> None:
    assert FORMAL.tokens("hđ 10tr, NQ20") == ["hd", "10", "trieu", "nq", "20"]


SIGNATURE_BITS = st.sampled_from(
    [
        "Xin chào luật sư",
        "cho tôi hỏi",
        "Tôi tên Nguyễn Văn A",
        "em là Trần Thị B",
        "ở Bến Tre",
        "tại xã Tân Phú",
        "Xin cảm ơn",
        "thủ tục đăng ký nhãn hiệu",
        "htx ko có tiền",
        "ạ",
        "?",
        ".",
        ",",
        "\n",
        "🙂",
    ]
)


@settings(max_examples=300)
@given(st.lists(st.one_of(SIGNATURE_BITS, st.text(max_size=12)), max_size=12).map(" ".join))
def test_question_reduction_is_idempotent_and_total(text: str) -> None:
    once = FORMAL.normalise(text)
    assert FORMAL.normalise(once) == once
    assert FORMAL.normalise(unicodedata.normalize("NFD", text)) == FORMAL.normalise(
        unicodedata.normalize("NFC", text)
    )
    tokens, asking = FORMAL.question(text)
    assert all(0 < len(sentence) < len(tokens) for sentence in asking)


@given(st.text())
def test_normaliser_nfc_and_nfd_alike(text: str) -> None:
    nfc, nfd = unicodedata.normalize("NFC", text), unicodedata.normalize("NFD", text)
    assert NORMALISER.normalise(nfc) == NORMALISER.normalise(nfd)
