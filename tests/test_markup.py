from hypothesis import given
from hypothesis import strategies as st

from advisor.markup import render, visible_length


def test_subset_renders_to_telegram_html() -> None:
    r = render("**Đậm** và *nghiêng* <5 & [Cục SHTT](https://ipvietnam.gov.vn/a?b=1&c=2)\n- một\n- hai")
    assert r.errors == ()
    assert r.html == (
        "<b>Đậm</b> và <i>nghiêng</i> &lt;5 &amp; "
        '<a href="https://ipvietnam.gov.vn/a?b=1&amp;c=2">Cục SHTT</a>\n• một\n• hai'
    )


def test_paragraphs_and_entry_links() -> None:
    r = render("Một.\n\n\nHai [xem](entry:tm.fees).")
    assert r.paragraphs == ("Một.", 'Hai <a href="entry:tm.fees">xem</a>.')
    assert r.entry_refs == ("tm.fees",)


def test_escapes_give_literal_markers() -> None:
    assert render(r"3 \* 4 \[a\]").html == "3 * 4 [a]"


def test_errors_name_the_line() -> None:
    errors = render("ok\n\n**mở mà không đóng").errors
    assert [(e.line, e.message) for e in errors] == [(2, "'**' is opened but never closed")]


def test_visible_length_counts_utf16_like_telegram() -> None:
    assert visible_length("Việt") == 4
    assert visible_length("👍") == 2


@given(st.text(max_size=300))
def test_any_text_renders_to_balanced_html(text: str) -> None:
    html = render(text).html
    for tag in ("b", "i", "u", "a"):
        opened = html.count(f"<{tag}>") + html.count(f"<{tag} ")
        assert opened == html.count(f"</{tag}>")
