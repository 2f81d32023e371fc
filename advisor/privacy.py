"""Personal data the way Law 91/2025/QH15 and Decree 356/2025/NĐ-CP require: consent to a
versioned notice, what a person may see about themselves, erasure, and retention.

Channel-free: the Telegram adapter (`advisor.telegram.privacy`) asks these rules, and the
command line runs the same purge. A person's consent is valid only for the notice version
they agreed to; anything else (no decision yet, an older version, a refusal, a withdrawal)
means nothing new may be linked to them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from advisor.config import Settings
from advisor.kb.models import KnowledgeBase, PrivacyNotice
from advisor.records import Consent
from advisor.storage import Store


class Status(StrEnum):
    GRANTED = "granted"
    """Agreed to the current notice: the bot may link what it stores to them."""
    UNKNOWN = "unknown"
    """Never decided: asked at /start and at their next message."""
    OUTDATED = "outdated"
    """Agreed to an older notice: asked again."""
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


def status(latest: Consent | None, notice: PrivacyNotice) -> Status:
    """Where a person stands, from their latest decision and the current notice."""
    if latest is None:
        return Status.UNKNOWN
    if latest.decision == "granted":
        return Status.GRANTED if latest.version == notice.version else Status.OUTDATED
    return Status(latest.decision)


def should_ask(current: Status) -> bool:
    """Asked unprompted (on /start or their next message): people who have not decided on this
    notice. Someone who said no is only offered consent again when a feature needs it."""
    return current in (Status.UNKNOWN, Status.OUTDATED)


CONSENT_FEATURES = frozenset(
    {"register", "profile", "assess", "history", "ask", "myquestions", "subscribe", "unsubscribe"}
)
"""Commands that keep something about the person (a profile, answers, a subscription, a
question to officers): they need consent. Questions and browsing never do."""


def notice_values(settings: Settings, unnamed: str) -> dict[str, str]:
    """The placeholders of `privacy.yaml`; `unnamed` stands in for an operator not configured."""
    return {
        "operator": settings.operator_name or unnamed,
        "contact": settings.operator_contact or settings.operator_name or unnamed,
        "months": str(settings.retention_months),
        "days": str(settings.delivery_retention_days),
    }


# --- /mydata -----------------------------------------------------------------------------------


def data_document(data: dict[str, Any], notice: PrivacyNotice, at: dt.datetime) -> bytes:
    """Everything stored about a person as readable JSON (UTF-8, Vietnamese as is)."""
    document = {"exported_at": at.isoformat(timespec="seconds"), "notice_version": notice.version, **data}
    return json.dumps(document, ensure_ascii=False, indent=2, default=str).encode("utf-8")


def data_summary(data: dict[str, Any]) -> dict[str, str]:
    """Counts for the short Vietnamese summary sent with the document (ui.yaml `mydata_summary`)."""
    coop = data.get("cooperative")
    latest = data["consents"][-1] if data.get("consents") else None
    return {
        "coop": coop["name"] if coop else "-",
        "questions": str(len(data.get("questions", []))),
        "answers": str(len(data.get("answers", []))),
        "assessments": str(len(data.get("assessments", []))),
        "feedback": str(len(data.get("feedback", []))),
        "handoffs": str(len(data.get("questions_to_officers", []))),
        "notices": str(len(data.get("notices_received", []))),
        "consent": f"{latest['decision']} {latest['version']}" if latest else "-",
    }


def holds_data(data: dict[str, Any]) -> bool:
    """Whether anything at all is stored about the person."""
    return any(value for value in data.values())


# --- retention ---------------------------------------------------------------------------------


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same time `months` calendar months earlier (the 31st becomes the month's last day)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@dataclass(frozen=True)
class Purged:
    questions_unlinked: int
    deliveries_deleted: int


def _stamp(moment: dt.datetime) -> str:
    """The storage's time format (UTC ISO text), for comparing with stored times."""
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


async def purge(store: Store, settings: Settings, now: dt.datetime | None = None) -> Purged:
    """Retention: unlink questions older than `retention_months`, delete the delivery rows of
    broadcasts finished more than `delivery_retention_days` ago. Safe to run any time, twice."""
    now = now or dt.datetime.now(dt.UTC)
    questions = await store.personal.unlink_questions(_stamp(months_before(now, settings.retention_months)))
    deliveries = await store.personal.prune_deliveries(
        _stamp(now - dt.timedelta(days=settings.delivery_retention_days))
    )
    purged = Purged(questions, deliveries)
    if questions or deliveries:
        await store.audit.record(
            None, "retention", f"questions unlinked: {questions}, delivery rows deleted: {deliveries}"
        )
    return purged


def notice_of(kb: KnowledgeBase) -> PrivacyNotice:
    """The knowledge base's notice (the loader requires privacy.yaml)."""
    if kb.privacy is None:
        raise RuntimeError("the knowledge base has no privacy.yaml")
    return kb.privacy
