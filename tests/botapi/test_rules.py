"""Telegram's rules as pure functions: HTML parse mode, lengths, keyboards, commands, flood limits."""

from __future__ import annotations

import pytest

from advisor.botapi import rules
from advisor.botapi.rules import ApiError, Rate, RateLimiter, parse_html


def rejects(func, *args, **kwargs) -> ApiError:
    with pytest.raises(ApiError) as info:
        func(*args, **kwargs)
    return info.value


# --- HTML ------------------------------------------------------------------------------------


def test_plain_tags_give_entities():
    text, entities = parse_html("<b>bold</b> <i>it</i> <u>u</u> <s>s</s>")
    assert text == "bold it u s"
    assert [(e["type"], e["offset"], e["length"]) for e in entities] == [
        ("bold", 0, 4),
        ("italic", 5, 2),
        ("underline", 8, 1),
        ("strikethrough", 10, 1),
    ]


def test_synonyms_and_upper_case_tag_names():
    text, entities = parse_html("<STRONG>a</STRONG><em>b</em><ins>c</ins><del>d</del><strike>e</strike>")
    assert text == "abcde"
    assert [e["type"] for e in entities] == ["bold", "italic", "underline", "strikethrough", "strikethrough"]


def test_nesting_outer_entity_first():
    text, entities = parse_html("<b>a<i>b</i></b>")
    assert text == "ab"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 2},
        {"type": "italic", "offset": 1, "length": 1},
    ]


def test_link_code_pre_spoiler_quote_emoji():
    html = (
        '<a href="https://htx.vn/?a=1&amp;b=2">web</a> <code>x</code> '
        '<pre><code class="language-python">x = 1</code></pre> <span class="tg-spoiler">s</span> '
        "<tg-spoiler>t</tg-spoiler> <blockquote expandable>q</blockquote> <blockquote>r</blockquote> "
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
    )
    text, entities = parse_html(html)
    assert text == "web x x = 1 s t q r 👍"
    by_type = {e["type"]: e for e in entities}
    assert by_type["text_link"]["url"] == "https://htx.vn/?a=1&b=2"
    assert by_type["code"] == {"type": "code", "offset": 4, "length": 1}
    assert by_type["pre"] == {"type": "pre", "offset": 6, "length": 5, "language": "python"}
    assert [e["type"] for e in entities].count("spoiler") == 2
    assert by_type["expandable_blockquote"]["length"] == 1
    assert by_type["blockquote"]["length"] == 1
    assert by_type["custom_emoji"]["custom_emoji_id"] == "5368324170671202286"


@pytest.mark.parametrize(
    "href", ["http://a.vn", "https://a.vn/x?y=1", "tg://user?id=42", "mailto:htx@example.com"]
)
def test_allowed_link_schemes(href):
    assert parse_html(f'<a href="{href}">x</a>')[1][0]["url"] == href


def test_character_references():
    text, entities = parse_html("&lt;b&gt; &amp; &quot; &#123; &#x1F600; > done")
    assert text == '<b> & " { 😀 > done'
    assert entities == []


def test_utf16_offsets_with_emoji_and_vietnamese():
    text, entities = parse_html("😀 <b>Hợp tác xã</b> <i>ổn</i>")
    assert text == "😀 Hợp tác xã ổn"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 10},
        {"type": "italic", "offset": 14, "length": 2},
    ]
    text, entities = parse_html("<b>👍👍</b>x")
    assert entities[0]["length"] == 4 == rules.utf16_len("👍👍")


def test_same_span_lists_the_outer_tag_first():
    assert [e["type"] for e in parse_html("<b><i>x</i></b>")[1]] == ["bold", "italic"]


def test_empty_entities_are_dropped():
    assert parse_html("a<b></b>b") == ("ab", [])


@pytest.mark.parametrize(
    ("html", "message"),
    [
        ("Hello<div>x</div>", 'Unsupported start tag "div" at byte offset 5'),
        ("Xin chào <p>", 'Unsupported start tag "p" at byte offset 10'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("Tom & Jerry", 'Unsupported HTML entity or unescaped "&" at byte offset 4'),
        ("a&nbsp;b", "Unsupported HTML entity"),
        ("&#0;", "Unsupported HTML entity"),
        ("&#xD800;", "Unsupported HTML entity"),
        ('<b class="x">y</b>', 'Unsupported attribute "class" in the tag "b"'),
        ("<a>x</a>", 'Tag "a" must have attribute "href"'),
        ('<a href="javascript:alert(1)">x</a>', "Unsupported URL"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ('<a href="https://a.vn?x=1&y=2">x</a>', 'unescaped "&"'),
        ("<br/>", 'Unsupported start tag "br"'),
    ],
)
def test_rejected_html(html, message):
    error = rejects(parse_html, html)
    assert error.code == 400
    assert error.description.startswith("Bad Request: can't parse entities: ")
    assert message in error.description


def test_parse_text_modes():
    assert rules.parse_text("<b>x</b>", None) == ("<b>x</b>", [])
    assert rules.parse_text("<b>x</b>", "HTML") == ("x", [{"type": "bold", "offset": 0, "length": 1}])
    given = [{"type": "bold", "offset": 0, "length": 1}]
    assert rules.parse_text("x", None, given) == ("x", given)
    assert rejects(rules.parse_text, "*x*", "MarkdownV2").code == 400


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


# --- flood limits ------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limits_are_off_by_default():
    limiter = RateLimiter(clock=Clock())
    for _ in range(1000):
        limiter.acquire(42)


def test_per_chat_rate_with_burst():
    clock = Clock()
    limiter = RateLimiter(per_chat_rate=Rate(3, 3.0), clock=clock)
    for _ in range(3):
        limiter.acquire(42)
    error = rejects(limiter.acquire, 42)
    assert (error.code, error.retry_after, error.description) == (429, 3, "Too Many Requests: retry after 3")
    assert error.to_response()["parameters"] == {"retry_after": 3}
    limiter.acquire(43)  # other chats are not affected
    clock.now += 2.2
    assert rejects(limiter.acquire, 42).retry_after == 1  # 0.8 s rounds up to at least 1
    clock.now += 0.8
    limiter.acquire(42)


def test_rejected_messages_do_not_count():
    clock = Clock()
    limiter = RateLimiter(per_chat_rate=1, clock=clock)
    limiter.acquire(1)
    for _ in range(5):
        rejects(limiter.acquire, 1)
    clock.now += 1
    limiter.acquire(1)


def test_global_rate_spans_chats():
    clock = Clock()
    limiter = RateLimiter(global_rate=2, clock=clock)
    limiter.acquire(1)
    limiter.acquire(2)
    assert rejects(limiter.acquire, 3).retry_after == 1
    clock.now += 1
    limiter.acquire(3)


def test_group_rate_applies_to_groups_only():
    clock = Clock()
    limiter = RateLimiter(group_rate=Rate(20, 60), clock=clock)
    for _ in range(20):
        limiter.acquire(-100123)
    assert rejects(limiter.acquire, -100123).retry_after == 60
    for _ in range(30):
        limiter.acquire(42)
    clock.now += 30
    assert rejects(limiter.acquire, -100123).retry_after == 30


def test_rate_shorthands():
    assert rules.as_rate(30) == Rate(30, 1.0)
    assert rules.as_rate(0.5) == Rate(1, 2.0)
    assert rules.as_rate(None) is None
    with pytest.raises(ValueError):
        Rate(0)


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
