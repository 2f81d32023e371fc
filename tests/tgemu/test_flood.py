"""Telegram's flood limits: sliding windows per chat, overall and for groups."""

from __future__ import annotations

import pytest

from tgemu import flood
from tgemu.errors import ApiError
from tgemu.flood import Rate, RateLimiter


def rejects(func, *args, **kwargs) -> ApiError:
    with pytest.raises(ApiError) as info:
        func(*args, **kwargs)
    return info.value


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limits_are_off_by_default():
    limiter = RateLimiter(clock=Clock())
    for _ in range(1000):
        limiter.acquire(42)


def test_per_chat_rate_with_burst():
    clock = Clock()
    limiter = RateLimiter(per_chat_rate=Rate(3, 3.0), clock=clock)
    for _ in range(3):
        limiter.acquire(42)
    error = rejects(limiter.acquire, 42)
    assert (error.code, error.retry_after, error.description) == (429, 3, "Too Many Requests: retry after 3")
    assert error.to_response()["parameters"] == {"retry_after": 3}
    limiter.acquire(43)  # other chats are not affected
    clock.now += 2.2
    assert rejects(limiter.acquire, 42).retry_after == 1  # 0.8 s rounds up to at least 1
    clock.now += 0.8
    limiter.acquire(42)


def test_rejected_messages_do_not_count():
    clock = Clock()
    limiter = RateLimiter(per_chat_rate=1, clock=clock)
    limiter.acquire(1)
    for _ in range(5):
        rejects(limiter.acquire, 1)
    clock.now += 1
    limiter.acquire(1)


def test_global_rate_spans_chats():
    clock = Clock()
    limiter = RateLimiter(global_rate=2, clock=clock)
    limiter.acquire(1)
    limiter.acquire(2)
    assert rejects(limiter.acquire, 3).retry_after == 1
    clock.now += 1
    limiter.acquire(3)


def test_group_rate_applies_to_groups_only():
    clock = Clock()
    limiter = RateLimiter(group_rate=Rate(20, 60), clock=clock)
    for _ in range(20):
        limiter.acquire(-100123)
    assert rejects(limiter.acquire, -100123).retry_after == 60
    for _ in range(30):
        limiter.acquire(42)
    clock.now += 30
    assert rejects(limiter.acquire, -100123).retry_after == 30


def test_rate_shorthands():
    assert flood.as_rate(30) == Rate(30, 1.0)
    assert flood.as_rate(0.5) == Rate(1, 2.0)
    assert flood.as_rate(None) is None
    with pytest.raises(ValueError):
        Rate(0)
