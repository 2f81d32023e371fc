"""Officers and admins: role checks, grants, broadcasts (durable, paced), reload, gaps, stats."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from tests.bot.conftest import ADMIN, MEMBER, OFFICER
from tests.bot.harness import BotHarness, buttons, settings_for
from tests.conftest import KNOWLEDGE
from tgemu.flood import Rate
from tgemu.state import BotApiState

PRIVILEGED = [
    "/broadcast",
    "/broadcasts",
    "/stats",
    "/export cooperatives",
    "/reload",
    "/gaps",
    "/grant 5 officer",
    "/revoke 5",
]


@pytest.mark.parametrize("command", PRIVILEGED)
async def test_members_are_refused_every_privileged_command(bot: BotHarness, command: str) -> None:
    [reply] = await bot.say(MEMBER, command)
    assert "dành cho cán bộ" in reply.text


async def test_forged_officer_buttons_from_a_member_do_nothing(bot: BotHarness) -> None:
    [menu] = await bot.say(MEMBER, "/menu")
    version = buttons(menu)[0][1].split(":")[0]
    await bot.say(MEMBER, "/register")  # a flow of their own, which a forged ✖ must not end
    for action in ("bk", "bs:agriculture", "bc:1", "bv", "bx"):
        await bot.press_data(MEMBER, menu, f"{version}:{action}", forge=True)
        assert "dành cho cán bộ" in bot.last_answer()
    assert await bot.runtime.store.broadcasts.recent() == []
    assert (await bot.runtime.store.flows.get(MEMBER))[0] == "profile"


async def test_grant_by_username_with_province_then_revoke_and_audit(bot: BotHarness) -> None:
    await bot.say(555, "/start", username="canbo_bt")
    [reply] = await bot.say(ADMIN, "/grant @canbo_bt officer Bến Tre")
    assert "Vĩnh Long" in reply.text and "cán bộ hỗ trợ" in reply.text and "officer" not in reply.text
    assert "được cấp quyền cán bộ hỗ trợ" in bot.state.messages(555)[-1].text  # the officer is told
    assert "Số liệu ở Vĩnh Long" in (await bot.say(555, "/stats"))[0].text
    assert bot.state.commands_for(scope={"type": "chat", "chat_id": 555})
    await bot.say(ADMIN, "/revoke @canbo_bt")
    assert "thu hồi" in bot.state.messages(555)[-1].text
    assert not bot.state.commands_for(scope={"type": "chat", "chat_id": 555})
    assert "dành cho cán bộ" in (await bot.say(555, "/stats"))[0].text
    actions = [row["action"] for row in await bot.runtime.store.reports.export("audit")]
    assert actions == ["kb_version", "grant", "revoke"]  # the knowledge the bot started with, then the roles
    assert "dành cho cán bộ" in (await bot.say(OFFICER, "/grant 1 admin"))[0].text


async def make_members(bot: BotHarness, count: int, start: int = 1000) -> None:
    store = bot.runtime.store
    for user in range(start, start + count):
        await bot.say(user, "/start")
        coop = await store.coops.create(
            user,
            f"HTX {user}",
            "Vĩnh Long" if user % 2 else "Hà Nội",
            "agriculture" if user % 3 else "trade",
            10,
        )
        assert coop


async def compose(bot: BotHarness, user: int, text: str, toggles: tuple[str, ...] = ()) -> None:
    await bot.say(user, "/broadcast")
    [audience] = await bot.say(user, text)
    for label in toggles:
        await bot.press(user, bot.refreshed(audience), label)
    previews = await bot.press(user, bot.refreshed(audience), "Xem trước")
    await bot.press(user, previews[-1], "Gửi")


async def schedule(bot: BotHarness, user: int, text: str, when: str = "31/12/2026 08:00") -> list:
    """Write a notice for everyone, schedule it and confirm; returns the confirmation replies."""
    await bot.say(user, "/broadcast")
    [audience] = await bot.say(user, text)
    previews = await bot.press(user, audience, "Xem trước")
    await bot.press(user, previews[-1], "Hẹn giờ")
    [confirm] = await bot.say(user, when)
    return await bot.press(user, confirm, "lên lịch")


async def wait_done(bot: BotHarness, broadcast_id: int = 1) -> dict[str, int]:
    for _ in range(400):
        item = await bot.runtime.store.broadcasts.get(broadcast_id)
        if item and item.status in ("done", "cancelled"):
            return await bot.runtime.store.deliveries.counts(broadcast_id)
        await asyncio.sleep(0.02)
    raise AssertionError("the broadcast did not finish")


async def test_broadcast_to_a_sector_preview_confirm_and_deliver(bot: BotHarness) -> None:
    await make_members(bot, 9)
    await compose(bot, ADMIN, "**Tập huấn** livestream ngày 1/12", ("Nông nghiệp",))
    counts = await wait_done(bot)
    assert counts == {"sent": 6}  # 1000..1008 where user % 3 != 0
    received = bot.state.messages(1001)[-1]
    assert received.html.startswith("<b>Tập huấn</b> livestream ngày 1/12\n\n")
    assert "quản trị viên" in received.text and "/unsubscribe" in received.text  # who sent it, how to stop
    assert bot.state.messages(1002)[-1].html != received.html  # trade: not in the audience
    report = bot.refreshed(next(m for m in bot.state.messages(ADMIN) if "Thông báo #1" in (m.text or "")))
    assert "đã xong" in report.text


async def test_officer_of_a_province_reaches_only_it(bot: BotHarness) -> None:
    await make_members(bot, 6)
    await bot.say(ADMIN, "/grant 777 officer Vĩnh Long")
    await bot.say(777, "/start")
    await compose(bot, 777, "Họp HTX tỉnh")
    counts = await wait_done(bot)
    assert counts == {"sent": 3}  # the odd user ids are in Vĩnh Long


async def test_blocked_users_are_recorded_and_unsubscribed(tmp_path: Path, real_kb) -> None:
    bot = await BotHarness.start(settings_for(tmp_path, admins=frozenset({ADMIN})), real_kb)
    await make_members(bot, 4)
    bot.state.block(1001)  # blocked, but the bot has not heard of it yet
    await compose(bot, ADMIN, "Thông báo")
    counts = await wait_done(bot)
    assert counts == {"sent": 4, "blocked": 1}  # 4 members + the admin; 1001 blocked
    assert (await bot.runtime.store.users.get(1001)).subscribed == 0
    await bot.stop()


async def test_429_waits_and_retries_without_losing_or_duplicating(
    tmp_path: Path, database: Path | str, real_kb
) -> None:
    state = BotApiState(global_rate=Rate(5, 1.0))
    bot = await BotHarness.start(
        settings_for(tmp_path, database, admins=frozenset({ADMIN}), broadcast_rate=1000.0), real_kb, state
    )
    await make_members(bot, 8)
    await compose(bot, ADMIN, "Nhiều người nhận")
    counts = await wait_done(bot)
    assert counts == {"sent": 9}
    assert bot.runtime.sender.retries_429 > 0
    for user in range(1000, 1008):
        assert sum(1 for m in state.messages(user) if m.html.startswith("Nhiều người nhận")) == 1
    await bot.stop()


async def test_durable_resume_after_the_sender_is_killed(
    tmp_path: Path, database: Path | str, real_kb
) -> None:
    settings = settings_for(tmp_path, database, admins=frozenset({ADMIN}), broadcast_rate=20.0)
    state = BotApiState()
    first = await BotHarness.start(settings, real_kb, state)
    await make_members(first, 30)
    await compose(first, ADMIN, "Bền bỉ")
    for _ in range(200):
        counts = await first.runtime.store.deliveries.counts(1)
        if counts.get("sent", 0) >= 5:
            break
        await asyncio.sleep(0.02)
    await first.stop()  # killed mid-way

    second = await BotHarness.start(settings, real_kb, state)
    counts = await wait_done(second)
    assert counts.get("pending", 0) == 0 and sum(counts.values()) == 31
    for user in range(1000, 1030):
        got = sum(1 for m in state.messages(user) if m.html.startswith("Bền bỉ"))
        assert got <= 1  # never twice
    delivered = sum(1 for u in range(1000, 1030) for m in state.messages(u) if m.html.startswith("Bền bỉ"))
    assert delivered == counts["sent"] - (
        1 if any(m.html.startswith("Bền bỉ") for m in state.messages(ADMIN)) else 0
    )
    await second.stop()


async def test_cancel_a_scheduled_broadcast(bot: BotHarness) -> None:
    await make_members(bot, 2)
    await bot.say(ADMIN, "/broadcast")
    [audience] = await bot.say(ADMIN, "Hẹn giờ")
    previews = await bot.press(ADMIN, audience, "Xem trước")
    await bot.press(ADMIN, previews[-1], "Hẹn giờ")
    [bad] = await bot.say(ADMIN, "hôm qua")
    assert "chưa hiểu" in bad.text
    [confirm] = await bot.say(ADMIN, "31/12/2026 08:00")
    assert [label for label, _ in buttons(confirm)][0] == "🕒 Xác nhận lên lịch gửi"  # not "send"
    [done] = await bot.press(ADMIN, confirm, "lên lịch")
    assert "31/12/2026 08:00" in done.text
    [listing] = await bot.say(ADMIN, "/broadcasts")
    await bot.press(ADMIN, listing, "Hủy #1")  # asks first, in the same message
    asking = bot.refreshed(listing)
    assert "Dừng thông báo #1?" in asking.text
    await bot.press(ADMIN, asking, "Không dừng")
    assert (await bot.runtime.store.broadcasts.get(1)).status == "scheduled"
    await bot.press(ADMIN, bot.refreshed(listing), "Hủy #1")
    await bot.press(ADMIN, bot.refreshed(listing), "Dừng hẳn")
    assert "đã hủy" in bot.refreshed(listing).text.lower()  # the list, updated in place
    assert (await bot.runtime.store.broadcasts.get(1)).status == "cancelled"
    assert await bot.runtime.store.deliveries.counts(1) == {"cancelled": 3}


async def test_reload_keeps_old_knowledge_on_errors_and_swaps_good_one(tmp_path: Path, real_kb) -> None:
    folder = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, folder)
    bot = await BotHarness.start(
        settings_for(tmp_path, admins=frozenset({ADMIN}), knowledge_dir=folder), real_kb
    )
    broken = folder / "faq" / "tm.yaml"
    good = broken.read_text(encoding="utf-8")
    broken.write_text(good + "\n  - id: [unclosed\n", encoding="utf-8")
    replies = await bot.say(ADMIN, "/reload")
    assert "bản cũ" in replies[0].text and any("faq/tm.yaml:" in reply.text for reply in replies)
    assert bot.runtime.kb is real_kb
    broken.write_text(good, encoding="utf-8")
    extra = folder / "faq" / "zz.yaml"
    extra.write_text(
        "topic: coop\nentries:\n  - id: coop.weather\n    title: Dự báo thời tiết cho mùa vụ\n"
        "    phrasings: [thời tiết vụ mùa, dự báo mưa bão cho nông dân, xem thời tiết ở đâu]\n"
        "    answer: Xem trên trang của Trung tâm Dự báo khí tượng thủy văn quốc gia.\n"
        "    source: nchmf.gov.vn\n    reviewed: 2026-11-01\n"
        "    test_questions: [thoi tiet mua vu xem o dau, du bao mua bao]\n",
        encoding="utf-8",
    )
    [ok] = await bot.say(ADMIN, "/reload")
    assert "thêm 1" in ok.text
    [answer] = await bot.say(MEMBER, "xem dự báo thời tiết mùa vụ ở đâu")
    assert "Dự báo thời tiết" in answer.text
    await bot.stop()


async def test_gaps_stats_and_export(bot: BotHarness) -> None:
    await bot.say(MEMBER, "giá vàng hôm nay")
    await bot.say(MEMBER + 1, "gia vang hom nay the nao")
    [gaps] = await bot.say(ADMIN, "/gaps")
    assert "2×" in gaps.text
    await bot.say(MEMBER, "le phi dang ky nhan hieu")
    [stats] = await bot.say(ADMIN, "/stats")
    assert "Người dùng" in stats.text and "tm.fees" not in stats.text  # titles, not ids
    [document] = await bot.say(ADMIN, "/export questions")
    lines = document.document.decode("utf-8-sig").splitlines()
    assert (
        document.kind == "document" and lines[0].startswith('"DỮ LIỆU CÁ NHÂN') and lines[1].startswith("id,")
    )
    [cooperatives] = await bot.say(OFFICER, "/export cooperatives")
    assert cooperatives.text == "Bảng cooperatives chưa có dữ liệu."  # officers may export it; none yet
    [choice] = await bot.say(OFFICER, "/export questions")  # officers may not export the questions log
    labels = [label for label, _ in buttons(choice)]
    assert "📄 Hợp tác xã" in labels and "📄 Câu hỏi của thành viên" not in labels
    [document] = await bot.press(ADMIN, (await bot.say(ADMIN, "/export"))[0], "Người dùng")
    header = document.document.decode("utf-8-sig").splitlines()[1]  # under the personal-data line
    assert "first_seen (UTC+7)" in header


async def test_subscribe_and_unsubscribe(bot: BotHarness) -> None:
    await bot.say(MEMBER, "/unsubscribe")
    assert (await bot.runtime.store.users.get(MEMBER)).subscribed == 0
    await bot.say(MEMBER, "/subscribe")
    assert (await bot.runtime.store.users.get(MEMBER)).subscribed == 1


async def test_an_officer_cannot_cancel_another_officers_broadcast(bot: BotHarness) -> None:
    await make_members(bot, 2)
    await schedule(bot, ADMIN, "Của quản trị viên")
    [listing] = await bot.say(OFFICER, "/broadcasts")
    assert "Chưa có thông báo" in listing.text  # officers see their own notices only
    await bot.press_data(OFFICER, listing, buttons(listing)[-1][1].rsplit(":", 1)[0] + ":bc:1", forge=True)
    assert (await bot.runtime.store.broadcasts.get(1)).status == "scheduled"
    assert bot.last_answer()


async def test_revoking_a_configured_officer_says_the_configuration_keeps_them(bot: BotHarness) -> None:
    await bot.say(OFFICER, "/start")
    await bot.say(ADMIN, f"/grant {OFFICER} officer Huế")
    [reply] = await bot.say(ADMIN, f"/revoke {OFFICER}")
    assert "cấu hình" in reply.text
    assert bot.state.commands_for(scope={"type": "chat", "chat_id": OFFICER})  # the menu stays true
    assert "Số liệu" in (await bot.say(OFFICER, "/stats"))[0].text
