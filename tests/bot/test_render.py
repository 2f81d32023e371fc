import pytest

from advisor import markup
from advisor.telegram import callbacks, render
from advisor.views import Button, View


def test_callback_roundtrip_and_limit() -> None:
    data = callbacks.encode("abcdef12", ("entry", "tm.collective_rules"))
    assert data == "abcd:entry:tm.collective_rules"
    decoded = callbacks.decode(data)
    assert decoded == callbacks.Callback("abcd", "entry", ("tm.collective_rules",))
    with pytest.raises(ValueError):
        callbacks.encode("abcd", ("entry", "x" * 60))
    with pytest.raises(ValueError):
        callbacks.encode("abcd", ("entry", "lệ phí"))


@pytest.mark.parametrize("forged", ["", "x", "abcd", "ab:entry", "abcd:entry:a b", "é" * 40, "abcd::x", None])
def test_forged_callback_data_is_rejected(forged: str | None) -> None:
    with pytest.raises(callbacks.CallbackError):
        callbacks.decode(forged)


def test_long_views_split_between_paragraphs_within_4096() -> None:
    paragraphs = tuple(f"<b>Đoạn {i}</b> " + "chữ " * 300 for i in range(10))
    parts = render.split_paragraphs(paragraphs)
    assert len(parts) > 1
    for part in parts:
        assert markup.visible_length(markup.html_visible_text(part)) <= 4096
        assert part.count("<b>") == part.count("</b>")
    assert "".join(parts).count("<b>") == 10


def test_one_giant_paragraph_is_cut_at_words() -> None:
    parts = render.split_paragraphs(("từ " * 5000,))
    assert all(markup.visible_length(p) <= 4096 for p in parts)
    assert sum(p.count("từ") for p in parts) == 5000


def test_keyboard_limits() -> None:
    rows = tuple((Button("x" * 200, ("entry", f"a.b{i}")),) for i in range(120))
    keyboard = render.keyboard(rows, "abcd1234")
    buttons = [b for row in keyboard.inline_keyboard for b in row]
    assert len(buttons) == 100
    assert all(len(b.text) <= render.MAX_BUTTON_LABEL for b in buttons)
    assert all(len(b.callback_data.encode()) <= 64 for b in buttons)


def test_keyboard_goes_on_last_message() -> None:
    view = View(tuple("chữ " * 900 for _ in range(3)), ((Button("ok", ("menu",)),),))
    messages = render.messages(view, "abcd1234")
    assert len(messages) == 3
    assert [m.keyboard is not None for m in messages] == [False, False, True]


def test_cross_references_open_the_entry_in_the_bot() -> None:
    html = 'Xem <a href="entry:tm.fees">lệ phí</a>.'
    linked = 'Xem <a href="https://t.me/htx_bot?start=e_tm-fees">lệ phí</a>.'
    assert render.entry_links(html, "htx_bot") == linked
    assert render.entry_links(html, None) == "Xem <u>lệ phí</u>."
