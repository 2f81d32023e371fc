"""Shared fixtures: the real knowledge folder, small knowledge folders made on the fly, and
a fresh database on each backend."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests import postgres

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
SHARED = ROOT.parent / "shared"

VALID_ENTRY = """\
  - id: t.one
    title: Lệ phí đăng ký nhãn hiệu
    phrasings:
      - Đăng ký nhãn hiệu hết bao nhiêu tiền
      - Phí nộp đơn nhãn hiệu là bao nhiêu
      - Chi phí bảo hộ thương hiệu
    keywords: [lệ phí, chi phí]
    answer: |
      Khoảng **1,36 triệu đồng** cho một nhóm.

      - nộp đơn
      - thẩm định
    source: Thông tư 263/2016/TT-BTC
    reviewed: 2026-01-10
    related: [t.two]
    test_questions:
      - le phi dk nhan hieu
      - tốn bao nhiêu tiền để đăng ký nhãn hiệu
  - id: t.two
    title: Thủ tục đăng ký nhãn hiệu
    phrasings:
      - Các bước đăng ký nhãn hiệu
      - Nộp đơn nhãn hiệu ở đâu
      - Quy trình cấp văn bằng nhãn hiệu
    answer: Nộp đơn tại Cục Sở hữu trí tuệ, xem [lệ phí](entry:t.one).
    source: Luật SHTT
    reviewed: 2026-01-10
    test_questions:
      - thu tuc dang ky nh
      - muốn có văn bằng nhãn hiệu thì làm sao
"""


def make_kb(root: Path, faq: str | None = None, extra: dict[str, str] | None = None) -> Path:
    """A knowledge folder: the real synonyms, ui and privacy files, a topic and the given FAQ text."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ("synonyms.yaml", "ui.yaml", "privacy.yaml"):
        shutil.copy(KNOWLEDGE / name, root / name)
    (root / "topics.yaml").write_text(
        "topics:\n  - id: t\n    icon: x\n    title: Thử\n    title_en: Test\n", encoding="utf-8"
    )
    (root / "faq").mkdir(exist_ok=True)
    (root / "faq" / "t.yaml").write_text(
        "topic: t\nentries:\n" + (VALID_ENTRY if faq is None else textwrap.dedent(faq)),
        encoding="utf-8",
    )
    for name, text in (extra or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def tiny_kb_dir(tmp_path: Path) -> Path:
    return make_kb(tmp_path / "knowledge")


@pytest.fixture(scope="session")
def real_kb():
    """The shipped knowledge base, loaded once."""
    from advisor.kb import load_knowledge

    result = load_knowledge(KNOWLEDGE)
    assert result.kb is not None, [str(p) for p in result.errors]
    return result.kb


@pytest.fixture(params=["sqlite", "postgres"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Path | str]:
    """What `Store.open` takes, once per backend: an SQLite file, or the URL of a fresh,
    migrated PostgreSQL database (skipped, saying why, without ADVISOR_TEST_POSTGRES)."""
    if request.param == "sqlite":
        yield tmp_path / "advisor.db"
        return
    if postgres.SERVER is None:
        pytest.skip(postgres.SKIP_REASON)
    url = await postgres.create_database()
    yield url
    await postgres.drop_database(url)
