"""Real PTB objects on FakeRequest: PTB raises its own errors where Telegram would refuse."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from tgemu.flood import Rate
from tgemu.request import FakeRequest, application_builder, make_bot
from tgemu.state import BotApiState

USER = 42


@pytest.fixture
def state() -> BotApiState:
    api = BotApiState()
    api.add_user(USER)
    return api


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d, callback_data=d) for d in data]])


async def test_bot_sends_edits_answers(state):
    async with make_bot(state) as bot:
        assert bot.username == "htx_advisor_bot"
        msg = await bot.send_message(
            USER, "😀 <b>Hợp tác xã</b>", parse_mode=ParseMode.HTML, reply_markup=keyboard("a")
        )
        assert msg.parse_entity(msg.entities[0]) == "Hợp tác xã"  # PTB agrees with the UTF-16 offsets
        assert msg.text_html == "😀 <b>Hợp tác xã</b>"
        edited = await bot.edit_message_text(
            "mới", chat_id=USER, message_id=msg.message_id, reply_markup=keyboard("b")
        )
        assert edited.text == "mới" and edited.reply_markup == keyboard("b")
        with pytest.raises(BadRequest, match="not modified"):
            await msg.edit_text("mới", reply_markup=keyboard("b"))
        with pytest.raises(BadRequest, match="to edit not found"):
            await bot.edit_message_text("x", chat_id=USER, message_id=999)
        query = Update.de_json(state.press(USER, msg.message_id, "b"), bot).callback_query
        assert await query.answer("Đã chọn", show_alert=True)
        assert state.callback_answers == [(query.id, "Đã chọn", True)]
        assert await bot.delete_message(USER, msg.message_id)
        await bot.send_chat_action(USER, "typing")


async def test_ptb_raises_telegrams_errors(state):
    async with make_bot(state) as bot:
        with pytest.raises(BadRequest, match="(?i)unsupported start tag"):
            await bot.send_message(USER, "<div>x</div>", parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
            await bot.send_message(USER, "x", reply_markup=keyboard("ệ" * 22))  # 66 bytes
        with pytest.raises(BadRequest, match="(?i)message is too long"):
            await bot.send_message(USER, "<b>" + "a" * 4097 + "</b>", parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match="(?i)chat not found"):
            await bot.send_message(999, "x")
        state.block(USER)
        with pytest.raises(Forbidden, match="blocked by the user"):
            await bot.send_message(USER, "x")
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", request=FakeRequest(state), get_updates_request=FakeRequest(state)):
            pass


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # PTB's int retry_after
async def test_retry_after_from_flood_limit():
    clock = [0.0]
    state = BotApiState(per_chat_rate=Rate(1, 3.0), clock=lambda: clock[0])
    state.add_user(USER)
    async with make_bot(state) as bot:
        await bot.send_message(USER, "1")
        with pytest.raises(RetryAfter, match="Retry in 3"):
            await bot.send_message(USER, "2")
        clock[0] = 3.0
        await bot.send_message(USER, "2")
    assert state.too_many_requests == 1


async def test_files_round_trip_through_ptb(state):
    async with make_bot(state) as bot:
        doc = await bot.send_document(USER, b"ma,ten\n1,HTX", filename="danh_sach.csv", caption="Danh sách")
        assert doc.document.file_name == "danh_sach.csv" and doc.caption == "Danh sách"
        file = await bot.get_file(doc.document.file_id)
        assert bytes(await file.download_as_bytearray()) == b"ma,ten\n1,HTX"
    assert state.last_message(USER).document == b"ma,ten\n1,HTX"


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_html("<b>Chào</b> bạn!", reply_markup=keyboard("topic:1", "bad"))


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer()
    if query.data == "bad":
        await query.edit_message_reply_markup(keyboard("đ" * 40))  # 80 bytes: Telegram refuses it
    await query.edit_message_text(f"Bạn chọn {query.data}")


def build_app(state: BotApiState, errors: list[BaseException]):
    app = application_builder(state).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(on_button))

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        errors.append(context.error)

    app.add_error_handler(on_error)
    return app


async def test_application_processes_simulated_updates(state):
    errors: list[BaseException] = []
    app = build_app(state, errors)
    async with app:
        await app.process_update(Update.de_json(state.user_says(USER, "/start"), app.bot))
        menu = state.last_message(USER)
        assert (menu.text, menu.entities[0]["type"]) == ("Chào bạn!", "bold")
        await app.process_update(Update.de_json(state.press(USER, menu.message_id, "topic:1"), app.bot))
        assert state.last_message(USER).text == "Bạn chọn topic:1"
        assert state.pending_callbacks == {}
        await app.process_update(Update.de_json(state.user_says(USER, "/start"), app.bot))
        second = state.last_message(USER)
        await app.process_update(Update.de_json(state.press(USER, second.message_id, "bad"), app.bot))
    assert len(errors) == 1 and isinstance(errors[0], BadRequest)
    assert ("editMessageReplyMarkup", 400, "Bad Request: BUTTON_DATA_INVALID") in state.errors


async def test_application_polls_the_state(state):
    app = build_app(state, [])
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        state.user_says(USER, "/start")
        menu = await state.wait_for_message(USER, timeout=3)
        assert menu.text == "Chào bạn!"
        state.press(USER, menu.message_id, "topic:1")
        await state.wait_for(lambda: state.last_message(USER).edits or None, timeout=3)
        assert state.last_message(USER).text == "Bạn chọn topic:1"
        await app.updater.stop()
        await app.stop()
    assert any(method == "deleteWebhook" for method, _ in state.calls)
    await asyncio.sleep(0)


async def test_a_user_sends_a_document_the_bot_fetches_it_with_get_file(state):
    raw = state.user_sends_document(USER, "chủ đề: x\n".encode(), "topics.yaml")
    async with make_bot(state) as bot:
        update = Update.de_json(raw, bot)
        document = update.message.document
        assert document.file_name == "topics.yaml" and document.file_size == len("chủ đề: x\n".encode())
        assert document.file_unique_id and document.mime_type
        telegram_file = await bot.get_file(document.file_id)
        assert telegram_file.file_path.endswith(f"/file/bot{state.token}/documents/file_1.yaml")
        assert bytes(await telegram_file.download_as_bytearray()) == "chủ đề: x\n".encode()
        big = state.user_sends_document(USER, b"\0" * (20 * 1024 * 1024 + 1), "big.zip")
        with pytest.raises(BadRequest, match="too big"):  # bots download at most 20 MB
            await bot.get_file(big["message"]["document"]["file_id"])
    assert state.messages(USER, include_user=True)[0].kind == "document"
