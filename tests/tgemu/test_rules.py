"""Telegram's limits as pure functions: lengths, keyboards, commands, descriptions, photos."""

from __future__ import annotations

import pytest

from tgemu import rules
from tgemu.errors import ApiError
from tgemu.html import parse_html


def rejects(func, *args, **kwargs) -> ApiError:
    with pytest.raises(ApiError) as info:
        func(*args, **kwargs)
    return info.value


# --- lengths -----------------------------------------------------------------------------------


def test_text_length_counts_after_parsing():
    plain, _ = parse_html("<b>" + "a" * 4096 + "</b>")
    rules.check_message_text(plain)
    plain, _ = parse_html("<b>" + "a" * 4097 + "</b>")
    assert rejects(rules.check_message_text, plain).description == "Bad Request: message is too long"
    assert (
        rejects(rules.check_message_text, plain, editing=True).description == "Bad Request: MESSAGE_TOO_LONG"
    )
    rules.check_message_text("ệ" * 4096)  # characters, not bytes


@pytest.mark.parametrize("html", ["", "   ", "<b></b>", "<b> </b>\n"])
def test_empty_text_after_parsing(html):
    plain, _ = parse_html(html)
    assert rejects(rules.check_message_text, plain).description == "Bad Request: message text is empty"


def test_caption_and_callback_answer_lengths():
    rules.check_caption("")
    rules.check_caption("c" * 1024)
    assert rejects(rules.check_caption, "c" * 1025).description == "Bad Request: message caption is too long"
    rules.check_callback_answer(None)
    rules.check_callback_answer("đ" * 200)
    assert rejects(rules.check_callback_answer, "đ" * 201).description == "Bad Request: MESSAGE_TOO_LONG"


# --- keyboards --------------------------------------------------------------------------------


def keyboard(*rows):
    return {"inline_keyboard": [list(row) for row in rows]}


def button(data="x", text="Nút"):
    return {"text": text, "callback_data": data}


def test_callback_data_is_limited_in_bytes_not_characters():
    ok, too_long = "đ" * 32, "đ" * 32 + "a"  # 64 and 65 bytes, only 32 and 33 characters
    assert len(ok.encode()) == 64 and len(too_long.encode()) == 65
    rules.check_reply_markup(keyboard([button(ok)]))
    error = rejects(rules.check_reply_markup, keyboard([button(too_long)]))
    assert error.description == "Bad Request: BUTTON_DATA_INVALID"
    assert rejects(rules.check_reply_markup, keyboard([button("")])).description.endswith(
        "BUTTON_DATA_INVALID"
    )


def test_button_counts():
    rules.check_reply_markup(
        keyboard(*[[button(f"{r}.{c}") for c in range(8)] for r in range(12)] + [[button()] * 4])
    )
    assert "too long" in rejects(rules.check_reply_markup, keyboard([button()] * 9)).description
    too_many = keyboard(*[[button()] * 5 for _ in range(21)])
    assert rejects(rules.check_reply_markup, too_many).description == "Bad Request: reply markup is too long"


@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        ({"text": "", "callback_data": "x"}, "Text must be non-empty"),
        ({"text": "x"}, "Text buttons are unallowed"),
        ({"text": "x", "callback_data": "a", "url": "https://a.vn"}, "exactly one"),
        ({"text": "x", "url": "ftp://a.vn"}, "BUTTON_URL_INVALID"),
        ("x", "must be an Object"),
    ],
)
def test_bad_buttons(bad, fragment):
    assert fragment in rejects(rules.check_reply_markup, keyboard([bad])).description


def test_other_markups():
    rules.check_reply_markup(None)
    rules.check_reply_markup(keyboard([{"text": "Web", "url": "https://htx.vn"}]))
    rules.check_reply_markup({"keyboard": [["Có", {"text": "Không"}]], "resize_keyboard": True})
    rules.check_reply_markup({"remove_keyboard": True})
    rules.check_reply_markup({"force_reply": True})
    assert rejects(rules.check_reply_markup, {"keyboard": [[""]]}).code == 400
    assert rejects(rules.check_reply_markup, {"inline_keyboard": [button()]}).code == 400
    assert rejects(rules.check_reply_markup, {"what": 1}).code == 400


# --- commands ----------------------------------------------------------------------------------


def command(name="start", description="Bắt đầu"):
    return {"command": name, "description": description}


def test_commands():
    rules.check_commands([command("a" * 32, "d" * 256), command("help_2")])
    rules.check_commands([command(f"c{i}") for i in range(100)])
    assert rejects(rules.check_commands, [command(f"c{i}") for i in range(101)]).description.endswith(
        "BOT_COMMANDS_TOO_MUCH"
    )
    for name in ("Start", "/start", "a" * 33, "", "bắt_đầu", "a-b"):
        assert (
            rejects(rules.check_commands, [command(name)]).description == "Bad Request: BOT_COMMAND_INVALID"
        )
    assert "non-empty" in rejects(rules.check_commands, [command(description="")]).description
    assert rejects(rules.check_commands, [command(description="d" * 257)]).code == 400


def test_descriptions_scopes_languages():
    rules.check_description("d" * 512)
    rules.check_description("d" * 120, short=True)
    assert rejects(rules.check_description, "d" * 513).code == 400
    assert rejects(rules.check_description, "d" * 121, short=True).code == 400
    rules.check_scope({"type": "all_private_chats"})
    assert rejects(rules.check_scope, {"type": "everyone"}).code == 400
    assert rejects(rules.check_scope, {"type": "chat"}).code == 400
    rules.check_language_code("vi")
    rules.check_language_code("")
    assert rejects(rules.check_language_code, "vie").code == 400


def test_image_sizes():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + (640).to_bytes(4, "big") + (480).to_bytes(4, "big")
    assert rules.check_photo(png) == (640, 480)
    gif = b"GIF89a" + (10).to_bytes(2, "little") + (20).to_bytes(2, "little")
    assert rules.image_size(gif) == (10, 20)
    jpeg = (
        b"\xff\xd8\xff\xe0\x00\x04ab\xff\xc0\x00\x11\x08"
        + (300).to_bytes(2, "big")
        + (400).to_bytes(2, "big")
    )
    assert rules.image_size(jpeg + b"\x00" * 8) == (400, 300)
    assert rejects(rules.check_photo, b"not an image").description == "Bad Request: IMAGE_PROCESS_FAILED"
    thin = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + (2100).to_bytes(4, "big") + (100).to_bytes(4, "big")
    assert rejects(rules.check_photo, thin).description == "Bad Request: PHOTO_INVALID_DIMENSIONS"
    assert rejects(rules.check_document, b"").description == "Bad Request: file must be non-empty"
