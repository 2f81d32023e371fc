"""The real knowledge base: every required id, and every entry complete and sourced."""

from __future__ import annotations

import re

import pytest

from advisor.kb import KnowledgeBase, load_knowledge
from tests.conftest import KNOWLEDGE, SHARED

COVERAGE = SHARED / "kb-coverage.md"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    result = load_knowledge(KNOWLEDGE)
    assert result.kb is not None, [str(p) for p in result.errors]
    return result.kb


@pytest.mark.skipif(not COVERAGE.is_file(), reason="../shared/kb-coverage.md is not beside the repo")
def test_every_coverage_id_exists(kb: KnowledgeBase) -> None:
    listed = COVERAGE.read_text(encoding="utf-8")
    required = set(re.findall(r"^\| `?([a-z]+\.[a-z_]+)`?(?: \(new\))? \|", listed, re.M))
    assert len(required) >= 77 and "coop.general_meeting" in required  # "(new)" ids are required too
    assert required <= kb.entries.keys(), sorted(required - kb.entries.keys())


def test_every_topic_has_its_required_count(kb: KnowledgeBase) -> None:
    """The coverage list (../shared/kb-coverage.md) by topic, for machines without that file."""
    counts = {topic.id: len(kb.entries_of(topic.id)) for topic in kb.topics}
    assert counts["dx"] >= 19 and counts["prog"] >= 12 and counts["tm"] >= 25 and counts["coop"] >= 21
    assert "assess.about" in kb.entries


def test_every_entry_is_complete(kb: KnowledgeBase) -> None:
    for entry in kb.entries.values():
        assert entry.source and entry.reviewed, entry.id
        assert len(entry.phrasings) >= 3, entry.id
        assert len(entry.test_questions) >= 2, entry.id
        assert entry.answer.strip(), entry.id


def test_every_answer_ends_with_the_next_step(kb: KnowledgeBase) -> None:
    """A member is never left with facts alone: whom to contact, or where to do it."""
    for entry in kb.entries.values():
        assert "Bước tiếp theo" in entry.answer.strip().split("\n\n")[-1], entry.id
        if entry.answer_en:
            assert "Next step" in entry.answer_en.strip().split("\n\n")[-1], entry.id


def test_answers_are_short_enough_for_a_phone(kb: KnowledgeBase) -> None:
    from advisor import markup

    for entry in kb.entries.values():
        visible = markup.html_visible_text(markup.render_html(entry.answer))
        assert len(visible) <= 1500, (entry.id, len(visible))


def test_programmes_are_structured(kb: KnowledgeBase) -> None:
    kinds = {e.programme.kind for e in kb.entries.values() if e.programme}
    assert {"training", "staff", "technology", "market", "credit", "infrastructure"} <= kinds


def test_roadmap_guide_links_entries(kb: KnowledgeBase) -> None:
    guide = kb.guides["guide.dx_roadmap"]
    assert len(guide.steps) >= 6
    assert all(step.entries for step in guide.steps)
    assert kb.entries["dx.roadmap"].guide == "guide.dx_roadmap"


def test_interface_prose_has_no_hard_line_breaks_mid_sentence(kb) -> None:
    """A line break inside a sentence shows as a broken line on the phone; line-per-field
    texts (a profile card, figures) end each line with the field's value instead."""
    import re

    for key, by_lang in kb.ui.texts.items():
        for lang, text in by_lang.items():
            for line, following in zip(text.split("\\n"), text.split("\\n")[1:], strict=False):
                if line.strip() and following.strip() and following.strip()[0].islower():
                    assert re.search(r"[.:!?…)»*_}]$", line.strip()), (key, lang, line)
