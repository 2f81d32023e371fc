"""Callback data: a short ASCII scheme, always within Telegram's 64 bytes.

`"<version>:<action>:<arg>:<arg>"`, where `version` is four characters of the knowledge
base's content hash. A button pressed after a reload or restart with different knowledge
carries an old version, so the bot can say "the menu has been updated" instead of acting on
ids that may now mean something else. We never use PTB's `arbitrary_callback_data`: its
cache is lost on restart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from advisor.actions import VERSIONLESS, Action

MAX_BYTES = 64
VERSION_CHARS = 4
_SAFE = re.compile(r"^[A-Za-z0-9_.\-]*$")
_ACTIONS = frozenset(a.value for a in Action)


class CallbackError(ValueError):
    """Callback data that this bot did not make (forged, truncated or from another bot)."""


@dataclass(frozen=True)
class Callback:
    version: str
    action: Action
    args: tuple[str, ...]

    def stale(self, knowledge_version: str) -> bool:
        """Made for other knowledge (before a reload or restart): its ids may mean something else."""
        return self.version != knowledge_version[:VERSION_CHARS] and self.action not in VERSIONLESS


def encode(version: str, action: tuple[str, ...]) -> str:
    """Encode `(Action, *args)`; raises ValueError if it could not be decoded back safely."""
    if not action or action[0] not in _ACTIONS or not all(_SAFE.match(str(part)) for part in action):
        raise ValueError(f"callback must be an Action and ASCII words: {action!r}")
    data = ":".join((version[:VERSION_CHARS], *action))
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def decode(data: str | None) -> Callback:
    """Parse callback data; anything malformed raises CallbackError."""
    if not data or len(data.encode()) > MAX_BYTES:
        raise CallbackError("empty or oversized callback data")
    parts = data.split(":")
    if len(parts) < 2 or len(parts[0]) != VERSION_CHARS or not all(_SAFE.match(p) and p for p in parts):
        raise CallbackError(f"malformed callback data {data!r}")
    if parts[1] not in _ACTIONS:
        raise CallbackError(f"unknown action in {data!r}")
    return Callback(parts[0], Action(parts[1]), tuple(parts[2:]))


def readable(data: object) -> Callback | None:
    """The decoded callback, or None for anything this bot did not make."""
    try:
        return decode(data) if isinstance(data, str) else None
    except CallbackError:
        return None
