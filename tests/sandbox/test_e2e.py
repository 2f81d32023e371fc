"""End to end over real HTTP: the page's control API plays users, the real bot answers after
fetching the updates by getUpdates long polling from the emulator."""

from __future__ import annotations

import asyncio
import base64
import json
import re

import aiohttp
import pytest
from telegram import Bot

from sandbox.runner import ADMIN, MEMBER, OFFICER, PERSONAS, STATIC, Sandbox
from tests.conftest import KNOWLEDGE
from tests.sandbox.conftest import Control, button, buttons

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_start_menu_button_and_question(sandbox: Sandbox, control: Control):
    assert sandbox.page_url.startswith("http://127.0.0.1:") and sandbox.api_url.startswith(
        "http://127.0.0.1:"
    )
    assert sandbox.app.bot.base_url == f"{sandbox.api_url}/bot{sandbox.state.token}"

    [greeting] = await control.say_and_wait(MEMBER, "/start", first_name="Lan")
    assert greeting["parse_mode"] == "HTML" and "<b>Lan</b>" in greeting["html"]
    trademark = button(greeting, "Đăng ký nhãn hiệu")

    before = len(await control.messages(MEMBER))
    await control.post(
        "/control/press", user_id=MEMBER, message_id=greeting["message_id"], data=trademark["callback_data"]
    )
    [topic] = await control.wait(MEMBER, lambda ms: ms[before:])
    assert "Đăng ký nhãn hiệu" in topic["text"] and buttons(topic)

    [answer] = await control.say_and_wait(MEMBER, "lệ phí đăng ký nhãn hiệu")
    assert "1.360.000" in answer["text"] and "Lệ phí" in answer["text"]
    assert any(b["text"] == "👍" for b in buttons(answer))

    # The bot got those updates by long polling over HTTP, as it would from Telegram.
    polls = [params for method, params in sandbox.state.calls if method == "getUpdates"]
    assert polls and any(float(p.get("timeout", 0)) >= 1 for p in polls)
    assert any(method == "answerCallbackQuery" for method, _ in sandbox.state.calls)


async def test_user_messages_and_history_for_the_page(control: Control):
    await control.say_and_wait(5001, "/help")
    history = await control.get("/control/messages", chat_id=5001, all=1)
    assert [m["from_bot"] for m in history[:2]] == [False, True]
    assert history[0]["text"] == "/help" and history[0]["entities"][0]["type"] == "bot_command"
    assert [m["message_id"] for m in history] == sorted(m["message_id"] for m in history)


async def test_personas_are_officer_and_admin_with_their_menus(sandbox: Sandbox, control: Control):
    assert sandbox.settings.officers == {OFFICER} and sandbox.settings.admins == {ADMIN}
    menus = await control.get("/control/commands")

    def commands(chat_id: int | None, language: str = "") -> set[str]:
        for menu in menus:
            scope = menu["scope"]
            if menu["language_code"] != language:
                continue
            if (chat_id is None and scope["type"] == "default") or scope.get("chat_id") == chat_id:
                return {c["command"] for c in menu["commands"]}
        return set()

    assert "start" in commands(None) and "export" not in commands(None)
    assert {"export", "broadcast"} <= commands(OFFICER) and "reload" not in commands(OFFICER)
    assert {"export", "reload", "grant"} <= commands(ADMIN)
    assert not commands(MEMBER)  # the member gets the default menu

    config = await control.get("/sandbox/config")
    assert [(p["id"], p["role"], p["label"]) for p in config["personas"]] == [
        (p.user_id, p.role, p.label) for p in PERSONAS
    ]
    assert [p["label"] for p in config["personas"]] == ["Thành viên HTX", "Cán bộ hỗ trợ", "Quản trị viên"]


