"""A real sandbox per test module: the emulator and the page on free 127.0.0.1 ports and the
real bot polling the emulator over HTTP, all in the module's event loop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from advisor.config import Settings
from advisor.kb import KnowledgeBase, load_knowledge
from sandbox.runner import Sandbox, running
from tests.conftest import KNOWLEDGE


@pytest.fixture(scope="session")
def knowledge() -> KnowledgeBase:
    result = load_knowledge(KNOWLEDGE)
    assert result.kb is not None, [str(p) for p in result.errors]
    return result.kb


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sandbox(
    tmp_path_factory: pytest.TempPathFactory, knowledge: KnowledgeBase
) -> AsyncIterator[Sandbox]:
    db = tmp_path_factory.mktemp("sandbox") / "sandbox.db"
    async with running(Settings(knowledge_dir=KNOWLEDGE), knowledge, port=0, db_path=db) as sb:
        yield sb


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as session:
        yield session


class Control:
    """The page's side of the control API, over HTTP."""

    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        self.http = http
        self.url = url

    async def get(self, path: str, **params: Any) -> Any:
        async with self.http.get(f"{self.url}{path}", params=params) as response:
            body = await response.json()
            assert response.status == 200 and body["ok"], body
            return body["result"]

    async def post(self, path: str, **body: Any) -> Any:
        async with self.http.post(f"{self.url}{path}", json=body) as response:
            data = await response.json()
            assert response.status == 200 and data["ok"], data
            return data["result"]

    async def messages(self, chat_id: int) -> list[dict[str, Any]]:
        return await self.get("/control/messages", chat_id=chat_id)

    async def wait(
        self, chat_id: int, check: Callable[[list[dict[str, Any]]], Any], timeout: float = 10.0
    ) -> Any:
        """Poll a chat's bot messages until `check(messages)` returns something truthy."""
        deadline = time.monotonic() + timeout
        while True:
            messages = await self.messages(chat_id)
            found = check(messages)
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; last messages: {[m.get('text') for m in messages[-3:]]}")
            await asyncio.sleep(0.05)

    async def say_and_wait(self, user_id: int, text: str, **options: Any) -> list[dict[str, Any]]:
        """The user says `text`; returns the bot's new messages once it has answered."""
        before = len(await self.messages(user_id))
        await self.post("/control/say", user_id=user_id, text=text, **options)
        return await self.wait(user_id, lambda ms: ms[before:] if len(ms) > before else None)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def control(sandbox: Sandbox, http: aiohttp.ClientSession) -> Control:
    return Control(http, sandbox.page_url)


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button for row in rows for button in row]


def button(message: dict[str, Any], label: str) -> dict[str, Any]:
    for candidate in buttons(message):
        if label in candidate["text"]:
            return candidate
    raise AssertionError(f"no button {label!r} in {[b['text'] for b in buttons(message)]}")


ROOT = Path(__file__).resolve().parents[2]
