"""A Telegram Bot API emulator for tests and the sandbox: one state, two transports.

`BotApiState` holds chats, messages and updates and enforces Telegram's rules (`rules`);
`FakeRequest` plugs it into PTB in-process and `server` serves it over HTTP on 127.0.0.1.
The bot itself never imports this package.
"""

from advisor.botapi.fake_request import FakeRequest, application_builder, make_bot
from advisor.botapi.rules import ApiError, Rate, RateLimiter, parse_html
from advisor.botapi.state import BotApiState, SentMessage

__all__ = [
    "ApiError",
    "BotApiState",
    "FakeRequest",
    "Rate",
    "RateLimiter",
    "SentMessage",
    "application_builder",
    "make_bot",
    "parse_html",
]
