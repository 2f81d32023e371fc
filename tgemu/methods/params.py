"""Bot API parameters arrive as form strings (objects JSON-encoded) or as JSON values."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tgemu.errors import bad_request


class Params:
    """Typed reads of one request's parameters, with Telegram's 400 for malformed values."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.raw.get(name)
        if value is None:
            return default
        return value if isinstance(value, str) else str(value)

    def _converted(self, name: str, default: Any, convert: Callable[[Any], Any]) -> Any:
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        try:
            return convert(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def integer(self, name: str, default: int | None = None) -> int | None:
        return self._converted(name, default, int)

    def number(self, name: str, default: float = 0.0) -> float:
        return self._converted(name, default, float)

    def flag(self, name: str) -> bool:
        value = self.raw.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def obj(self, name: str, default: Any = None) -> Any:
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value

    def chat_id(self) -> int | str:
        value = self.raw.get("chat_id")
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        if isinstance(value, str) and value.startswith("@"):
            return value
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
