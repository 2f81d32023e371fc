"""Telegram's HTML parse mode: entities, UTF-16 offsets, character references, refusals."""

from __future__ import annotations

import pytest

from tgemu.errors import ApiError
from tgemu.html import parse_html, parse_text, utf16_len


def rejects(func, *args, **kwargs) -> ApiError:
    with pytest.raises(ApiError) as info:
        func(*args, **kwargs)
    return info.value


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
    assert entities[0]["length"] == 4 == utf16_len("👍👍")


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
    assert parse_text("<b>x</b>", None) == ("<b>x</b>", [])
    assert parse_text("<b>x</b>", "HTML") == ("x", [{"type": "bold", "offset": 0, "length": 1}])
    given = [{"type": "bold", "offset": 0, "length": 1}]
    assert parse_text("x", None, given) == ("x", given)
    assert rejects(parse_text, "*x*", "MarkdownV2").code == 400
