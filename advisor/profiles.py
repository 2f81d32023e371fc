"""A cooperative's profile: asking its fields one by one, checking each reply, saving it.

The flow's state lives in the user's flow (`store.flows`, kind `PROFILE_FLOW`) as a plain
dict, so a restart or another instance continues it. Nothing here knows Telegram: the
adapter passes the typed text or the picked button value and shows what comes back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from advisor import provinces
from advisor.folding import fold
from advisor.kb.models import SECTORS
from advisor.records import Coop
from advisor.storage import Store

PROFILE_FLOW = "profile"
FIELDS = ("name", "province", "sector", "members")
"""Asked in this order when registering; editing asks one of them."""
MAX_NAME = 200
MAX_MEMBERS = 100_000
"""Far above the largest cooperatives (a few thousand members): more is a typing slip."""
INVITE_CODE = re.compile(r"[\w-]{1,32}")


def parse_members(text: str) -> int | None:
    """ "25", "khoảng 30 thành viên", "1.200" -> a positive count; anything else -> None.

    A dot or comma only groups thousands ("1.200", "1,200"): "12.5" is not a count of people,
    and "-5" is not a count at all."""
    numbers = re.findall(r"[\-−]?\d[\d.,]*", text)
    if len(numbers) != 1 or numbers[0][0] in "-−":
        return None
    number = numbers[0].rstrip(".,")
    if not re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+|\d+", number):
        return None
    value = int(re.sub(r"[.,]", "", number))
    return value if 0 < value <= MAX_MEMBERS else None


@dataclass(frozen=True)
class Reply:
    """A typed reply judged for one field: the value to keep, or why it is refused (a ui key)."""

    value: str | int | None = None
    problem: str | None = None
    old_province: str | None = None
    """The pre-2025 province name the member typed, when it was mapped to today's province."""


DIRECTION_OVERRIDES = re.compile("[\u202a-\u202e\u2066-\u2069]")
"""Make a name read backwards in every list it appears in: refused."""
INVISIBLE = re.compile("[\u200b-\u200f\u2060-\u2064\u061c\ufeff\u00ad]")
"""Zero-width characters: a name made only of them looks empty: refused."""


def _acceptable_name(text: str) -> bool:
    """A name people can read and say: some letters, nothing hidden or reversed."""
    if not 1 <= len(text) <= MAX_NAME or text.startswith("/") or DIRECTION_OVERRIDES.search(text):
        return False
    return any(ch.isalpha() for ch in INVISIBLE.sub("", text))


def read_field(name: str, text: str) -> Reply:
    """Check a typed reply for the field being asked."""
    text = " ".join(text.split())
    if name == "name":
        return Reply(text) if _acceptable_name(text) else Reply(problem="bad_name")
    if name == "members":
        members = parse_members(text)
        return Reply(members) if members is not None else Reply(problem="bad_members")
    if name == "province":
        found = provinces.match(text)
        if found is None:
            return Reply(problem="bad_province")
        return Reply(found.province, old_province=found.old_name)
    return Reply(problem="choose_from_buttons")  # the sector is picked from buttons


QUESTION_MARKERS = (
    "bao nhieu",
    "nhu the nao",
    "the nao",
    "la gi",
    "o dau",
    "tai sao",
    "vi sao",
    "lam sao",
    "co phai",
    "duoc khong",
    "co duoc",
    "khi nao",
    "bao gio",
    "thu tuc",
    "cho hoi",
    "xin hoi",
    "hoi ve",
    "can gi",
)
"""Folded phrases that make a reply read as a question, not as a cooperative's name."""


def looks_like_question(text: str) -> bool:
    """A reply to "what is the cooperative's name?" that reads like a question instead (members
    type their question wherever they are): confirmed before it is stored as a name."""
    words = f" {fold(text)} "
    return text.rstrip().endswith("?") or any(f" {marker} " in words for marker in QUESTION_MARKERS)


def read_button(name: str, value: str) -> str | None:
    """A picked button's value for the field being asked; None for forged or stale data."""
    if name == "sector" and value in SECTORS:
        return value
    if name == "province" and value.isdigit() and int(value) < len(provinces.PROVINCES):
        return provinces.PROVINCES[int(value)]
    return None


@dataclass
class ProfileDraft:
    steps: list[str]
    data: dict[str, str | int] = field(default_factory=dict)
    then: str = ""
    """What to open once saved ("assess": the member came from /assess without a profile)."""
    pending: str = ""
    """A name that reads like a question, waiting for the member to say which it is."""

    @classmethod
    def from_state(cls, state: dict) -> ProfileDraft:
        return cls(
            list(state["steps"]), dict(state.get("data", {})), state.get("then", ""), state.get("pending", "")
        )

    def state(self) -> dict:
        return {"steps": self.steps, "data": self.data, "then": self.then, "pending": self.pending}

    @property
    def asking(self) -> str:
        return self.steps[0]


@dataclass(frozen=True)
class Saved:
    coop: Coop
    created: bool


class Profiles:
    """Profile drafts and saving; one per process, over the store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def draft(self, user_id: int) -> ProfileDraft | None:
        flow = await self.store.flows.get(user_id)
        return ProfileDraft.from_state(flow[1]) if flow and flow[0] == PROFILE_FLOW else None

    async def begin(self, user_id: int, steps: tuple[str, ...] = FIELDS, then: str = "") -> ProfileDraft:
        draft = ProfileDraft(list(steps), {}, then)
        await self.store.flows.set(user_id, PROFILE_FLOW, draft.state())
        return draft

    async def keep(self, user_id: int, draft: ProfileDraft) -> None:
        """Store the draft as it is (a pending name to confirm)."""
        await self.store.flows.set(user_id, PROFILE_FLOW, draft.state())

    async def give(self, user_id: int, draft: ProfileDraft, value: str | int) -> ProfileDraft | Saved:
        """Keep the value of the field asked; the draft asking the next field, or the saved
        profile when every field is known (a new cooperative, or an edit of the user's own)."""
        name, *rest = draft.steps
        draft.data[name] = value
        draft.pending = ""
        if rest:
            draft.steps = rest
            await self.store.flows.set(user_id, PROFILE_FLOW, draft.state())
            return draft
        await self.store.flows.end(user_id)
        coop = await self.store.coops.of_user(user_id)
        if coop is None:
            data = draft.data
            coop = await self.store.coops.create(
                user_id, data["name"], data["province"], data["sector"], data["members"]
            )
            return Saved(coop, created=True)
        await self.store.coops.update(coop.id, **draft.data)
        return Saved(await self.store.coops.get(coop.id), created=False)

    async def join(self, user_id: int, code: str) -> Coop | None:
        """Link the user to the cooperative of an invite code; None for an unknown or malformed one."""
        return await self.store.coops.join(user_id, code) if INVITE_CODE.fullmatch(code) else None
