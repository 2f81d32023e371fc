"""One broken fixture per validation rule, each asserting the exact `path:line: message`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from advisor.cli import main
from advisor.kb import load_knowledge
from tests.conftest import VALID_ENTRY, make_kb

TODAY = dt.date(2026, 11, 22)
UNCLOSED_LIST = (
    "did not find expected ',' or ']'" if yaml.__with_libyaml__ else "expected ',' or ']', but got ':'"
)
"""libyaml and PyYAML's pure-Python parser word this syntax error differently."""
KNOWN = (
    "id, topic, title, title_en, phrasings, phrasings_en, keywords, answer, answer_en, source, reviewed, "
    "related, test_questions, guide, programme, draft"
)


def problems_of(root: Path) -> list[str]:
    return [str(p) for p in load_knowledge(root, today=TODAY).problems]


def broken(tmp_path: Path, old: str, new: str) -> tuple[Path, str]:
    """The valid fixture with one text replaced; returns the folder and the FAQ path."""
    assert old in VALID_ENTRY, old
    root = make_kb(tmp_path / "kb", VALID_ENTRY.replace(old, new, 1))
    return root, str(root / "faq" / "t.yaml")


def test_valid_fixture_has_no_problems(tiny_kb_dir: Path) -> None:
    result = load_knowledge(tiny_kb_dir, today=TODAY)
    assert result.problems == []
    assert result.kb is not None and list(result.kb.entries) == ["t.one", "t.two"]


CASES = [
    (
        "yaml syntax",
        "    title: Lệ phí đăng ký nhãn hiệu\n",
        "    title: [unclosed\n",
        "{f}:5: YAML syntax: " + UNCLOSED_LIST,
    ),
    (
        "unknown field",
        "    keywords: [lệ phí, chi phí]\n",
        "    keywords: [lệ phí]\n    colour: red\n",
        "{f}:10: unknown field 'colour' in entry (known: " + KNOWN + ")",
    ),
    (
        "missing field",
        "    source: Thông tư 263/2016/TT-BTC\n",
        "",
        "{f}:3: entry is missing required field 'source'",
    ),
    (
        "wrong type date",
        "    reviewed: 2026-01-10\n    related",
        "    reviewed: soon\n    related",
        "{f}:16: 'reviewed' must be a date written YYYY-MM-DD, got 'soon'",
    ),
    (
        "wrong type list",
        "    keywords: [lệ phí, chi phí]\n",
        "    keywords: lệ phí\n",
        "{f}:9: 'keywords' must be a list",
    ),
    (
        "related nowhere",
        "    related: [t.two]\n",
        "    related: [t.nope]\n",
        "{f}:17: related entry 't.nope' points to no entry",
    ),
    ("link nowhere", "(entry:t.one)", "(entry:t.none)", "{f}:27: link 't.none' points to no entry"),
    (
        "guide nowhere",
        "    related: [t.two]\n",
        "    related: [t.two]\n    guide: guide.none\n",
        "{f}:18: guide 'guide.none' does not exist",
    ),
    ("empty text", "    title: Thủ tục đăng ký nhãn hiệu\n", "    title: ''\n", "{f}:22: 'title' is empty"),
    (
        "over-long answer",
        "    answer: Nộp đơn tại Cục",
        "    answer: " + "rất dài " * 500 + "Nộp đơn tại Cục",
        "{f}:27: 'answer' is too long after formatting (4043 characters, at most 3500); "
        "shorten it or move part into a related entry",
    ),
    (
        "unbalanced markup",
        "Khoảng **1,36 triệu đồng** cho",
        "Khoảng **1,36 triệu đồng cho",
        "{f}:11: 'answer': '**' is opened but never closed",
    ),
    (
        "html not allowed",
        "      - thẩm định\n",
        "      - thẩm định <b>nhanh</b>\n",
        "{f}:14: 'answer': HTML tags are not allowed; use **bold**, *italic*, [text](url)",
    ),
    (
        "bad link",
        "(entry:t.one)",
        "(javascript:alert)",
        "{f}:27: 'answer': link address 'javascript:alert' must be an http:// or https:// "
        "address or entry:id",
    ),
    (
        "future review",
        "    reviewed: 2026-01-10\n    related",
        "    reviewed: 2027-01-10\n    related",
        "{f}:16: 'reviewed' date 2027-01-10 is in the future",
    ),
    (
        "too few phrasings",
        "      - Chi phí bảo hộ thương hiệu\n",
        "",
        "{f}:5: 'phrasings' needs at least 3 items, has 2",
    ),
    (
        "too few test questions",
        "      - le phi dk nhan hieu\n",
        "",
        "{f}:18: 'test_questions' needs at least 2 items, has 1",
    ),
    (
        "test question copies phrasing",
        "      - le phi dk nhan hieu\n",
        "      - dang ky nhan hieu het bao nhieu tien\n",
        "{f}:19: test question 'dang ky nhan hieu het bao nhieu tien' copies a phrasing; word it differently",
    ),
    (
        "repeated phrasing",
        "      - Chi phí bảo hộ thương hiệu\n",
        "      - phi nop don nhan hieu la bao nhieu\n",
        "{f}:8: entry 't.one' repeats the phrasing 'phi nop don nhan hieu la bao nhieu'",
    ),
    (
        "bad id",
        "  - id: t.two\n",
        "  - id: T Two\n",
        "{f}:21: id 'T Two' must be lower-case ASCII words joined by dots, e.g. tm.fees",
    ),
    (
        "unknown topic",
        "  - id: t.two\n",
        "  - id: t.two\n    topic: zz\n",
        "{f}:22: unknown topic 'zz' (topics.yaml lists: t)",
    ),
    (
        "duplicate key",
        "    title: Thủ tục đăng ký nhãn hiệu\n",
        "    title: A\n    title: B\n",
        "{f}:23: duplicate key 'title'",
    ),
]


