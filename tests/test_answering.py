"""The engine on a tiny knowledge base: decisions, robustness, and the ask/eval commands."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.answering import Advisor, Thresholds
from advisor.cli import main
from advisor.evaluation import evaluate, kb_test_questions
from advisor.kb import load_knowledge
from tests.conftest import make_kb


@pytest.fixture(scope="module")
def advisor(tmp_path_factory: pytest.TempPathFactory) -> Advisor:
    kb = load_knowledge(make_kb(tmp_path_factory.mktemp("kb") / "k")).kb
    assert kb is not None
    return Advisor(kb)


def test_answers_with_and_without_diacritics(advisor: Advisor) -> None:
    for question in ("Lệ phí đăng ký nhãn hiệu bao nhiêu tiền?", "le phi dang ky nhan hieu bao nhieu tien"):
        decision = advisor.decide(question)
        assert decision.hits[0].entry_id == "t.one"
        assert decision.kind == "answer"


def test_out_of_scope_is_declined(advisor: Advisor) -> None:
    assert advisor.decide("giá vàng hôm nay").kind == "decline"


@pytest.mark.parametrize("blank", ["", "   ", "\n\t", "?!...", "🙂🙂"])
def test_empty_input_is_declined(advisor: Advisor, blank: str) -> None:
    decision = advisor.decide(blank)
    assert decision.kind == "decline" and decision.hits == () and decision.entry_id is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=2000))
def test_ranking_never_raises(advisor: Advisor, text: str) -> None:
    decision = advisor.decide(text)
    assert decision.kind in ("answer", "suggest", "decline")
    assert all(0 <= hit.score <= 100 for hit in decision.hits)


def test_huge_input_is_bounded(advisor: Advisor) -> None:
    start = time.perf_counter()
    advisor.decide("đăng ký nhãn hiệu " * 20_000)
    assert time.perf_counter() - start < 5  # a generous sanity bound; bench/ measures the real time


def test_thresholds_decide_between_answer_suggest_decline(advisor: Advisor) -> None:
    strict = Advisor(advisor.kb, Thresholds(answer=101, margin=0, suggest=0))
    assert strict.decide("le phi nhan hieu").kind == "suggest"
    assert len(strict.decide("le phi nhan hieu").suggestions) >= 1
    lax = Advisor(advisor.kb, Thresholds(answer=0, margin=0, suggest=0))
    assert lax.decide("le phi nhan hieu").kind == "answer"


def test_evaluate_counts_right_and_out_of_scope(advisor: Advisor) -> None:
    report = evaluate(advisor, kb_test_questions(advisor.kb))
    assert report.in_scope == 4 and report.top1 == 4 and report.top1_pct == 100.0


def test_ask_json_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_kb(tmp_path / "k")
    assert main(["ask", "--json", "--knowledge", str(root), "lệ phí đăng ký nhãn hiệu"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"question", "answered", "id", "score", "suggestions", "text"}
    assert result["answered"] is True and result["id"] == "t.one"
    assert "1,36 triệu đồng" in result["text"]


def test_ask_stdin_one_object_per_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    root = make_kb(tmp_path / "k")
    monkeypatch.setattr("sys.stdin", io.StringIO("le phi nhan hieu\n\ngia vang hom nay\n"))
    assert main(["ask", "--json", "--knowledge", str(root), "-"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["question"] for line in lines] == ["le phi nhan hieu", "gia vang hom nay"]
    assert lines[1]["answered"] is False and lines[1]["id"] is None


def test_eval_floor_sets_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_kb(tmp_path / "k")
    labelled = tmp_path / "dev.yaml"
    labelled.write_text(
        "- {q: 'le phi nhan hieu', expect: [t.one]}\n- {q: 'gia vang hom nay', expect: null}\n",
        encoding="utf-8",
    )
    assert main(["eval", "--knowledge", str(root), str(labelled), "--fold", "--min-top1", "90"]) == 0
    out = capsys.readouterr().out
    assert "top-1 100.0 %" in out and "(folded, no diacritics)" in out
    assert main(["eval", "--knowledge", str(root), str(labelled), "--min-top3", "101"]) == 1
    bad = tmp_path / "bad.yaml"
    bad.write_text("{q: 1}", encoding="utf-8")
    assert main(["eval", "--knowledge", str(root), str(bad)]) == 2
