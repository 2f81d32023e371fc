"""A member's question answered, and every question logged for the curators (`/gaps`),
whatever happens to it: answered, suggested, declined or skipped in a flood (linked to the
person only with their consent)."""

from __future__ import annotations

from telegram import Update

from advisor import views
from advisor.folding import display
from advisor.telegram import consent
from advisor.telegram.context import AdvisorContext
from advisor.telegram.replies import OUTCOME, send_view

MAX_LOGGED_QUESTION = 2000


def log_question(
    context: AdvisorContext,
    user_id: int | None,
    text: str,
    normalised: str,
    kind: str,
    entry_id: str | None = None,
    score: float = 0.0,
) -> None:
    """Log a question behind the reply (`WriteQueue`): a busy database never delays the answer
    and the row lands once it recovers."""
    store, version = context.store, context.kb.version
    row = (
        user_id,
        display(text)[:MAX_LOGGED_QUESTION],
        normalised[:MAX_LOGGED_QUESTION],
        kind,
        entry_id,
        score,
    )
    context.runtime.writes.submit("question log", lambda: store.questions.log(*row, version))


async def answer(update: Update, context: AdvisorContext, text: str) -> None:
    """A member's question: answer, suggest or decline, and log it."""
    bot_name = context.bot.username
    if bot_name:
        text = text.replace(f"@{bot_name}", " ")
    rt = context.runtime
    advisor = rt.advisor  # one consistent knowledge base for this whole update
    decision = advisor.decide(text)
    OUTCOME.set(f"{decision.kind}:{decision.entry_id or '-'}:{decision.score:.0f}")
    user = update.effective_user
    log_question(
        context,
        consent.linked_id(context, user.id if user else None),
        text,
        decision.normalised,
        decision.kind,
        decision.entry_id,
        decision.score,
    )
    if decision.kind != "answer" and context.user_data is not None:
        context.user_data["asked"] = text  # what "📨 Gửi câu hỏi cho cán bộ" would send
    await send_view(update, context, views.decision_view(advisor.kb, decision, context.lang))
