"""BotApiState called directly: methods, simulated users, getUpdates, observation helpers."""

from __future__ import annotations

import asyncio
import json

import pytest

from tgemu.errors import ApiError
from tgemu.flood import Rate
from tgemu.state import BotApiState

USER = 42
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + (200).to_bytes(4, "big") + (100).to_bytes(4, "big") + b"\x08\x02"
)


def kb(*data: str) -> dict:
    return {"inline_keyboard": [[{"text": d, "callback_data": d} for d in data]]}


@pytest.fixture
def state() -> BotApiState:
    api = BotApiState()
    api.add_user(USER)
    return api


async def fails(state: BotApiState, method: str, params: dict, files: dict | None = None) -> ApiError:
    with pytest.raises(ApiError) as info:
        await state.call(method, params, files)
    return info.value


async def test_get_me_and_unknown_method(state):
    me = await state.call("getMe", {})
    assert me["is_bot"] and me["username"] == "htx_advisor_bot" and me["id"] == 123456
    assert (await state.call("getme", {}))["id"] == 123456  # method names are case-insensitive
    error = await fails(state, "sendTelepathy", {})
    assert (error.code, error.description) == (404, "Not Found")
    assert state.calls[0] == ("getMe", {})


async def test_send_message_shape_and_record(state):
    result = await state.call(
        "sendMessage",
        {"chat_id": USER, "text": "<b>Chào</b> bạn", "parse_mode": "HTML", "reply_markup": kb("a")},
    )
    assert result["chat"] == {"id": USER, "type": "private", "first_name": "An"}
    assert result["from"]["is_bot"] is True
    assert result["text"] == "Chào bạn"
    assert result["entities"] == [{"type": "bold", "offset": 0, "length": 4}]
    assert result["reply_markup"] == kb("a")
    [sent] = state.messages(USER)
    assert (sent.kind, sent.html, sent.text, sent.edits, sent.deleted) == (
        "text",
        "<b>Chào</b> bạn",
        "Chào bạn",
        0,
        False,
    )
    assert state.last_message(USER) is sent


async def test_form_encoded_params_are_accepted(state):
    result = await state.call(
        "sendMessage",
        {
            "chat_id": str(USER),
            "text": "123",
            "reply_markup": json.dumps(kb("x")),
            "disable_notification": "true",
        },
    )
    assert result["text"] == "123"
    assert state.last_message(USER).reply_markup == kb("x")


async def test_plain_text_without_parse_mode_is_not_parsed(state):
    result = await state.call("sendMessage", {"chat_id": USER, "text": "a < b & c"})
    assert result["text"] == "a < b & c" and "entities" not in result


async def test_rules_apply_to_sends(state):
    assert (
        "Unsupported start tag"
        in (
            await fails(state, "sendMessage", {"chat_id": USER, "text": "<div>x</div>", "parse_mode": "HTML"})
        ).description
    )
    assert (await fails(state, "sendMessage", {"chat_id": USER, "text": "x" * 4097})).description == (
        "Bad Request: message is too long"
    )
    assert (await fails(state, "sendMessage", {"chat_id": USER, "text": ""})).description == (
        "Bad Request: message text is empty"
    )
    bad = {"chat_id": USER, "text": "x", "reply_markup": kb("đ" * 33)}
    assert (await fails(state, "sendMessage", bad)).description == "Bad Request: BUTTON_DATA_INVALID"
    assert state.messages(USER) == []
    assert [code for _, code, _ in state.errors] == [400, 400, 400, 400]


async def test_unknown_chat_and_users_who_never_started(state):
    error = await fails(state, "sendMessage", {"chat_id": 777, "text": "x"})
    assert (error.code, error.description) == (400, "Bad Request: chat not found")
    assert (await fails(state, "sendMessage", {"text": "x"})).description == "Bad Request: chat_id is empty"
    state.add_user(777, started=False)
    error = await fails(state, "sendMessage", {"chat_id": 777, "text": "x"})
    assert (error.code, error.description) == (403, "Forbidden: bot can't initiate conversation with a user")
    state.user_says(777, "hi")
    await state.call("sendMessage", {"chat_id": 777, "text": "x"})


