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

MAX_BYTES = 64
VERSION_CHARS = 4
_SAFE = re.compile(r"^[A-Za-z0-9_.\-]*$")


class CallbackError(ValueError):
    """Callback data that this bot did not make (forged, truncated or from another bot)."""


@dataclass(frozen=True)
class Callback:
    version: str
    action: str
    args: tuple[str, ...]


def encode(version: str, action: tuple[str, ...]) -> str:
    """Encode an action tuple; raises ValueError if it could not be decoded back safely."""
    if not action or not all(_SAFE.match(part) for part in action):
        raise ValueError(f"callback parts must be non-empty ASCII words: {action!r}")
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
    return Callback(parts[0], parts[1], tuple(parts[2:]))
