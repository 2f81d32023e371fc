"""Where a person stands on the privacy notice, for every handler that stores something.

Their latest decision is read once per run into `user_data[CONSENT]` (by `track_user`) and
kept there as they decide; only with consent to the current notice does anything stored
name them (`linked_id`).
"""

from __future__ import annotations

from advisor import privacy
from advisor.privacy import Status
from advisor.telegram.context import AdvisorContext

CONSENT = "consent"
"""user_data: the person's latest decision (a `Consent`), or None when they never decided."""


def status_of(context: AdvisorContext) -> Status:
    latest = context.user_data.get(CONSENT) if context.user_data is not None else None
    return privacy.status(latest, privacy.notice_of(context.kb))


def linked_id(context: AdvisorContext, user_id: int | None) -> int | None:
    """The id to store with what this person does: theirs only with consent, else None."""
    return user_id if user_id is not None and status_of(context) == Status.GRANTED else None


async def load_consent(context: AdvisorContext, user_id: int) -> None:
    """For `track_user`: the person's latest decision, read once per run."""
    if context.user_data is not None and CONSENT not in context.user_data:
        context.user_data[CONSENT] = await context.store.consents.latest(user_id)