async def test_blocked_user_gets_403_and_my_chat_member_updates(state):
    update = state.block(USER)
    member = update["my_chat_member"]
    assert (member["old_chat_member"]["status"], member["new_chat_member"]["status"]) == ("member", "kicked")
    assert state.block(USER) is None  # already blocked: nothing happens
    error = await fails(state, "sendMessage", {"chat_id": USER, "text": "x"})
    assert (error.code, error.description) == (403, "Forbidden: bot was blocked by the user")
    assert (await fails(state, "sendChatAction", {"chat_id": USER, "action": "typing"})).code == 403
    update = state.unblock(USER)
    assert update["my_chat_member"]["new_chat_member"]["status"] == "member"
    await state.call("sendMessage", {"chat_id": USER, "text": "x"})


async def test_writing_to_a_blocked_bot_restarts_it(state):
    state.block(USER)
    state.user_says(USER, "/start")
    kinds = [next(k for k in u if k != "update_id") for u in state.pending_updates]
    assert kinds == ["my_chat_member", "my_chat_member", "message"]
    await state.call("sendMessage", {"chat_id": USER, "text": "x"})


async def test_edit_text_rules(state):
    sent = await state.call(
        "sendMessage", {"chat_id": USER, "text": "<b>x</b>", "parse_mode": "HTML", "reply_markup": kb("a")}
    )
    same = {
        "chat_id": USER,
        "message_id": sent["message_id"],
        "text": "<b>x</b>",
        "parse_mode": "HTML",
        "reply_markup": kb("a"),
    }
    error = await fails(state, "editMessageText", same)
    assert error.description.startswith("Bad Request: message is not modified: ")
    # Formatting is content: the same letters without bold is a change.
    edited = await state.call("editMessageText", {**same, "text": "x", "parse_mode": None})
    assert edited["text"] == "x" and "edit_date" in edited
    # No reply_markup in an edit removes the keyboard, as on Telegram.
    edited = await state.call(
        "editMessageText", {"chat_id": USER, "message_id": sent["message_id"], "text": "y"}
    )
    assert "reply_markup" not in edited
    msg = state.last_message(USER)
    assert (msg.text, msg.reply_markup, msg.edits) == ("y", None, 2)
    missing = {"chat_id": USER, "message_id": 999, "text": "z"}
    assert (
        await fails(state, "editMessageText", missing)
    ).description == "Bad Request: message to edit not found"
    long = {"chat_id": USER, "message_id": sent["message_id"], "text": "z" * 4097}
    assert (await fails(state, "editMessageText", long)).description == "Bad Request: MESSAGE_TOO_LONG"


async def test_edit_reply_markup_and_user_messages(state):
    sent = await state.call("sendMessage", {"chat_id": USER, "text": "x", "reply_markup": kb("a")})
    ref = {"chat_id": USER, "message_id": sent["message_id"]}
    edited = await state.call("editMessageReplyMarkup", {**ref, "reply_markup": kb("b")})
    assert edited["reply_markup"] == kb("b")
    assert (
        await fails(state, "editMessageReplyMarkup", {**ref, "reply_markup": kb("b")})
    ).description.startswith("Bad Request: message is not modified")
    user_msg = state.user_says(USER, "hello")["message"]
    error = await fails(
        state, "editMessageText", {"chat_id": USER, "message_id": user_msg["message_id"], "text": "h"}
    )
    assert error.description == "Bad Request: message can't be edited"


async def test_delete_message(state):
    sent = await state.call("sendMessage", {"chat_id": USER, "text": "x"})
    ref = {"chat_id": USER, "message_id": sent["message_id"]}
    assert await state.call("deleteMessage", ref) is True
    assert state.last_message(USER).deleted
    assert (
        await fails(state, "deleteMessage", ref)
    ).description == "Bad Request: message to delete not found"
    assert (await fails(state, "editMessageText", {**ref, "text": "y"})).description.endswith("not found")


async def test_user_says_adds_bot_command_entity(state):
    update = state.user_says(USER, "/start@htx_advisor_bot payload", first_name="Bình", username="binh")
    message = update["message"]
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 22}]
    assert message["from"] == {
        "id": USER,
        "is_bot": False,
        "first_name": "Bình",
        "username": "binh",
        "language_code": "vi",
    }
    assert "entities" not in state.user_says(USER, "xin chào /help")["message"]
    assert state.messages(USER) == []
    assert [m.text for m in state.messages(USER, include_user=True)] == [
        "/start@htx_advisor_bot payload",
        "xin chào /help",
    ]


