"""The sender's side in Telegram: sending one notice, and showing the officer its progress.

`advisor.broadcast.Sender` paces and records deliveries without knowing Telegram; it is given
`telegram_sender(app)` to send and `progress_reporter(app)` to report.
"""

from __future__ import annotations

import datetime as dt

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application

from advisor import officer_views
from advisor.broadcast import Outcome
from advisor.records import Broadcast
from advisor.telegram.ratelimit import NO_RETRY


def telegram_sender(app: Application):
    """send(chat_id, html) for the core sender: Telegram's answers turned into Outcomes."""

    async def send(chat_id: int, html: str) -> Outcome:
        try:
            message = await app.bot.send_message(
                chat_id,
                html,
                rate_limit_args=NO_RETRY,
            )
        except RetryAfter as exc:
            retry = exc.retry_after
            return Outcome(
                "retry", retry_after=retry.total_seconds() if isinstance(retry, dt.timedelta) else retry
            )
        except Forbidden as exc:
            return Outcome("blocked", error=str(exc))
        except BadRequest as exc:  # a subclass of NetworkError, but Telegram did answer
            return Outcome("failed", error=str(exc))
        except (TimedOut, NetworkError) as exc:  # the request may have reached Telegram
            return Outcome("unknown", error=str(exc))
        except TelegramError as exc:
            return Outcome("failed", error=str(exc))
        return Outcome("sent", message_id=message.message_id)

    return send


def progress_reporter(app: Application):
    """Edit the officer's progress message as the broadcast goes, ending with the report."""

    async def report(broadcast: Broadcast, counts: dict[str, int], finished: bool) -> None:
        rt = app.bot_data["runtime"]
        author = await rt.require_store().users.get(broadcast.author_id)
        lang = author.language if author else "vi"
        text = officer_views.progress_text(rt.kb, broadcast, counts, lang, rt.settings.broadcast_rate)
        try:
            if broadcast.progress_message_id:
                await app.bot.edit_message_text(text, broadcast.author_chat, broadcast.progress_message_id)
            elif finished:
                await app.bot.send_message(broadcast.author_chat, text)
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                raise

    return report