@pytest.mark.parametrize(("rule", "old", "new", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_rule_reports_path_line_message(
    tmp_path: Path, rule: str, old: str, new: str, expected: str
) -> None:
    root, faq = broken(tmp_path, old, new)
    result = load_knowledge(root, today=TODAY)
    assert expected.format(f=faq) in [str(p) for p in result.problems]
    assert result.kb is None


def test_duplicate_ids_are_reported_in_both_places(tmp_path: Path) -> None:
    root, faq = broken(tmp_path, "  - id: t.two\n", "  - id: t.one\n")
    where = f"{faq}:3, {faq}:21"
    problems = problems_of(root)
    assert f"{faq}:3: duplicate id 't.one' (defined at {where})" in problems
    assert f"{faq}:21: duplicate id 't.one' (defined at {where})" in problems


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    text = VALID_ENTRY.replace(
        "    reviewed: 2026-01-10\n    related", "    reviewed: 2099-01-01\n    related"
    )
    text = text.replace("[t.two]", "[t.gone]").replace("**1,36", "**1,36 *x")
    root = make_kb(tmp_path / "kb", text)
    assert len(load_knowledge(root, today=TODAY).errors) >= 3


def test_stale_review_is_a_warning_only(tmp_path: Path) -> None:
    root, faq = broken(
        tmp_path, "    reviewed: 2026-01-10\n    related", "    reviewed: 2025-01-10\n    related"
    )
    result = load_knowledge(root, today=TODAY)
    assert result.kb is not None
    assert [str(p) for p in result.problems] == [
        f"{faq}:16: warning: 'reviewed' 2025-01-10 is more than 12 months ago; review it"
    ]


def test_guide_step_pointing_nowhere(tmp_path: Path) -> None:
    guides = """\
guides:
  - id: guide.g
    title: Lộ trình
    intro: Hai bước.
    source: Luật
    reviewed: 2026-01-01
    steps:
      - title: Một
        text: Bước một.
        entries: [t.one]
      - title: Hai
        text: Bước hai.
        entries: [t.missing]
"""
    root = make_kb(tmp_path / "kb", extra={"guides.yaml": guides})
    assert problems_of(root) == [
        f"{root / 'guides.yaml'}:13: guide step entry 't.missing' points to no entry"
    ]


def test_file_not_utf8(tmp_path: Path) -> None:
    root = make_kb(tmp_path / "kb")
    (root / "faq" / "latin.yaml").write_bytes("topic: t\nentries:\n  - id: caf\xe9\n".encode("latin-1"))
    assert problems_of(root) == [
        f"{root / 'faq' / 'latin.yaml'}:3: file is not UTF-8 text (save it as UTF-8)"
    ]


def test_empty_file(tmp_path: Path) -> None:
    root = make_kb(tmp_path / "kb", extra={"faq/empty.yaml": "# nothing yet\n\n"})
    assert problems_of(root) == [f"{root / 'faq' / 'empty.yaml'}:1: file is empty"]


def test_yaml_bomb_is_refused_quickly(tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(20)
    )
    root = make_kb(tmp_path / "kb", extra={"faq/bomb.yaml": bomb})
    assert problems_of(root) == [f"{root / 'faq' / 'bomb.yaml'}:1: anchors (&name) are not allowed"]


def test_unknown_file(tmp_path: Path) -> None:
    root = make_kb(tmp_path / "kb", extra={"notes.yaml": "a: 1\n"})
    assert problems_of(root) == [
        f"{root / 'notes.yaml'}:1: unknown knowledge file (expected faq/*.yaml or one of "
        "topics.yaml, guides.yaml, synonyms.yaml, ui.yaml, assessment.yaml, privacy.yaml)"
    ]


def test_ui_placeholders_must_match(tmp_path: Path) -> None:
    root = make_kb(tmp_path / "kb")
    ui = root / "ui.yaml"
    ui.write_text(
        ui.read_text(encoding="utf-8") + "  extra:\n    vi: Xin chào {name}\n    en: Hello {nom}\n",
        encoding="utf-8",
    )
    line = ui.read_text(encoding="utf-8").splitlines().index("  extra:") + 1
    assert problems_of(root) == [
        f"{ui}:{line}: text 'extra' uses different placeholders in vi ['name'] and en ['nom']"
    ]


def test_programme_kind_and_sector_checked(tmp_path: Path) -> None:
    programme = (
        "    programme:\n      kind: gifts\n      sectors: [fishing]\n      eligible: a\n      benefit: b\n"
        "      apply: c\n      contact: d\n      legal_basis: e\n"
    )
    root, faq = broken(tmp_path, "    related: [t.two]\n", "    related: [t.two]\n" + programme)
    problems = problems_of(root)
    assert any(p.startswith(f"{faq}:19: programme kind 'gifts' is not one of") for p in problems)
    assert any(p.startswith(f"{faq}:20: sector 'fishing' is not 'all' or one of") for p in problems)


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = make_kb(tmp_path / "good")
    assert main(["validate", str(good)]) == 0
    assert capsys.readouterr().out.startswith("ok: 2 entries (t 2)")
    bad, faq = broken(tmp_path, "    related: [t.two]\n", "    related: [t.nope]\n")
    assert main(["validate", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{faq}:17: related entry 't.nope' points to no entry" in err
    assert main(["validate", str(tmp_path / "missing")]) == 1