async def test_group_chats_and_replies(state):
    update = state.user_says(7, "/ask", chat_id=-100, chat_type="supergroup", title="HTX Lúa")
    assert update["message"]["chat"] == {"id": -100, "type": "supergroup", "title": "HTX Lúa"}
    reply = await state.call(
        "sendMessage",
        {"chat_id": -100, "text": "ok", "reply_parameters": {"message_id": update["message"]["message_id"]}},
    )
    assert reply["reply_to_message"]["text"] == "/ask"
    # The user only wrote in the group: the bot cannot start a private chat with them.
    assert (await fails(state, "sendMessage", {"chat_id": 7, "text": "x"})).code == 403
    missing = {"chat_id": -100, "text": "x", "reply_parameters": {"message_id": 99}}
    assert (
        await fails(state, "sendMessage", missing)
    ).description == "Bad Request: message to be replied not found"
    with pytest.raises(ValueError):
        state.user_says(7, "x", chat_type="group")
    user_reply = state.user_says(
        7, "thanks", chat_id=-100, chat_type="supergroup", reply_to_message_id=reply["message_id"]
    )
    assert user_reply["message"]["reply_to_message"]["text"] == "ok"


async def test_press_and_answer_callback(state):
    sent = await state.call("sendMessage", {"chat_id": USER, "text": "Chọn", "reply_markup": kb("yes", "no")})
    with pytest.raises(ValueError, match="no button"):
        state.press(USER, sent["message_id"], "maybe")
    with pytest.raises(ValueError):
        state.press(USER, 999, "yes")
    query = state.press(USER, sent["message_id"], "yes")["callback_query"]
    assert query["data"] == "yes" and query["message"]["message_id"] == sent["message_id"]
    assert list(state.pending_callbacks) == [query["id"]]
    long = {"callback_query_id": query["id"], "text": "x" * 201}
    assert (await fails(state, "answerCallbackQuery", long)).description == "Bad Request: MESSAGE_TOO_LONG"
    assert (
        await state.call("answerCallbackQuery", {"callback_query_id": query["id"], "text": "Đã ghi"}) is True
    )
    assert state.callback_answers == [(query["id"], "Đã ghi", False)]
    assert state.pending_callbacks == {}
    error = await fails(state, "answerCallbackQuery", {"callback_query_id": query["id"]})
    assert "query ID is invalid" in error.description


async def test_forged_press_on_old_or_missing_buttons(state):
    forged = state.press(USER, 55, "old:1", forge=True)["callback_query"]
    assert forged["message"] == {
        "chat": {"id": USER, "type": "private", "first_name": "An"},
        "message_id": 55,
        "date": 0,
    }


async def test_send_update_completes_message_payloads(state):
    update = state.send_update(
        "message",
        {
            "chat": {"id": 9, "type": "private", "first_name": "C"},
            "from": {"id": 9, "is_bot": False, "first_name": "C"},
            "sticker": {"file_id": "s"},
        },
    )
    assert update["message"]["message_id"] == 1 and "date" in update["message"]
    await state.call("sendMessage", {"chat_id": 9, "text": "nice sticker"})
    edited = state.send_update(
        "edited_message", {"chat": {"id": USER, "type": "private"}, "message_id": 1, "text": "x"}
    )
    assert edited["edited_message"]["date"]
    with pytest.raises(ValueError):
        state.send_update("message", {"text": "no chat"})


async def test_get_updates_offsets_and_filter(state):
    first = state.user_says(USER, "a")["update_id"]
    second = state.user_says(USER, "b")["update_id"]
    got = await state.call("getUpdates", {"offset": 0, "timeout": 0})
    assert [u["update_id"] for u in got] == [first, second]
    got = await state.call("getUpdates", {"offset": second, "timeout": 0})
    assert [u["update_id"] for u in got] == [second]
    assert await state.call("getUpdates", {"offset": second + 1, "timeout": 0}) == []
    assert state.pending_updates == []
    state.user_says(USER, "c")
    state.block(USER)
    got = await state.call("getUpdates", {"timeout": 0, "allowed_updates": '["my_chat_member"]'})
    assert [next(k for k in u if k != "update_id") for u in got] == ["my_chat_member"]
    assert len(await state.call("getUpdates", {"timeout": 0, "allowed_updates": [], "limit": 1})) == 1


