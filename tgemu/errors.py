"""A Bot API error as Telegram sends it: every rule and method raises one of these."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Bot API error response: HTTP code, Telegram's description, optional retry_after."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def to_response(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(message: str) -> ApiError:
    return ApiError(400, f"Bad Request: {message}")


def forbidden(message: str) -> ApiError:
    return ApiError(403, f"Forbidden: {message}")
