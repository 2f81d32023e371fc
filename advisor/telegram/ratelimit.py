"""PTB's rate limiter with a way for the broadcast sender to opt out of automatic retries."""

from __future__ import annotations

from typing import Any

from telegram.ext import AIORateLimiter

NO_RETRY = "no-retry"
"""Pass as `rate_limit_args`: send once and raise RetryAfter on a 429 (PTB ignores a 0)."""


class RateLimiter(AIORateLimiter):
    """Group throttling and up to `max_retries` retries after a 429 for ordinary replies.

    The bot builds it with no overall cap: replies answer users who just wrote (Telegram's
    ~30/s figure is for bulk notices, which the broadcast sender paces itself), so a busy
    hour is not queued behind an artificial 30 replies/s.

    The broadcast sender paces itself below Telegram's ~30 messages/s and must see every
    429 to put the row back and count it, so its sends carry `NO_RETRY`.
    """

    async def process_request(
        self,
        callback: Any,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Any,
    ) -> Any:
        if rate_limit_args == NO_RETRY:
            return await callback(*args, **kwargs)
        return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
