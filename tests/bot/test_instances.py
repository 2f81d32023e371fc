"""Two bot instances on one database: one broadcast sender between them, and when the sending
instance stops mid-broadcast the other takes over, without sending any row twice; knowledge
applied on one instance is followed by the other. Both on each backend (the `database` fixture)."""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter
from pathlib import Path

from advisor.kb import KnowledgeBase
from advisor.records import Audience
from tests.bot.conftest import ADMIN, MEMBER
from tests.bot.harness import BotHarness, settings_for
from tests.conftest import KNOWLEDGE
from tgemu.state import BotApiState

RECIPIENTS = range(5000, 5060)


async def test_one_sender_across_instances_and_a_takeover_without_duplicates(
    tmp_path: Path, database: Path | str, real_kb: KnowledgeBase
) -> None:
    state = BotApiState()
    settings = settings_for(tmp_path, database, broadcast_rate=20.0)
    first = await BotHarness.start(settings, real_kb, state)
    second = await BotHarness.start(settings, real_kb, state)
    try:
        for user_id in RECIPIENTS:
            state.add_user(user_id)
            await first.runtime.store.users.touch(user_id, user_id, "vi")
        text = "Thông báo: tập huấn chuyển đổi số ngày 5/12"
        await first.runtime.store.broadcasts.create(1, 1, text, text, Audience(), None)
        sends: Counter = Counter()
        for bot in (first, second):
            real_send = bot.runtime.sender.send

            async def send(chat_id: int, html: str, bot: BotHarness = bot, real_send=real_send):
                sends[bot.runtime.instance] += 1
                return await real_send(chat_id, html)

            bot.runtime.sender.send = send
            bot.runtime.sender.wake()

        def delivered() -> Counter:
            return Counter(u for u in RECIPIENTS for m in state.messages(u) if m.text == text)

        while sum(delivered().values()) < 15:
            await asyncio.sleep(0.05)
        holder = await first.runtime.store.leases.holder("broadcast-sender")
        sending, waiting = (first, second) if holder == first.runtime.instance else (second, first)
        assert sends[waiting.runtime.instance] == 0  # one sender, one pace, for the whole bot
        await sending.stop()  # mid-broadcast: the other instance takes over
        for _ in range(400):
            counts = await waiting.runtime.store.deliveries.counts(1)
            if not counts.get("pending") and not counts.get("sending"):
                break
            await asyncio.sleep(0.05)
        counts = await waiting.runtime.store.deliveries.counts(1)
        assert counts.get("pending", 0) == 0 and counts["sent"] + counts.get("unknown", 0) == len(RECIPIENTS)
        assert max(delivered().values()) == 1  # nobody got it twice
        # a row cut off mid-send is "unknown": it may have arrived, but it is never sent again
        assert counts["sent"] <= sum(delivered().values()) <= counts["sent"] + counts.get("unknown", 0)
        assert sends[waiting.runtime.instance] > 0
        assert await waiting.runtime.store.leases.holder("broadcast-sender") == waiting.runtime.instance
    finally:
        for bot in (first, second):
            if bot.runtime.store is not None:
                await bot.stop()


async def test_knowledge_applied_on_one_instance_is_followed_by_the_other(
    tmp_path: Path, database: Path | str, real_kb: KnowledgeBase
) -> None:
    """On PostgreSQL too: the version's files travel as BYTEA and come back byte for byte."""
    state = BotApiState()
    bots = []
    for name in ("a", "b"):
        folder = tmp_path / f"knowledge-{name}"
        shutil.copytree(KNOWLEDGE, folder)
        settings = settings_for(tmp_path, database, admins=frozenset({ADMIN}), knowledge_dir=folder)
        bots.append(await BotHarness.start(settings, real_kb, state))
    first, second = bots
    try:
        fees = (KNOWLEDGE / "faq" / "tm_filing.yaml").read_text(encoding="utf-8")
        changed = fees.replace("**Tổng: khoảng 1.360.000đ.**", "**Tổng: khoảng 2.720.000đ.**")
        [preview] = await first.send_document(ADMIN, changed.encode(), "tm_filing.yaml")
        await first.press(ADMIN, preview, "Áp dụng")
        assert "2.720.000đ" in (await first.say(MEMBER, "lệ phí đăng ký nhãn hiệu bao nhiêu"))[0].text
        assert await second.runtime.editor().follow() is not None  # what its follower does every 10 s
        assert "2.720.000đ" in (await second.say(MEMBER, "lệ phí đăng ký nhãn hiệu bao nhiêu"))[0].text
        assert (tmp_path / "knowledge-b" / "faq" / "tm_filing.yaml").read_text(encoding="utf-8") == changed
        assert await second.runtime.editor().follow() is None  # once
    finally:
        for bot in bots:
            await bot.stop()


async def test_a_language_chosen_through_one_instance_holds_on_the_other(
    tmp_path: Path, database: Path | str, real_kb: KnowledgeBase
) -> None:
    """Behind a load balancer a person's next message may reach another instance, which must
    not answer from what it remembered a moment ago (on SQLite there is one instance)."""
    state = BotApiState()
    settings = settings_for(tmp_path, database)
    first = await BotHarness.start(settings, real_kb, state)
    second = await BotHarness.start(settings, real_kb, state)
    try:
        assert "/assess" in (await second.say(MEMBER, "/help"))[0].text  # second now remembers "vi"
        await first.say(MEMBER, "/lang en")
        [reply] = await second.say(MEMBER, "/help")
        if second.runtime.store.db.dialect == "postgres":
            assert "Commands" in reply.text or "commands" in reply.text, reply.text[:200]
    finally:
        for bot in (first, second):
            await bot.stop()
