"""An officer's notice before it is sent: text, audience, time, who may stop it."""

from __future__ import annotations

import datetime as dt

from advisor.broadcast_draft import Draft, may_cancel, parse_time
from advisor.config import Settings
from advisor.records import Broadcast
from advisor.roles import access


def test_schedule_time_parsing() -> None:
    now = dt.datetime(2026, 11, 22, 1, 0, tzinfo=dt.UTC)  # 08:00 in Vietnam
    assert parse_time("25/12/2026 08:00", now) == dt.datetime(2026, 12, 25, 1, 0, tzinfo=dt.UTC)
    assert parse_time("22/11/2026 07:00", now) is None  # past
    assert parse_time("31/02/2026 08:00", now) is None
    assert parse_time("1/6/2027 08:00", now) is None  # beyond 60 days
    assert parse_time("mai nhé", now) is None


def test_broadcast_draft_rules_without_telegram() -> None:
    draft = Draft()
    assert draft.write("   ") == [] and not draft.written
    assert draft.write("Họp <b>thành viên</b>") is not None  # raw HTML is not the notice syntax
    assert draft.write("**Họp thành viên** lúc 8 giờ") is None and draft.step == "audience"
    assert draft.toggle("sector", "agriculture", None) and draft.sectors == ["agriculture"]
    assert draft.toggle("sector", "agriculture", None) and draft.sectors == []
    assert not draft.toggle("sector", "gold", None)  # forged button data
    assert not draft.toggle("province", "0", "Huế")  # an officer of one province cannot widen it
    assert draft.toggle("province", "0", None) and len(draft.provinces) == 1
    assert draft.audience("Huế").province_scope == "Huế"
    again = Draft.from_state(draft.state())
    assert again == draft  # what the flow table stores is the whole draft
    now = dt.datetime(2026, 11, 22, 1, 0, tzinfo=dt.UTC)
    assert again.schedule("25/12/2026 08:00", now) and again.send_at == "2026-12-25T01:00:00+00:00"
    stamp = "2026-11-22T01:00:00+00:00"
    notice = Broadcast(7, 42, 42, "x", "x", "{}", "sending", stamp, stamp)
    assert may_cancel(access(1, Settings(admins=frozenset({1})), None), 1, notice)
    assert may_cancel(access(42, Settings(officers=frozenset({42})), None), 42, notice)
    assert not may_cancel(access(43, Settings(officers=frozenset({43})), None), 43, notice)


def test_officer_views_without_telegram(real_kb) -> None:
    """What an officer sees is data: the audience marks the choices, the preview offers
    scheduling only before a time is typed, a bound officer gets no province picker."""
    from advisor.officer_views import audience_view, preview_view

    draft = Draft(step="audience", text="x", html="x", sectors=["trade"], levels=[2])
    view = audience_view(real_kb, draft, 12, None, "vi")
    labels = [button.label for row in view.buttons for button in row]
    assert "12" in view.paragraphs[0] and sum(label.startswith("✅") for label in labels) == 2
    bound = audience_view(real_kb, draft, 3, "Huế", "vi")
    assert len(bound.buttons) == len(view.buttons) - 1 and "Huế" in bound.paragraphs[0]
    actions = [b.action[0] for row in preview_view(real_kb, 3, None, "vi").buttons for b in row]
    assert "bt" in actions
    actions = [
        b.action[0] for row in preview_view(real_kb, 3, "25/12/2026 08:00", "vi", False).buttons for b in row
    ]
    assert "bt" not in actions and "bk" in actions
