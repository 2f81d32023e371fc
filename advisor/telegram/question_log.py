"""Every question a member asks goes into the log the curators read (`/gaps`), whatever
happens to it: answered, suggested, declined or skipped in a flood."""

from __future__ import annotations

from advisor.folding import display
from advisor.telegram.context import AdvisorContext

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
