"""The emulator over real HTTP on 127.0.0.1: PTB's own HTTP client, raw requests, control API."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, InvalidToken

from tgemu.server import serve
from tgemu.state import BotApiState

USER = 42
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def state() -> BotApiState:
    api = BotApiState()
    api.add_user(USER)
    return api


@pytest.fixture
async def url(state: BotApiState) -> AsyncIterator[str]:
    async with serve(state) as base_url:
        yield base_url


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def ptb_bot(state: BotApiState, url: str, token: str | None = None) -> Bot:
    return Bot(token or state.token, base_url=f"{url}/bot", base_file_url=f"{url}/file/bot")


async def test_ptb_bot_over_http(state, url):
    assert url.startswith("http://127.0.0.1:")
    async with ptb_bot(state, url) as bot:
        assert bot.username == "htx_advisor_bot"
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Có", callback_data="yes")]])
        msg = await bot.send_message(USER, "<b>Chào</b> 😀", parse_mode="HTML", reply_markup=markup)
        assert msg.text == "Chào 😀" and msg.reply_markup == markup
        with pytest.raises(BadRequest, match="(?i)not modified"):
            await msg.edit_text("<b>Chào</b> 😀", parse_mode="HTML", reply_markup=markup)
        state.block(USER)
        with pytest.raises(Forbidden):
            await bot.send_message(USER, "x")
    with pytest.raises(InvalidToken):
        async with ptb_bot(state, url, token="1:WRONG"):
            pass


async def test_get_updates_long_polling_over_http(state, url):
    async with ptb_bot(state, url) as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=5))
        await asyncio.sleep(0.05)
        assert not poll.done()
        update = state.user_says(USER, "/start")
        [got] = await asyncio.wait_for(poll, 2)
        assert got.update_id == update["update_id"]
        assert got.message.text == "/start" and got.message.entities[0].type == "bot_command"
        assert await bot.get_updates(offset=got.update_id + 1, timeout=0) == ()


async def test_multipart_document_and_photo(state, url):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + (64).to_bytes(4, "big") + (64).to_bytes(4, "big")
    async with ptb_bot(state, url) as bot:
        doc = await bot.send_document(
            USER, "Báo cáo quý".encode(), filename="báo_cáo.txt", caption="<i>Q1</i>", parse_mode="HTML"
        )
        assert doc.document.file_name == "báo_cáo.txt" and doc.caption == "Q1"
        file = await bot.get_file(doc.document.file_id)
        assert bytes(await file.download_as_bytearray()) == "Báo cáo quý".encode()
        photo = await bot.send_photo(USER, png)
        assert photo.photo[-1].width == 64
        with pytest.raises(BadRequest, match="(?i)image_process_failed"):
            await bot.send_photo(USER, b"not a picture")
    assert state.last_message(USER).photo == png


async def test_raw_request_encodings(state, url, http):
    api = f"{url}/bot{state.token}"
    markup = json.dumps({"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]})
    async with http.post(
        f"{api}/sendMessage", data={"chat_id": str(USER), "text": "form", "reply_markup": markup}
    ) as r:
        body = await r.json()
        assert (
            r.status == 200
            and body["ok"]
            and body["result"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "A"
        )
    async with http.post(f"{api}/sendMessage", json={"chat_id": USER, "text": "json"}) as r:
        assert (await r.json())["result"]["text"] == "json"
    async with http.get(f"{api}/sendMessage", params={"chat_id": USER, "text": "query"}) as r:
        assert (await r.json())["result"]["text"] == "query"
    async with http.post(
        f"{api}/sendMessage", json={"chat_id": USER, "text": "a & b", "parse_mode": "HTML"}
    ) as r:
        body = await r.json()
        assert r.status == 400 and body["ok"] is False and body["error_code"] == 400
        assert body["description"].startswith("Bad Request: can't parse entities")
    async with http.post(f"{url}/bot1:WRONG/getMe") as r:
        assert r.status == 401 and (await r.json())["description"] == "Unauthorized"
    async with http.post(f"{api}/noSuchMethod") as r:
        assert r.status == 404
    async with http.get(f"{url}/file/bot{state.token}/documents/missing.txt") as r:
        assert r.status == 404


async def test_control_api(state, url, http):
    control = f"{url}/control"
    async with http.post(f"{control}/say", json={"user_id": 5, "text": "/start", "first_name": "Lan"}) as r:
        update = (await r.json())["result"]
        assert update["message"]["from"]["first_name"] == "Lan"
    async with ptb_bot(state, url) as bot:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Có", callback_data="yes")]])
        msg = await bot.send_message(5, "Chọn", reply_markup=markup)
    async with http.post(
        f"{control}/press", json={"user_id": 5, "message_id": msg.message_id, "data": "yes"}
    ) as r:
        assert (await r.json())["result"]["callback_query"]["data"] == "yes"
    async with http.post(
        f"{control}/press", json={"user_id": 5, "message_id": msg.message_id, "data": "no"}
    ) as r:
        assert r.status == 400 and "no button" in (await r.json())["description"]
    async with http.get(f"{control}/messages", params={"chat_id": 5}) as r:
        [listed] = (await r.json())["result"]
        assert (
            listed["text"] == "Chọn"
            and listed["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "yes"
        )
    async with http.get(f"{control}/messages", params={"chat_id": 5, "all": "1"}) as r:
        assert [m["from_bot"] for m in (await r.json())["result"]] == [False, True]
    async with http.post(f"{control}/block", json={"user_id": 5, "blocked": True}) as r:
        assert (await r.json())["result"]["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    async with http.post(f"{url}/bot{state.token}/sendMessage", json={"chat_id": 5, "text": "x"}) as r:
        assert r.status == 403
    async with http.post(f"{control}/block", json={"user_id": 5, "blocked": False}) as r:
        assert (await r.json())["result"]["my_chat_member"]["new_chat_member"]["status"] == "member"
    sticker = {"chat": {"id": 5, "type": "private"}, "sticker": {"file_id": "s"}}
    async with http.post(f"{control}/update", json={"kind": "message", "payload": sticker}) as r:
        assert (await r.json())["result"]["message"]["sticker"] == {"file_id": "s"}
    async with http.post(f"{control}/say", json={"text": "no user"}) as r:
        assert r.status == 400
    await state.call("setMyCommands", {"commands": [{"command": "start", "description": "Bắt đầu"}]})
    async with http.get(f"{control}/commands") as r:
        assert (await r.json())["result"][0]["scope"] == {"type": "default"}


async def test_event_stream(state, url, http):
    async with http.get(f"{url}/control/events") as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        assert (await stream.content.readline()).startswith(b": connected")
        await state.call("sendMessage", {"chat_id": USER, "text": "live"})
        events = []
        while len(events) < 1:
            line = await asyncio.wait_for(stream.content.readline(), 2)
            if line.startswith(b"data: "):
                events.append(json.loads(line[6:]))
        assert events[0]["type"] == "message" and events[0]["message"]["text"] == "live"


async def test_shutdown_ends_open_polls_and_streams(state):
    loop = asyncio.get_running_loop()
    start = loop.time()
    async with serve(state) as base_url, aiohttp.ClientSession() as http:
        stream = await http.get(f"{base_url}/control/events")
        await stream.content.readline()
        poll = asyncio.create_task(http.post(f"{base_url}/bot{state.token}/getUpdates", json={"timeout": 30}))
        await asyncio.sleep(0.05)
    assert loop.time() - start < 3
    stream.close()
    poll.cancel()
    await asyncio.gather(poll, return_exceptions=True)


async def test_serve_refuses_public_hosts(state):
    with pytest.raises(ValueError):
        async with serve(state, host="0.0.0.0"):
            pass


async def test_cli_prints_base_url(http):
    proc = subprocess.Popen(
        [sys.executable, "-m", "tgemu.server", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 10)
        base_url = line.strip()
        assert base_url.startswith("http://127.0.0.1:")
        async with http.get(f"{base_url}/bot123456:TEST-TOKEN/getMe") as r:
            assert (await r.json())["result"]["username"] == "htx_advisor_bot"
    finally:
        proc.terminate()
        proc.wait(timeout=5)
