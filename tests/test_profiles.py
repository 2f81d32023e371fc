"""The profile flow as rules, without Telegram: field checks, durable drafts, saving, joining."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.profiles import FIELDS, ProfileDraft, Profiles, Saved, parse_members, read_button, read_field
from advisor.storage import Store


@pytest.fixture
async def store(database: Path | str):
    opened = await Store.open(database)
    for user in (1, 2):
        await opened.users.touch(user, user, "vi")
    yield opened
    await opened.close()


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("25", 25),
        ("khoảng 30 thành viên", 30),
        ("1.200", 1200),
        ("0", None),
        ("hai mươi", None),
        ("3 hay 4", None),
        ("-5", None),
        ("12.5", None),
        ("1,000,000", None),
        ("1,200 người.", 1200),
    ],
)
def test_member_count_parsing(text: str, count: int | None) -> None:
    assert parse_members(text) == count


def test_profile_replies_are_checked_field_by_field() -> None:
    assert read_field("name", "  HTX   Rau sạch  ").value == "HTX Rau sạch"
    assert read_field("name", "/assess").problem == "bad_name"
    assert read_field("members", "khoảng 30 thành viên").value == 30
    assert read_field("members", "hai mươi").problem == "bad_members"
    mapped = read_field("province", "tien giang")
    assert (mapped.value, mapped.old_province) == ("Đồng Tháp", "Tiền Giang")
    assert read_field("sector", "nông nghiệp").problem == "choose_from_buttons"
    assert read_button("sector", "agriculture") == "agriculture"
    assert read_button("sector", "gold") is None and read_button("province", "99") is None


async def test_profile_flow_survives_a_restart_and_edits_only_the_own_coop(store: Store) -> None:
    profiles = Profiles(store)
    await profiles.begin(1)
    for value in ("HTX A", "Huế", "agriculture"):
        draft = await Profiles(store).draft(1)  # read back each time, as after a restart
        step = await profiles.give(1, draft, value)
        assert isinstance(step, ProfileDraft)
    saved = await profiles.give(1, await profiles.draft(1), 12)
    assert isinstance(saved, Saved) and saved.created and saved.coop.members == 12
    assert await profiles.draft(1) is None  # the flow ended
    edit = await profiles.begin(1, ("members",))
    again = await profiles.give(1, edit, 15)
    assert not again.created and again.coop.id == saved.coop.id and again.coop.members == 15
    assert await profiles.join(2, "../../etc") is None
    assert (await profiles.join(2, saved.coop.invite_code)).id == saved.coop.id
    assert FIELDS[0] == "name"


def test_names_that_hide_or_reverse_text_are_refused() -> None:
    assert read_field("name", "\u200b\u200b\u2060").problem == "bad_name"
    assert read_field("name", "HTX \u202eanéh").problem == "bad_name"
    assert read_field("name", "HTX Rau\u200bsạch").value == "HTX Rau\u200bsạch"
    assert read_field("name", "😀").problem == "bad_name"
