"""The check-preview-apply service on a small knowledge folder: review, apply, refuse, roll back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from advisor.answering import Advisor
from advisor.kb import bundle, load_knowledge
from advisor.kb.bundle import read_folder
from advisor.kb.changes import compare
from advisor.kb_editing import KnowledgeEditor
from advisor.storage import Store
from tests.conftest import VALID_ENTRY, make_kb

ADMIN, OTHER = 900, 901
FAQ = "faq/t.yaml"


class Live:
    """What the runtime does for the editor: the live knowledge and a reload of the folder."""

    def __init__(self, folder: Path, fail: bool = False) -> None:
        self.folder = folder
        self.advisor = Advisor(load_knowledge(folder).kb)
        self.fail = fail
        self.reloads = 0

    async def reload(self):
        self.reloads += 1
        result = load_knowledge(self.folder)
        if result.kb is None or self.fail:
            return None, result.problems
        changes = compare(self.advisor.kb, result.kb)
        self.advisor = Advisor(result.kb)
        return changes, result.problems


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[tuple[KnowledgeEditor, Live, Store]]:
    folder = make_kb(tmp_path / "knowledge")
    store = await Store.open(tmp_path / "advisor.db")
    live = Live(folder)
    yield KnowledgeEditor(store, folder, lambda: live.advisor, live.reload), live, store
    await store.close()


def _faq(text: str) -> bytes:
    return ("topic: t\nentries:\n" + text).encode()


EDITED = VALID_ENTRY.replace(
    "Khoảng **1,36 triệu đồng** cho một nhóm.", "Khoảng **2 triệu đồng** cho một nhóm."
)


async def test_an_edit_is_previewed_then_applied_and_the_old_files_are_kept(setup) -> None:
    editor, live, store = setup
    before = await editor.current()
    proposal = await editor.propose_upload(ADMIN, "t.yaml", _faq(EDITED))
    review = proposal.review
    assert proposal.proposal_id and review.valid and review.files_changed == (FAQ,)
    assert review.changes.edited == ("t.one",) and review.edits[0].fields == ("answer",)
    assert review.edits[0].lines == (
        "- Khoảng **1,36 triệu đồng** cho một nhóm.",
        "+ Khoảng **2 triệu đồng** cho một nhóm.",
    )
    assert await editor.current() == before and live.reloads == 0  # nothing changed yet
    applied = await editor.apply(ADMIN, proposal.proposal_id)
    assert applied.status == "applied" and applied.changes.edited == ("t.one",)
    assert "2 triệu" in live.advisor.kb.entries["t.one"].answer
    assert (editor.folder / FAQ).read_bytes() == _faq(EDITED)
    versions = await store.kb_versions.recent()
    assert [(v.id, v.origin, v.author_id) for v in versions] == [
        (2, "upload:t.yaml", ADMIN),
        (1, "server", None),
    ]
    assert versions[0].summary == {"files": [FAQ], "added": [], "removed": [], "edited": ["t.one"]}
    assert await editor.current_version() == 2
    assert (await editor.apply(ADMIN, proposal.proposal_id)).status == "closed"  # once only


async def test_problems_are_those_of_advisor_validate_by_file_and_line(setup, tmp_path: Path) -> None:
    editor, live, store = setup
    bad = _faq(VALID_ENTRY.replace("reviewed: 2026-01-10", "reviewed: x", 1))
    proposal = await editor.propose_upload(ADMIN, "t.yaml", bad)
    assert proposal.proposal_id is None and not proposal.review.valid
    assert [str(p) for p in proposal.review.errors] == [
        "faq/t.yaml:16: 'reviewed' must be a date written YYYY-MM-DD, got 'x'"
    ]
    copy = make_kb(tmp_path / "copy", extra={FAQ: bad.decode()})
    validated = load_knowledge(copy).problems
    assert [(p.line, p.message) for p in validated] == [(p.line, p.message) for p in proposal.review.problems]
    assert await store.kb_versions.recent() == []
    broken = await editor.propose_upload(ADMIN, "t.yaml", _faq(VALID_ENTRY) + b"  - id: [x\n")
    assert str(broken.review.errors[0]).startswith("faq/t.yaml:34: YAML syntax")


async def test_the_same_files_are_nothing_to_apply(setup) -> None:
    editor, _, _ = setup
    proposal = await editor.propose_upload(ADMIN, "t.yaml", (editor.folder / FAQ).read_bytes())
    assert proposal.review.unchanged and proposal.proposal_id is None


async def test_test_questions_that_no_longer_find_their_entry_are_listed(setup) -> None:
    editor, _, _ = setup
    weather = VALID_ENTRY.replace(
        "      - le phi dk nhan hieu\n", "      - le phi dk nhan hieu\n      - mai trời có mưa không\n"
    )
    review = (await editor.propose_upload(ADMIN, "t.yaml", _faq(weather))).review
    assert [(t.entry_id, t.question) for t in review.lost] == [("t.one", "mai trời có mưa không")]


async def test_a_changed_base_is_refused_and_nothing_is_written(setup) -> None:
    editor, live, store = setup
    mine = await editor.propose_upload(ADMIN, "t.yaml", _faq(EDITED))
    theirs = await editor.propose_upload(OTHER, "t.yaml", _faq(EDITED.replace("2 triệu", "3 triệu")))
    assert (await editor.apply(OTHER, theirs.proposal_id)).status == "applied"
    assert (await editor.apply(ADMIN, mine.proposal_id)).status == "base_changed"
    assert "3 triệu" in (editor.folder / FAQ).read_text(encoding="utf-8")
    assert (await editor.apply(ADMIN, theirs.proposal_id)).status == "closed"  # not theirs to apply
    actions = [row["action"] for row in await store.reports.export("audit")]
    assert actions == ["kb_preview", "kb_preview", "kb_version", "kb_apply", "kb_apply_refused"]


async def test_a_newer_upload_replaces_the_admins_earlier_preview_and_cancel_closes(setup) -> None:
    editor, _, _ = setup
    first = await editor.propose_upload(ADMIN, "t.yaml", _faq(EDITED))
    second = await editor.propose_upload(ADMIN, "t.yaml", _faq(EDITED.replace("2 triệu", "4 triệu")))
    assert (await editor.apply(ADMIN, first.proposal_id)).status == "closed"
    assert await editor.cancel(ADMIN, second.proposal_id)
    assert not await editor.cancel(ADMIN, second.proposal_id)
    assert (await editor.apply(ADMIN, second.proposal_id)).status == "closed"


async def test_rollback_is_the_same_path_and_restores_the_files(setup) -> None:
    editor, live, store = setup
    original = await editor.current()
    proposal = await editor.propose_upload(ADMIN, "t.yaml", _faq(EDITED))
    await editor.apply(ADMIN, proposal.proposal_id)
    back = await editor.propose_rollback(ADMIN, 1)
    assert back.origin == "rollback:1" and back.review.changes.edited == ("t.one",)
    assert (await editor.apply(ADMIN, back.proposal_id)).status == "applied"
    assert await editor.current() == original and "1,36 triệu" in live.advisor.kb.entries["t.one"].answer
    assert [v.id for v in await store.kb_versions.recent()] == [3, 2, 1]
    assert await editor.propose_rollback(ADMIN, 99) is None


async def test_a_folder_that_fails_to_load_after_writing_is_put_back(tmp_path: Path) -> None:
    folder = make_kb(tmp_path / "knowledge")
    store = await Store.open(tmp_path / "advisor.db")
    live = Live(folder, fail=True)
    editor = KnowledgeEditor(store, folder, lambda: live.advisor, live.reload)
    try:
        original = read_folder(folder)
        proposal = await editor.propose_upload(ADMIN, "t.yaml", _faq(EDITED))
        assert (await editor.apply(ADMIN, proposal.proposal_id)).status == "failed"
        assert read_folder(folder) == original
    finally:
        await store.close()


async def test_a_reload_of_files_edited_on_the_server_is_kept_as_a_version(setup) -> None:
    editor, _, store = setup
    assert await editor.record_current(ADMIN) == 1
    assert await editor.record_current(ADMIN) is None  # the same files are kept once
    (editor.folder / "faq" / "t.yaml").write_bytes(_faq(EDITED))
    assert await editor.record_current(ADMIN) == 2
    assert (await store.kb_versions.get(2)).summary == {"files": [FAQ]}


async def test_a_folder_that_cannot_be_written_changes_nothing(setup, monkeypatch) -> None:
    editor, live, store = setup
    original = await editor.current()
    proposal = await editor.propose_upload(ADMIN, "t.yaml", _faq(EDITED))

    def full_disk(source, target) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(bundle.os, "replace", full_disk)
    assert (await editor.apply(ADMIN, proposal.proposal_id)).status == "unwritable"
    monkeypatch.undo()
    assert await editor.current() == original and live.reloads == 0
    assert sorted(p.name for p in (editor.folder / "faq").iterdir()) == ["t.yaml"]  # no temporary left
    assert (await editor.apply(ADMIN, proposal.proposal_id)).status == "applied"  # it can be tried again


async def test_any_candidate_set_takes_the_same_path(setup) -> None:
    """The hook for drafts written from officers' answers: current files plus one, proposed."""
    editor, live, _ = setup
    draft = (await editor.current()).with_file(
        "faq/drafts.yaml",
        _faq(
            VALID_ENTRY.replace("t.one", "t.three")
            .replace("t.two", "t.four")
            .replace("[lệ phí](entry:t.four)", "lệ phí")
        ),
    )
    proposal = await editor.propose(ADMIN, draft, "draft:15")
    assert proposal.review.valid and proposal.review.changes.added == ("t.four", "t.three")
    assert (await editor.apply(ADMIN, proposal.proposal_id)).status == "applied"
    assert "t.three" in live.advisor.kb.entries
