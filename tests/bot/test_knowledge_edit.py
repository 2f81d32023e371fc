"""/kb: admins download, upload, check, preview, apply and roll back the knowledge in Telegram."""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from advisor.kb.bundle import read_folder
from tests.bot.conftest import ADMIN, MEMBER
from tests.bot.harness import BotHarness, button_data, buttons, settings_for
from tests.conftest import KNOWLEDGE

SECOND_ADMIN = 901
FEES = "faq/tm_filing.yaml"
OLD_TOTAL = "**Tổng: khoảng 1.360.000đ.**"
NEW_TOTAL = "**Tổng: khoảng 2.720.000đ (biểu phí mới).**"
QUESTION = "lệ phí đăng ký nhãn hiệu bao nhiêu"


@pytest.fixture
async def kb_bot(tmp_path: Path, real_kb) -> AsyncIterator[BotHarness]:
    """A bot whose knowledge folder is a copy it may write to."""
    folder = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, folder)
    harness = await BotHarness.start(
        settings_for(tmp_path, admins=frozenset({ADMIN, SECOND_ADMIN}), knowledge_dir=folder), real_kb
    )
    yield harness
    await harness.stop()


def _fees_file(text: str = NEW_TOTAL) -> bytes:
    original = (KNOWLEDGE / FEES).read_text(encoding="utf-8")
    assert original.count(OLD_TOTAL) == 1
    return original.replace(OLD_TOTAL, text).encode()


async def _answer(bot: BotHarness) -> str:
    [answer] = await bot.say(MEMBER, QUESTION)
    return answer.text


async def test_download_upload_preview_apply_and_the_member_gets_the_new_answer(kb_bot: BotHarness) -> None:
    bot = kb_bot
    assert "1.360.000đ" in await _answer(bot)
    [menu] = await bot.say(ADMIN, "/kb")
    assert "78 mục" in menu.text and "phiên bản #1" in menu.text  # kept as a version at start
    [zipped] = await bot.press(ADMIN, menu, "Tải cả kho")
    assert zipped.kind == "document" and zipped.filename.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(zipped.document)) as archive:
        assert FEES in archive.namelist() and "ui.yaml" in archive.namelist()
    await bot.press(ADMIN, menu, "Tải một tệp")
    listing = bot.refreshed(menu)
    [one] = await bot.press(ADMIN, listing, FEES)
    assert one.filename == "tm_filing.yaml" and one.document == (KNOWLEDGE / FEES).read_bytes()

    [preview] = await bot.send_document(ADMIN, _fees_file(), "tm_filing.yaml")
    assert "Xem trước" in preview.text and "sửa 1 mục" in preview.text
    assert "tm.fees" in preview.text and "- **Tổng: khoảng 1.360.000đ.**" in preview.text
    assert "+ **Tổng: khoảng 2.720.000đ (biểu phí mới).**" in preview.text
    assert "Mọi câu hỏi kiểm tra vẫn tìm thấy" in preview.text
    assert "1.360.000đ" in await _answer(bot)  # nothing changes before "Áp dụng"

    [applied] = await bot.press(ADMIN, preview, "Áp dụng")
    assert "phiên bản #2" in applied.text and "sửa 1" in applied.text
    assert not buttons(bot.refreshed(preview))  # the preview's buttons are gone
    assert "2.720.000đ" in await _answer(bot)
    assert (bot.runtime.settings.knowledge_dir / FEES).read_bytes() == _fees_file()
    actions = [row["action"] for row in await bot.runtime.store.reports.export("audit")]
    assert actions == ["kb_version", "kb_download", "kb_download", "kb_preview", "kb_apply"]


async def test_a_yaml_error_is_refused_with_file_and_line_and_the_old_answer_stays(
    kb_bot: BotHarness,
) -> None:
    bot = kb_bot
    broken = _fees_file() + b"\n  - id: [unclosed\n"
    replies = await bot.send_document(ADMIN, broken, "tm_filing.yaml")
    text = "\n".join(reply.text for reply in replies)
    assert "Không áp dụng được" in text and "faq/tm_filing.yaml:" in text and "YAML syntax" in text
    assert not any(buttons(reply) for reply in replies if "Áp dụng" in str(reply.reply_markup))
    assert "1.360.000đ" in await _answer(bot)
    assert read_folder(bot.runtime.settings.knowledge_dir) == read_folder(KNOWLEDGE)
    [schema] = await bot.send_document(
        ADMIN, _fees_file().replace(b"    reviewed: 2026-12-01", b"    reviewed: soon", 1), "tm_filing.yaml"
    )
    assert "faq/tm_filing.yaml:" in schema.text and "Áp dụng" not in str(schema.reply_markup)