async def test_get_updates_long_polls(state):
    poll = asyncio.create_task(state.call("getUpdates", {"timeout": 5}))
    await asyncio.sleep(0.01)
    assert not poll.done()
    update = state.user_says(USER, "hi")
    assert await asyncio.wait_for(poll, 1) == [update]
    loop = asyncio.get_running_loop()
    start = loop.time()
    assert await state.call("getUpdates", {"offset": update["update_id"] + 1, "timeout": 0.1}) == []
    assert loop.time() - start < 1


async def test_get_updates_conflicts(state):
    first = asyncio.create_task(state.call("getUpdates", {"timeout": 5}))
    await asyncio.sleep(0.01)
    second = asyncio.create_task(state.call("getUpdates", {"timeout": 5}))
    with pytest.raises(ApiError) as info:
        await asyncio.wait_for(first, 1)
    assert info.value.code == 409 and "terminated by other getUpdates" in info.value.description
    state.wake_pollers()
    assert await asyncio.wait_for(second, 1) == []
    await state.call("setWebhook", {"url": "https://bot.example/hook"})
    assert (await state.call("getWebhookInfo", {}))["url"] == "https://bot.example/hook"
    assert (await fails(state, "getUpdates", {})).code == 409
    assert (await fails(state, "setWebhook", {"url": "http://insecure"})).code == 400
    await state.call("deleteWebhook", {"drop_pending_updates": True})
    assert await state.call("getUpdates", {}) == []


async def test_rate_limits_in_state():
    clock = [0.0]
    state = BotApiState(per_chat_rate=Rate(2, 1.0), clock=lambda: clock[0])
    state.add_user(USER)
    await state.call("sendMessage", {"chat_id": USER, "text": "1"})
    await state.call("sendMessage", {"chat_id": USER, "text": "2"})
    status, body = await state.handle("sendMessage", {"chat_id": USER, "text": "3"})
    assert status == 429
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    assert state.too_many_requests == 1
    assert len(state.messages(USER)) == 2
    clock[0] = 1.0
    assert (await state.handle("sendMessage", {"chat_id": USER, "text": "3"}))[0] == 200


async def test_commands_and_descriptions(state):
    commands = [
        {"command": "start", "description": "Bắt đầu"},
        {"command": "help", "description": "Trợ giúp"},
    ]
    await state.call("setMyCommands", {"commands": commands, "language_code": "vi"})
    await state.call("setMyCommands", {"commands": json.dumps(commands[:1])})
    scope = {"type": "chat", "chat_id": USER}
    await state.call("setMyCommands", {"commands": commands[1:], "scope": json.dumps(scope)})
    assert state.commands_for("vi") == commands
    assert state.commands_for() == commands[:1]
    assert state.commands_for(scope=scope) == commands[1:]
    assert await state.call("getMyCommands", {"language_code": "vi"}) == commands
    assert await state.call("getMyCommands", {"language_code": "en"}) == []
    await state.call("deleteMyCommands", {"language_code": "vi"})
    assert state.commands_for("vi") == []
    bad = [{"command": "Start", "description": "x"}]
    assert (
        await fails(state, "setMyCommands", {"commands": bad})
    ).description == "Bad Request: BOT_COMMAND_INVALID"
    await state.call("setMyDescription", {"description": "Trợ lý HTX", "language_code": "vi"})
    await state.call("setMyShortDescription", {"short_description": "Hỏi đáp"})
    assert state.descriptions == {"vi": "Trợ lý HTX"} and state.short_descriptions == {"": "Hỏi đáp"}
    assert (await state.call("getMyDescription", {"language_code": "vi"}))["description"] == "Trợ lý HTX"
    assert (await fails(state, "setMyShortDescription", {"short_description": "x" * 121})).code == 400


