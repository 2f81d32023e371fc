"""Knowledge files as a set: hashing, zipping, writing into the folder, and unpacking uploads safely."""

from __future__ import annotations

import io
import stat
import time
import zipfile
from pathlib import Path

import pytest

from advisor.kb.bundle import (
    MAX_UNPACKED_BYTES,
    MAX_ZIP_FILES,
    KnowledgeFiles,
    UploadError,
    from_zip,
    read_folder,
)
from tests.conftest import KNOWLEDGE


def _zip(entries: dict[str, bytes], *, link: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if name == link:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def _encrypted(data: bytes) -> bytes:
    """The zip with every entry marked as password-protected (Python's zipfile cannot write one)."""
    patched = bytearray(data)
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = patched.find(signature)
        while start >= 0:
            patched[start + flags_at] |= 0x1
            start = patched.find(signature, start + 4)
    return bytes(patched)


def _refused(data: bytes) -> str:
    with pytest.raises(UploadError) as caught:
        from_zip(data)
    return caught.value.key


def test_the_real_folder_round_trips_through_a_zip() -> None:
    files = read_folder(KNOWLEDGE)
    assert "faq/tm.yaml" in files and "ui.yaml" in files and "README.md" not in files
    again = from_zip(files.to_zip())
    assert again == files and again.content_hash == files.content_hash
    assert files.with_file("faq/tm.yaml", b"x").content_hash != files.content_hash


@pytest.mark.parametrize(
    "name",
    [
        "../evil.yaml",
        "faq/../../evil.yaml",
        "/etc/evil.yaml",
        "C:/evil.yaml",
        "faq\\evil.yaml",
        "../README.md",  # refused even though it would be left out anyway
        "../",
    ],
)
def test_entries_leaving_the_folder_are_refused(name: str) -> None:
    files = {"topics.yaml": b"topics: []"}
    assert _refused(_zip({**files, name: b"x: 1"})) == "kb_zip_unsafe"


def test_symbolic_links_and_strange_names_are_refused() -> None:
    assert _refused(_zip({"topics.yaml": b"x", "faq/link.yaml": b"/etc/passwd"}, link="faq/link.yaml")) == (
        "kb_zip_unsafe"
    )
    assert _refused(_zip({"faq/a b.yaml": b"x: 1"})) == "kb_zip_unsafe"
    assert _refused(_zip({"faq/tm.yaml": b"x: 1", "faq/./tm.yaml": b"y: 2"})) == "kb_zip_unsafe"


def test_encrypted_empty_and_broken_zips_are_refused() -> None:
    assert _refused(_encrypted(_zip({"faq/tm.yaml": b"x: 1"}))) == "kb_zip_encrypted"
    assert _refused(_zip({"notes.txt": b"x"})) == "kb_zip_empty"
    assert _refused(b"PK\x03\x04 not really a zip") == "kb_bad_zip"


def test_a_zip_bomb_stops_at_the_cap_quickly() -> None:
    bomb = _zip({f"faq/f{i}.yaml": b"\0" * 900_000 for i in range(MAX_UNPACKED_BYTES // 900_000 + 2)})
    assert len(bomb) < 200_000
    started = time.perf_counter()
    assert _refused(bomb) == "kb_zip_too_big"
    assert time.perf_counter() - started < 2
    assert _refused(_zip({"faq/big.yaml": b"\0" * 1_000_001})) == "kb_zip_too_big"
    many = _zip({f"faq/f{i}.yaml": b"x: 1" for i in range(MAX_ZIP_FILES + 1)})
    assert _refused(many) == "kb_zip_too_big"


def test_a_zip_of_the_folder_itself_and_what_zip_tools_add() -> None:
    wrapped = _zip(
        {
            "knowledge/topics.yaml": b"a",
            "knowledge/faq/tm.yaml": b"b",
            "knowledge/README.md": b"c",
            "__MACOSX/knowledge/._topics.yaml": b"junk",
            "knowledge/.DS_Store": b"junk",
        }
    )
    files = from_zip(wrapped)
    assert dict(files.files) == {"faq/tm.yaml": b"b", "topics.yaml": b"a"}
    assert files.ignored == ("knowledge/README.md",)
    assert dict(from_zip(_zip({"faq/tm.yaml": b"b"})).files) == {"faq/tm.yaml": b"b"}  # faq/ is no wrapper


def test_a_single_file_goes_where_its_name_says() -> None:
    files = read_folder(KNOWLEDGE)
    assert files.placed("tm.yaml") == "faq/tm.yaml"
    assert files.placed("ui.yaml") == "ui.yaml"
    assert files.placed("weather.yaml") == "faq/weather.yaml"
    assert files.placed("C:\\Users\\an\\tm.yaml") == "faq/tm.yaml"
    for bad in ("tm (1).yaml", "tm.txt", "..", ".hidden.yaml"):
        with pytest.raises(UploadError) as caught:
            files.placed(bad)
        assert caught.value.key == "kb_bad_name"


def test_writing_into_a_folder_replaces_adds_and_removes_only_knowledge_files(tmp_path: Path) -> None:
    folder = tmp_path / "knowledge"
    (folder / "faq").mkdir(parents=True)
    (folder / "README.md").write_text("guide")
    (folder / "faq" / "old.yaml").write_bytes(b"old")
    (folder / "topics.yaml").write_bytes(b"topics")
    KnowledgeFiles({"topics.yaml": b"new topics", "faq/new.yaml": b"new"}).write_into(folder)
    assert read_folder(folder) == KnowledgeFiles({"topics.yaml": b"new topics", "faq/new.yaml": b"new"})
    assert (folder / "README.md").read_text() == "guide"
    assert sorted(p.name for p in folder.rglob("*")) == ["README.md", "faq", "new.yaml", "topics.yaml"]