async def test_rollback_restores_the_old_answer(kb_bot: BotHarness) -> None:
    bot = kb_bot
    [preview] = await bot.send_document(ADMIN, _fees_file(), "tm_filing.yaml")
    await bot.press(ADMIN, preview, "Áp dụng")
    assert "2.720.000đ" in await _answer(bot)
    [history] = await bot.say(ADMIN, "/kb history")
    assert "#2" in history.text and "#1" in history.text and "tm_filing.yaml" in history.text
    labels = [label for label, _ in buttons(history)]
    assert any("#1" in label for label in labels) and not any("#2" in label for label in labels)
    [back] = await bot.press(ADMIN, history, "#1")
    assert "quay lại phiên bản #1" in back.text and "2.720.000đ" in back.text
    [applied] = await bot.press(ADMIN, back, "Áp dụng")
    assert "phiên bản #3" in applied.text
    assert "1.360.000đ" in await _answer(bot)
    assert read_folder(bot.runtime.settings.knowledge_dir) == read_folder(KNOWLEDGE)


async def test_two_admins_cannot_interleave(kb_bot: BotHarness) -> None:
    bot = kb_bot
    [first] = await bot.send_document(ADMIN, _fees_file(), "tm_filing.yaml")
    [second] = await bot.send_document(SECOND_ADMIN, _fees_file("**Tổng: 5 triệu.**"), "tm_filing.yaml")
    await bot.press(SECOND_ADMIN, second, "Áp dụng")
    [refused] = await bot.press(ADMIN, first, "Áp dụng")
    assert "Kho kiến thức đã thay đổi, hãy xem lại" in refused.text
    assert "5 triệu" in await _answer(bot)


async def test_a_preview_survives_a_restart(tmp_path: Path, database: Path | str, real_kb) -> None:
    """On both backends: the preview's files are kept in the database (a BLOB / BYTEA)."""
    folder = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, folder)
    settings = settings_for(tmp_path, database, admins=frozenset({ADMIN}), knowledge_dir=folder)
    bot = await BotHarness.start(settings, real_kb)
    [preview] = await bot.send_document(ADMIN, _fees_file(), "tm_filing.yaml")
    await bot.stop()
    bot = await BotHarness.start(settings, real_kb, bot.state)
    try:
        [applied] = await bot.press(ADMIN, preview, "Áp dụng")
        assert "phiên bản #2" in applied.text
        assert "2.720.000đ" in await _answer(bot)
        assert read_folder(folder).files[FEES] == _fees_file()  # byte for byte through the database
    finally:
        await bot.stop()


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


async def test_a_zip_of_the_folder_is_checked_and_a_zip_escaping_it_is_refused(kb_bot: BotHarness) -> None:
    bot = kb_bot
    files = dict(read_folder(KNOWLEDGE).files)
    files[FEES] = _fees_file()
    wrapped = {f"knowledge/{path}": data for path, data in files.items()} | {"knowledge/README.md": b"x"}
    [preview] = await bot.send_document(ADMIN, _zip(wrapped), "knowledge.zip")
    assert "sửa 1 mục" in preview.text and "README.md" in preview.text
    [refused] = await bot.send_document(ADMIN, _zip({**files, "../evil.yaml": b"x: 1"}), "kho.zip")
    assert "../evil.yaml" in refused.text and "nằm ngoài thư mục" in refused.text
    assert not (bot.runtime.settings.knowledge_dir.parent / "evil.yaml").exists()
    assert "Áp dụng" not in str(refused.reply_markup)


async def test_limits_on_type_and_size(kb_bot: BotHarness) -> None:
    bot = kb_bot
    [wrong] = await bot.send_document(ADMIN, b"hello", "notes.txt")
    assert "chỉ nhận tệp .yaml" in wrong.text
    [large] = await bot.send_document(ADMIN, b"x" * (2 * 1024 * 1024 + 1), "big.yaml")
    assert "lớn quá" in large.text and "2 MB" in large.text
    assert not any(call[0] == "getFile" for call in bot.state.calls)  # refused before downloading
    [name] = await bot.send_document(ADMIN, b"topic: x", "tm filing (1).yaml")
    assert "không dùng được" in name.text


async def test_members_cannot_use_any_of_it(kb_bot: BotHarness) -> None:
    bot = kb_bot
    [reply] = await bot.say(MEMBER, "/kb")
    assert "dành cho cán bộ" in reply.text
    [reply] = await bot.say(MEMBER, "/kb history")
    assert "dành cho cán bộ" in reply.text
    [document_reply] = await bot.send_document(MEMBER, _fees_file(), "tm_filing.yaml")
    assert "chỉ đọc được tin nhắn chữ" in document_reply.text
    assert not any(call[0] == "getFile" for call in bot.state.calls)
    [preview] = await bot.send_document(ADMIN, _fees_file(), "tm_filing.yaml")
    [menu] = await bot.say(MEMBER, "/menu")
    version = buttons(menu)[0][1].split(":")[0]
    apply = button_data(preview, "Áp dụng")
    for data in (apply, f"{version}:kbz", f"{version}:kbf:faq:tm.yaml", f"{version}:kbr:1", f"{version}:kbh"):
        await bot.press_data(MEMBER, menu, data, forge=True)
        assert "dành cho cán bộ" in bot.last_answer()
    assert not any(m.kind == "document" for m in bot.state.messages(MEMBER))
    assert "1.360.000đ" in await _answer(bot)


