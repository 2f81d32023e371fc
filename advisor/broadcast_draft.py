"""An officer's notice before it is sent: its text, audience and time, and the rules on them.

The draft lives in the user's flow (`store.flows`, kind `BROADCAST_FLOW`) as a plain dict, so
a restart or another instance can continue it; `Draft` is its typed form. Nothing here knows
Telegram: the adapter decodes a button or a typed reply, calls a method, saves `state()`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from advisor import markup
from advisor.coop_views import VIETNAM
from advisor.kb.models import SECTORS
from advisor.provinces import PROVINCES
from advisor.records import Audience, Broadcast
from advisor.roles import Access, Role

BROADCAST_FLOW = "broadcast"
MAX_NOTICE = 3500
"""Visible characters of a notice: room under Telegram's 4,096 for the entities' markup."""
MAX_SCHEDULE_DAYS = 60

Step = str
"""Where the draft is: "text" (writing), "audience" (choosing), "time" (typing a time)."""


@dataclass
class Draft:
    step: Step = "text"
    text: str = ""
    html: str = ""
    provinces: list[str] = field(default_factory=list)
    sectors: list[str] = field(default_factory=list)
    levels: list[int] = field(default_factory=list)
    not_assessed: bool = False
    send_at: str | None = None
    """ISO time in UTC when scheduled; None sends at once."""

    @classmethod
    def from_state(cls, state: dict) -> Draft:
        known = {key: state[key] for key in cls.__dataclass_fields__ if key in state}
        return cls(**known)

    def state(self) -> dict:
        return {key: getattr(self, key) for key in self.__dataclass_fields__}

    @property
    def written(self) -> bool:
        return bool(self.html)

    def audience(self, scope: str | None) -> Audience:
        """Who receives it; an officer's own province (`scope`) always bounds it."""
        chosen = frozenset(self.provinces), frozenset(self.sectors), frozenset(self.levels)
        return Audience(*chosen, self.not_assessed, scope)

    def write(self, text: str) -> list[str] | None:
        """Take the notice's text; None when taken, else what is wrong (maybe nothing named:
        an empty text)."""
        text = text.strip()
        rendered = markup.render(text)
        problems = [error.message for error in rendered.errors]
        if markup.visible_length(markup.html_visible_text(rendered.html)) > MAX_NOTICE:
            problems.append(f"over {MAX_NOTICE} characters")
        if not text or problems:
            return problems
        self.step, self.text, self.html = "audience", text, rendered.html
        return None

    def toggle(self, what: str, value: str, scope: str | None) -> bool:
        """Switch one audience choice on or off: a sector, a level, "not assessed" or a
        province (by its number; officers bound to a province cannot choose others).
        Returns False for a value that is not a choice (forged or stale button data)."""
        if what == "sector" and value in SECTORS:
            _flip(self.sectors, value)
        elif what == "level" and value.isdigit():
            _flip(self.levels, int(value))
        elif what == "not_assessed":
            self.not_assessed = not self.not_assessed
        elif what == "province" and scope is None and value.isdigit() and int(value) < len(PROVINCES):
            _flip(self.provinces, PROVINCES[int(value)])
        else:
            return False
        return True

    def schedule(self, text: str, now: dt.datetime) -> dt.datetime | None:
        """Take a typed time ("25/12/2026 08:00", Vietnam time); None if it is not a valid one."""
        when = parse_time(text, now)
        if when is not None:
            self.step, self.send_at = "audience", when.astimezone(dt.UTC).isoformat(timespec="seconds")
        return when


def _flip(values: list, value: object) -> None:
    if value in values:
        values.remove(value)
    else:
        values.append(value)


def parse_time(text: str, now: dt.datetime) -> dt.datetime | None:
    """ "25/12/2026 08:00" (Vietnam time) -> an aware datetime in the next 60 days, or None."""
    match = re.fullmatch(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s+(\d{1,2})[:h](\d{2})\s*", text)
    if not match:
        return None
    day, month, year, hour, minute = (int(g) for g in match.groups())
    try:
        when = dt.datetime(year, month, day, hour, minute, tzinfo=VIETNAM)
    except ValueError:
        return None
    return when if now < when <= now + dt.timedelta(days=MAX_SCHEDULE_DAYS) else None


def format_time(stamp: str) -> str:
    """A stored UTC time as Vietnamese officers read it."""
    return dt.datetime.fromisoformat(stamp).astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")


def may_cancel(granted: Access, user_id: int, broadcast: Broadcast) -> bool:
    """An officer may stop their own notices; an admin anyone's."""
    return granted.role == Role.ADMIN or broadcast.author_id == user_id


def listed_author(granted: Access, user_id: int) -> int | None:
    """Whose notices /broadcasts lists: an admin sees all (None), an officer their own."""
    return None if granted.role == Role.ADMIN else user_id