async def test_photos_documents_and_files(state):
    photo = await state.call(
        "sendPhoto",
        {"chat_id": USER, "caption": "<i>Ảnh</i>", "parse_mode": "HTML"},
        {"photo": ("p.png", PNG, "image/png")},
    )
    assert photo["caption"] == "Ảnh" and photo["caption_entities"][0]["type"] == "italic"
    assert photo["photo"][-1]["width"] == 200 and photo["photo"][-1]["height"] == 100
    sent = state.last_message(USER)
    assert (sent.kind, sent.photo, sent.filename) == ("photo", PNG, "p.png")
    info = await state.call("getFile", {"file_id": photo["photo"][-1]["file_id"]})
    assert state.file_bytes(info["file_path"]) == PNG
    again = await state.call("sendPhoto", {"chat_id": USER, "photo": photo["photo"][-1]["file_id"]})
    assert again["photo"][-1]["file_id"] == photo["photo"][-1]["file_id"]
    bad = await fails(state, "sendPhoto", {"chat_id": USER}, {"photo": ("x.png", b"text", None)})
    assert bad.description == "Bad Request: IMAGE_PROCESS_FAILED"
    assert (
        await fails(state, "sendPhoto", {"chat_id": USER})
    ).description == "Bad Request: there is no photo in the request"
    long_caption = {"chat_id": USER, "caption": "c" * 1025}
    assert (await fails(state, "sendPhoto", long_caption, {"photo": PNG})).description.endswith(
        "caption is too long"
    )
    doc = await state.call(
        "sendDocument",
        {"chat_id": USER, "document": "attach://f"},
        {"f": ("báo cáo.csv", b"a,b\n", "text/csv")},
    )
    assert doc["document"]["file_name"] == "báo cáo.csv" and doc["document"]["mime_type"] == "text/csv"
    assert state.last_message(USER).document == b"a,b\n"
    assert (
        await fails(state, "sendDocument", {"chat_id": USER}, {"document": ("e.txt", b"", None)})
    ).code == 400
    assert (await fails(state, "getFile", {"file_id": "nope"})).description == "Bad Request: invalid file_id"
    uploaded = state.upload(b"user file", filename="x.pdf")
    assert (await state.call("getFile", {"file_id": uploaded.file_id}))["file_path"].endswith(".pdf")


async def test_chat_action_and_get_chat(state):
    assert await state.call("sendChatAction", {"chat_id": USER, "action": "typing"}) is True
    assert state.chat_actions == [(USER, "typing")]
    assert (await fails(state, "sendChatAction", {"chat_id": USER, "action": "dancing"})).code == 400
    chat = await state.call("getChat", {"chat_id": USER})
    assert chat["id"] == USER and chat["type"] == "private" and "accepted_gift_types" in chat
    assert await state.call("close", {}) is True and await state.call("logOut", {}) is True


async def test_events_and_waiting(state):
    events = state.subscribe()
    sent = await state.call("sendMessage", {"chat_id": USER, "text": "x", "reply_markup": kb("a")})
    await state.call("editMessageText", {"chat_id": USER, "message_id": sent["message_id"], "text": "y"})
    query = state.press(USER, sent["message_id"], "a", forge=True)["callback_query"]
    await state.call("answerCallbackQuery", {"callback_query_id": query["id"], "text": "ok"})
    await state.call("deleteMessage", {"chat_id": USER, "message_id": sent["message_id"]})
    await state.handle("sendMessage", {"chat_id": USER, "text": ""})
    types = []
    while not events.empty():
        types.append(events.get_nowait()["type"])
    assert types == ["message", "edit", "callback_answer", "delete", "error"]
    state.unsubscribe(events)
    json.dumps(state.messages(USER)[0].to_dict())  # the control API can serialise it

    first = await state.wait_for_message(USER, timeout=0.5)  # the cursor starts at the oldest
    assert first.message_id == sent["message_id"]
    waiter = asyncio.create_task(state.wait_for_message(USER, timeout=2))
    await asyncio.sleep(0.01)
    await state.call("sendMessage", {"chat_id": USER, "text": "next"})
    assert (await waiter).text == "next"
    with pytest.raises(TimeoutError):
        await state.wait_for_message(USER, timeout=0.05)
    with pytest.raises(TimeoutError):  # False is "not yet", like None: `any(...)` waits
        await state.wait_for(lambda: any(m.text == "never" for m in state.messages(USER)), timeout=0.05)