async def test_admin_export_is_a_downloadable_document(control: Control, http: aiohttp.ClientSession):
    [notice] = await control.say_and_wait(MEMBER, "/privacy")  # the member agrees, so they are stored
    before = len(await control.messages(MEMBER))
    agree = button(notice, "Đồng ý")["callback_data"]
    await control.post("/control/press", user_id=MEMBER, message_id=notice["message_id"], data=agree)
    await control.wait(MEMBER, lambda ms: ms[before:])
    await control.say_and_wait(ADMIN, "/start", first_name="Hùng")
    [doc] = await control.say_and_wait(ADMIN, "/export users")
    assert doc["kind"] == "document" and doc["filename"].startswith("users-") and doc["file_id"]
    async with http.get(f"{control.url}/control/file/{doc['file_id']}", params={"download": "1"}) as response:
        assert response.status == 200
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert doc["filename"] in response.headers["Content-Disposition"]
        body = await response.read()
    assert body.startswith("\ufeff".encode()) and b"\n1001," in body  # the member, who agreed
    async with http.get(f"{control.url}/control/file/nope") as response:
        assert response.status == 404


async def test_an_admin_sends_a_file_from_the_page_and_sees_the_preview(control: Control):
    """What the page's 📎 posts: the file reaches the bot as a document; nothing is applied."""
    original = (KNOWLEDGE / "faq" / "tm_filing.yaml").read_bytes()
    edited = original.replace("Tổng: khoảng 1.360.000đ.".encode(), "Tổng: khoảng 2.000.000đ.".encode())
    before = len(await control.messages(ADMIN))
    data = base64.b64encode(edited).decode()
    await control.post("/control/document", user_id=ADMIN, filename="tm_filing.yaml", data=data)
    [preview] = await control.wait(ADMIN, lambda ms: ms[before:] if len(ms) > before else None, timeout=20)
    assert "tm.fees" in preview["text"] and "2.000.000đ" in preview["text"]
    assert any("Áp dụng" in b["text"] for b in buttons(preview))
    history = await control.get("/control/messages", chat_id=ADMIN, all=1)
    sent = [m for m in history if not m["from_bot"] and m["kind"] == "document"]
    assert sent[-1]["filename"] == "tm_filing.yaml" and sent[-1]["file_id"]


async def test_photos_are_served_with_their_type(
    sandbox: Sandbox, control: Control, http: aiohttp.ClientSession
):
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
        + (120).to_bytes(4, "big")
        + (80).to_bytes(4, "big")
        + bytes(50)
    )
    async with Bot(sandbox.state.token, base_url=f"{sandbox.api_url}/bot") as bot:
        sent = await bot.send_photo(OFFICER, png, caption="Biểu đồ")
    [photo] = [m for m in await control.messages(OFFICER) if m["message_id"] == sent.message_id]
    assert photo["kind"] == "photo" and photo["caption"] == "Biểu đồ"
    async with http.get(f"{control.url}/control/file/{photo['file_id']}") as response:
        assert response.status == 200 and response.content_type == "image/png"
        assert await response.read() == png


async def test_live_events_reach_the_page(control: Control, http: aiohttp.ClientSession):
    async with http.get(f"{control.url}/control/events") as stream:
        assert stream.content_type == "text/event-stream"
        assert (await stream.content.readline()).startswith(b": connected")
        await control.post("/control/say", user_id=5002, text="/start", first_name="Test")
        seen: list[str] = []

        async def read_until_bot_message() -> dict:
            while True:
                line = (await stream.content.readline()).decode()
                if line.startswith("data: "):
                    event = json.loads(line[6:])
                    seen.append(event["type"])
                    if event["type"] == "message" and event["chat_id"] == 5002:
                        return event

        event = await asyncio.wait_for(read_until_bot_message(), 10)
    assert "user_message" in seen and event["message"]["from_bot"]


async def test_the_page_is_served_and_self_contained(control: Control, http: aiohttp.ClientSession):
    async with http.get(control.url + "/") as response:
        assert response.status == 200 and response.content_type == "text/html"
        page = await response.text()
    assert 'placeholder="Nhập tin nhắn…"' in page and 'lang="vi"' in page
    for name in ("app.js", "style.css"):
        async with http.get(f"{control.url}/static/{name}") as response:
            assert response.status == 200, name
    # No CDN, no web fonts: everything comes from this server, so it works offline.
    for path in STATIC.iterdir():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)=["']?(https?:)?//|url\(\s*["']?(https?:)?//|@import""", text), (
            path
        )
    # The page never turns message text into markup: only the sanitiser builds elements.
    assert "innerHTML" not in (STATIC / "app.js").read_text(encoding="utf-8")
