"""The engine on a tiny knowledge base (decisions, robustness, the ask/eval commands) and on
the real one (out-of-scope probes are declined, long formal questions still answer)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor import calibration
from advisor.answering import Advisor
from advisor.cli import main
from advisor.decision import Model
from advisor.english import EnglishNormaliser, is_english
from advisor.evaluation import Labelled, evaluate, kb_test_questions, read_labelled
from advisor.folding import fold
from advisor.kb import index, load_knowledge
from advisor.text import MAX_QUESTION_CHARS
from advisor.views import decision_view
from tests.conftest import KNOWLEDGE, SHARED, make_kb

PROBES = read_labelled(Path(__file__).resolve().parent.parent / "eval" / "out_of_scope.yaml")
"""Our out-of-scope probes (eval/out_of_scope.yaml): everyday topics and near-domain ones."""

GENERIC_FOCUS_PROBES = (
    # Out of scope with a generic last sentence: judging the asking sentence alone must not
    # make "phải làm sao?" look like a match.
    "Nhà tôi nuôi heo bị dịch tả. Phải làm sao?",
    "Con tôi bị sốt cao hai ngày nay. Có sao không?",
    "Xe máy của tôi bị mất giấy đăng ký. Giờ phải làm thế nào?",
    "Vườn sầu riêng bị vàng lá. Xử lý thế nào?",
)

FORMAL = (
    # Long, formal wrappings of a real question: they must reduce to its substance.
    "Xin chào luật sư, cho tôi hỏi {q}? Tôi tên Nguyễn Văn A, ở Bến Tre. Xin cảm ơn.",
    "Kính gửi anh chị. Em là Trần Thị Bích, ở tỉnh Đồng Tháp. Em muốn hỏi: {q} ạ. Em cảm ơn nhiều.",
    "chao ad cho em hoi {q} em ten la hoa o an giang",
)

CONTEXT = (
    # A sentence of context before the question: kept for ranking, not held against it.
    "Chào luật sư, HTX chúng tôi ở xã Tân Phú trồng bưởi đã nhiều năm. {q}? Xin cảm ơn.",
    "Em là thành viên hợp tác xã nuôi tôm ở Cà Mau, năm nay HTX mới thành lập. Em muốn hỏi: {q}",
)


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


def test_huge_input_is_read_only_up_to_a_message_length(advisor: Advisor) -> None:
    """Work is bounded by construction (bench/ measures the time): a pasted megabyte is
    judged on its first MAX_QUESTION_CHARS characters, exactly as if only those were sent."""
    for size in (20_000, 1_000_000):
        text = ("Xin chào, cho tôi hỏi lệ phí đăng ký nhãn hiệu bao nhiêu? " * (size // 50))[:size]
        huge, cut = advisor.decide(text), advisor.decide(text[:MAX_QUESTION_CHARS])
        assert (huge.kind, huge.normalised, huge.hits) == (cut.kind, cut.normalised, cut.hits)


def test_thresholds_decide_between_answer_suggest_decline(advisor: Advisor) -> None:
    model = advisor.model
    strict = Advisor(advisor.kb, dataclasses.replace(model, answer=1.01, suggest=0.0))
    assert strict.decide("le phi nhan hieu").kind == "suggest"
    assert len(strict.decide("le phi nhan hieu").suggestions) >= 1
    lax = Advisor(advisor.kb, dataclasses.replace(model, answer=0.0, suggest=0.0))
    assert lax.decide("le phi nhan hieu").kind == "answer"
    closed = Advisor(advisor.kb, dataclasses.replace(model, answer=1.01, suggest=1.01))
    assert closed.decide("le phi nhan hieu").kind == "decline"


def test_ranking_and_confidence_are_one_scale(real: Advisor) -> None:
    for item in kb_test_questions(real.kb)[:60]:
        scores = [hit.score for hit in real.decide(item.question).hits]
        assert scores == sorted(scores, reverse=True)


def test_signature_and_greeting_do_not_change_the_answer(advisor: Advisor) -> None:
    plain = advisor.decide("lệ phí đăng ký nhãn hiệu bao nhiêu")
    for template in FORMAL:
        wrapped = advisor.decide(template.format(q="lệ phí đăng ký nhãn hiệu bao nhiêu"))
        assert wrapped.normalised == plain.normalised
        assert (wrapped.kind, wrapped.entry_id) == ("answer", "t.one")


def test_scores_are_absolute_not_relative(advisor: Advisor) -> None:
    # a relative score would give the best candidate full marks however weak the match
    weak = advisor.decide("thoi tiet ngay mai the nao")
    assert weak.kind == "decline" and weak.score < 100 * advisor.model.suggest


def test_evaluate_counts_right_and_out_of_scope(advisor: Advisor) -> None:
    report = evaluate(advisor, kb_test_questions(advisor.kb))
    assert report.in_scope == 4 and report.top1 == 4 and report.top1_pct == 100.0


def test_ask_json_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_kb(tmp_path / "k")
    assert main(["ask", "--json", "--knowledge", str(root), "lệ phí đăng ký nhãn hiệu"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {
        "question",
        "answered",
        "id",
        "score",
        "suggestions",
        "offers",
        "question_lang",
        "text",
    }
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
    assert "top-1 100.0 %" in out and "(folded, no diacritics)" in out and "direct 100.0 %" in out
    assert main(["eval", "--knowledge", str(root), str(labelled), "--min-top3", "101"]) == 1
    assert main(["eval", "--knowledge", str(root), str(labelled), "--min-direct", "101"]) == 1
    assert main(["eval", "--knowledge", str(root), str(labelled), "--max-wrong", "-1"]) == 1
    assert main(["eval", "--knowledge", str(root), str(labelled), "--min-reach", "100"]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("{q: 1}", encoding="utf-8")
    assert main(["eval", "--knowledge", str(root), str(bad)]) == 2


# The real knowledge base: numbers may move as curators edit it, so the floors leave room.


@pytest.fixture(scope="module")
def real() -> Advisor:
    kb = load_knowledge(KNOWLEDGE).kb
    assert kb is not None
    return Advisor(kb)


def _kinds(advisor: Advisor, questions: list[str]) -> dict[str, list[str]]:
    kinds: dict[str, list[str]] = {"answer": [], "suggest": [], "decline": []}
    for question in questions:
        kinds[advisor.decide(question).kind].append(question)
    return kinds


@pytest.mark.parametrize("folded", [False, True])
def test_out_of_scope_probes_are_declined(real: Advisor, folded: bool) -> None:
    questions = [fold(item.question) if folded else item.question for item in PROBES]
    kinds = _kinds(real, questions)
    assert len(kinds["decline"]) >= 0.85 * len(questions), kinds["suggest"] + kinds["answer"]
    # a direct answer to an out-of-scope question is the worst outcome; 4 near-domain probes of
    # 126 still get one (a company's branch, a foreigner's bank account, the minimum wage, an
    # ID card after the mergers: the words of an entry without its cooperative)
    assert len(kinds["answer"]) <= 0.04 * len(questions), kinds["answer"]


def test_generic_last_sentence_does_not_make_a_match(real: Advisor) -> None:
    kinds = _kinds(real, list(GENERIC_FOCUS_PROBES))
    assert kinds["answer"] == [] and len(kinds["decline"]) >= len(GENERIC_FOCUS_PROBES) - 1, kinds


def test_kb_test_questions_rank_first(real: Advisor) -> None:
    report = evaluate(real, kb_test_questions(real.kb))
    assert report.top1_pct >= 95 and report.wrong_pct <= 2


@pytest.mark.parametrize("template", FORMAL)
def test_long_formal_questions_reduce_to_their_substance(real: Advisor, template: str) -> None:
    items = kb_test_questions(real.kb)
    same = 0
    for item in items:
        plain = real.decide(item.question)
        wrapped = real.decide(template.format(q=item.question.rstrip("?")))
        same += wrapped.normalised == plain.normalised
        assert not (wrapped.kind == "answer" and wrapped.entry_id not in (item.expect or ())), item
    assert same >= 0.95 * len(items)
    report = evaluate(real, [Labelled(template.format(q=i.question.rstrip("?")), i.expect) for i in items])
    assert report.top1_pct >= 95


@pytest.mark.parametrize("template", CONTEXT)
def test_context_sentence_is_not_held_against_the_question(real: Advisor, template: str) -> None:
    items = [
        Labelled(template.format(q=i.question.rstrip("?")), i.expect) for i in kb_test_questions(real.kb)
    ]
    report = evaluate(real, items)
    # The second context ("năm nay HTX mới thành lập") names a topic of its own, support for
    # new cooperatives, and pulls about one question in seven towards it: still ranked first,
    # answered wrongly almost never.
    assert report.top1_pct >= 84 and report.wrong_pct <= 3
    assert report.direct >= 0.33 * report.in_scope and report.reach >= 0.75 * report.in_scope


DEV = SHARED / "eval" / "dev.yaml"


@pytest.mark.skipif(not DEV.is_file(), reason="needs ../shared/eval/dev.yaml")
@pytest.mark.parametrize("folded", [False, True])
def test_dev_set_targets(real: Advisor, folded: bool) -> None:
    report = evaluate(real, read_labelled(DEV), folded=folded)
    assert report.top1_pct >= 90 and report.reject_pct >= 85
    assert report.wrong_pct <= 2 and report.direct >= 0.8 * report.in_scope


# --- English, several questions in one message, honest declines -----------------------------


def test_english_questions_are_told_from_unmarked_vietnamese() -> None:
    for english in (
        "How long does trademark registration take?",
        "What is a cooperative?",
        "Is e-invoicing mandatory for cooperatives",
    ):
        assert is_english(english), english
    for vietnamese in (
        "htx co phai dung hddt ko",
        "dang ky nhan hieu mat bao lau",
        "to hop tac la gi",
        "Hợp tác xã là gì?",
        "le phi dk nhan hieu",
        "OCOP la gi",
    ):
        assert not is_english(vietnamese, {"htx", "hddt", "ko", "dk"}), vietnamese


def test_english_legal_doublet_does_not_make_the_union_the_topic() -> None:
    tokens = EnglishNormaliser().tokens(
        "Organizational structure of cooperatives and unions of cooperatives?"
    )
    assert "union" not in tokens and EnglishNormaliser().tokens("How is a union of cooperatives formed?")


def test_english_question_finds_the_english_entry_whatever_the_interface(tmp_path: Path) -> None:
    root = make_kb(tmp_path / "k")
    path = root / "faq" / "t.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "    title: Lệ phí đăng ký nhãn hiệu\n",
        "    title: Lệ phí đăng ký nhãn hiệu\n    title_en: Trademark registration fees\n"
        "    phrasings_en: [How much does it cost to register a trademark?, What are the official fees]\n",
        1,
    )
    path.write_text(text, encoding="utf-8")
    kb = load_knowledge(root).kb
    assert kb is not None
    decision = Advisor(kb).decide("How much are the fees to register a trademark?")
    assert decision.lang == "en" and decision.hits[0].entry_id == "t.one"
    assert Advisor(kb).decide("le phi dang ky nhan hieu").lang == "vi"


def test_a_second_question_in_the_message_is_offered(real: Advisor) -> None:
    decision = real.decide(
        "Cho tôi hỏi lệ phí đăng ký nhãn hiệu là bao nhiêu? Và hóa đơn điện tử đăng ký ở đâu?"
    )
    assert {decision.hits[0].entry_id, *decision.reachable} >= {"tm.fees", "dx.einvoice"} or {
        "tm.fees",
        "dx.einvoice",
    } <= {hit.entry_id for hit in decision.hits}
    assert decision.kind != "decline"


def test_answer_offers_close_runners_up_as_buttons(real: Advisor) -> None:
    offered = [d for d in (real.decide(i.question) for i in kb_test_questions(real.kb)) if d.offers]
    assert offered, "no answer offered anything"
    decision = offered[0]
    view = decision_view(real.kb, decision, "vi")
    labels = [button.label for row in view.buttons for button in row]
    heading = real.kb.entries[decision.offers[0].entry_id].heading("vi")
    assert "➕ " + heading in labels and "Có thể bạn cũng muốn xem:" in view.text


def test_off_topic_and_missing_knowledge_are_declined_differently(real: Advisor) -> None:
    off = real.decide("giá vàng hôm nay")
    assert off.kind == "decline" and not off.in_domain
    text = decision_view(real.kb, off, "vi").text
    assert "ngoài phạm vi" in text and "bổ sung" not in text
    assert "Gửi câu hỏi cho cán bộ" not in _labels(decision_view(real.kb, off, "vi"))
    gap = real.decide("hợp tác xã nuôi cá sấu có cần giấy phép CITES xuất khẩu da không")
    if gap.kind == "decline":
        view = decision_view(real.kb, gap, "vi")
        assert gap.in_domain and "bổ sung" in view.text
        assert "Gửi câu hỏi cho cán bộ" in _labels(view)[0]  # the officers may know


def _labels(view) -> list[str]:
    return [button.label for row in view.buttons for button in row]


def test_a_pasted_letter_never_gets_a_confident_wrong_answer(real: Advisor) -> None:
    letter = (
        "Kính gửi Ban biên tập. Tôi là Nguyễn Văn Bình, ở tỉnh Đồng Tháp. "
        + "Gia đình tôi trồng xoài đã nhiều năm, năm nay giá xuống thấp, thương lái ép giá. " * 40
        + "Xin hỏi lệ phí đăng ký nhãn hiệu cho một nhóm sản phẩm là bao nhiêu? Xin cảm ơn."
    )[:4096]
    decision = real.decide(letter)
    assert not (decision.kind == "answer" and decision.entry_id not in ("tm.fees", "tm.documents"))
    assert "tm.fees" in [hit.entry_id for hit in decision.hits]


def test_a_letter_of_many_questions_judges_a_bounded_number_of_candidates(real: Advisor) -> None:
    """Each asking sentence proposes its own entries; at most `JUDGED` are judged, and the
    entry each sentence asks about is among them."""
    letter = (
        "Chào ban biên tập. HTX chúng tôi ở Đắk Lắk. Lệ phí đăng ký nhãn hiệu là bao nhiêu? "
        "HTX có bắt buộc dùng hóa đơn điện tử không? Thủ tục giải thể hợp tác xã thế nào? "
        "Thành viên HTX có phải đóng bảo hiểm xã hội không? Xin cảm ơn."
    )
    tokens, sentences = real.index.normaliser.question(letter)
    ranked = real.index.rank(tokens, sentences, limit=100)
    assert len(ranked) <= index.JUDGED
    ids = {candidate.entry_id for candidate in ranked}
    assert {"tm.fees", "dx.einvoice", "coop.dissolution", "coop.social_insurance"} <= ids


# --- calibration --------------------------------------------------------------------------


def test_model_round_trips_and_refuses_other_features(tmp_path: Path) -> None:
    model = Model.load()
    path = tmp_path / "m.json"
    model.save(path)
    assert Model.load(path) == model
    data = json.loads(path.read_text(encoding="utf-8"))
    data["features"] = data["features"][:-1]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="calibrate"):
        Model.load(path)


def test_the_answer_threshold_keeps_a_margin_from_wrong_answers() -> None:
    """Wrong answers at 0.45, right ones at 0.70 and 0.90: every threshold from 0.46 to 0.70
    is worth the same, and the chosen one is not the edge next to the wrong answers."""
    best = [(0.45, False)] * 5 + [(0.70, True)] * 20 + [(0.90, True)] * 10 + [(0.2, False)] * 4
    samples = [
        calibration.Sample(
            "tests" if n < 35 else "out_of_scope", str(n), ("a",) if n < 35 else None, (), (), {}
        )
        for n in range(len(best))
    ]
    answer, suggest = calibration.choose_thresholds(samples, best)
    assert 0.48 <= answer <= 0.70 and suggest < answer


def test_calibration_learns_and_reports_held_out_figures(real: Advisor) -> None:
    labelled = {"out_of_scope": PROBES[:40]}
    samples = calibration.collect(real.kb, labelled)
    assert {s.family for s in samples} == {"out_of_scope", "tests", "phrasings", "phrasings_en"}
    model = calibration.learn(samples)
    assert 0 < model.suggest <= model.answer < 1 and model.offer < model.suggest
    held_out = calibration.cross_validate(samples, real.related)
    assert len(held_out) == calibration.REPEATS * len(samples)
    tests = calibration.figures(o for o in held_out if o.family == "tests")
    assert tests.in_scope > 100 and tests.reach > 0.6 and tests.wrong < 0.05
    text = calibration.report(held_out)
    assert "reliability" in text and "phrasings" in text