async def test_forged_and_stale_buttons_get_a_clear_answer(kb_bot: BotHarness) -> None:
    bot = kb_bot
    [menu] = await bot.say(ADMIN, "/kb")
    version = buttons(menu)[0][1].split(":")[0]
    await bot.press_data(ADMIN, menu, f"{version}:kbf:..:..:etc:passwd", forge=True)
    assert "không còn trong kho" in bot.last_answer()
    await bot.press_data(ADMIN, menu, f"{version}:kbr:999", forge=True)
    assert "Không có phiên bản này" in bot.last_answer()
    [closed] = await bot.press_data(ADMIN, menu, f"{version}:kba:999", forge=True)
    assert "đã được áp dụng, đã hủy" in closed.text
    [preview] = await bot.send_document(ADMIN, _fees_file(), "tm_filing.yaml")
    apply = button_data(preview, "Áp dụng")
    [cancelled] = await bot.press(ADMIN, preview, "Hủy")
    assert "Đã hủy" in cancelled.text
    [late] = await bot.press_data(ADMIN, preview, apply, forge=True)
    assert "đã được áp dụng, đã hủy" in late.text
    assert "1.360.000đ" in await _answer(bot)


async def test_a_reload_of_files_edited_on_the_server_joins_the_history(kb_bot: BotHarness) -> None:
    bot = kb_bot
    (bot.runtime.settings.knowledge_dir / FEES).write_bytes(_fees_file())
    [reloaded] = await bot.say(ADMIN, "/reload")
    assert "sửa 1" in reloaded.text
    [history] = await bot.say(ADMIN, "/kb history")
    assert "#2" in history.text and "sửa trực tiếp trên máy chủ" in history.text and "✅" in history.text
    [menu] = await bot.say(ADMIN, "/kb")
    assert "phiên bản #2" in menu.text  # #1: the files the bot started with


async def test_an_officers_answer_becomes_an_entry_through_the_same_check_preview_apply(
    kb_bot: BotHarness,
) -> None:
    """Issue 18, part 5: an answer marked 📚 comes as a draft file; sent back unreviewed it is
    refused; completed, it is previewed, applied and answers the next member."""
    bot, store = kb_bot, kb_bot.runtime.store
    handoff, _ = await store.handoffs.ask(
        MEMBER, MEMBER, "Huế", "Nhà màng trồng rau có cần giấy phép xây dựng không?"
    )
    await store.handoffs.claim(handoff.id, ADMIN, "Admin")
    typed = "Nhà màng dưới 500 m² **không cần giấy phép xây dựng**; hỏi Phòng Kinh tế xã."
    await store.handoffs.answer(handoff.id, ADMIN, typed, typed, "Quản trị viên")
    [_, answered] = await bot.say(ADMIN, "/gaps")
    await bot.press(ADMIN, answered, "📚 #1")
    [_, answered] = await bot.say(ADMIN, "/gaps")
    [draft] = await bot.press(ADMIN, answered, "📝 #1")
    assert draft.kind == "document" and draft.filename == "officer_answer_1.yaml"
    [refused] = await bot.send_document(ADMIN, draft.document, draft.filename)
    assert "unreviewed draft" in refused.text and "officer_answer_1.yaml:" in refused.text

    completed = (  # what a curator does: facts checked, phrasings and test questions added
        draft.document.decode()
        .replace("reviewed: null", "reviewed: 2026-12-01")
        .replace("    keywords: []", "    keywords: [nhà màng, giấy phép xây dựng]")
        .replace(
            "    phrasings:\n",
            "    phrasings:\n      - xây nhà lưới có phải xin phép không\n"
            "      - nha mang co can giay phep ko\n",
        )
        .replace(
            "test_questions: []",
            "test_questions: [co can xin phep xay nha mang khong, nhà lưới trồng rau xin phép ở đâu]",
        )
    )
    completed = "\n".join(line for line in completed.splitlines() if not line.lstrip().startswith("draft:"))
    [preview] = await bot.send_document(ADMIN, completed.encode(), draft.filename)
    assert "Xem trước" in preview.text and "officer_answer_1" in preview.text
    await bot.press(ADMIN, preview, "Áp dụng")
    [answer] = await bot.say(MEMBER, "nhà màng trồng rau có cần giấy phép xây dựng không")
    assert "không cần giấy phép xây dựng" in answer.text
