"""'Hỏi cán bộ': who receives a member's question, and who may take it.

A question goes to the officers granted for the member's province; when that province has
none (or the member gave none), to the officers bound to no province and the admins, so no
question is left without a reader. An officer sees and answers the questions of their own
province only; admins and province-less officers see all.
"""

from __future__ import annotations

from collections.abc import Iterable

from advisor.config import Settings
from advisor.records import Grant, Handoff
from advisor.roles import Access, Role

HANDOFF_FLOW = "handoff"
"""An officer typing the answer to a claimed question (flow state: {"id": handoff id})."""


def recipients(province: str | None, grants: Iterable[Grant], settings: Settings) -> list[int]:
    """The officers a new question is sent to."""
    grants = list(grants)
    local = {g.user_id for g in grants if g.role == "officer" and province and g.province == province}
    if local:
        return sorted(local)
    wide = {g.user_id for g in grants if (g.role == "officer" and g.province is None) or g.role == "admin"}
    return sorted(wide | settings.officers | settings.admins)


def may_handle(granted: Access, handoff: Handoff) -> bool:
    """Whether this officer may see, take and answer the question."""
    return granted.at_least(Role.OFFICER) and (granted.scope is None or granted.scope == handoff.province)
