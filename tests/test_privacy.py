"""The rules of personal data: consent status, the notice's placeholders and checks, the
retention period, and what /mydata summarises."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from advisor import privacy
from advisor.config import ConfigError, Settings, load_settings
from advisor.kb import load_knowledge
from advisor.privacy import Status
from advisor.records import Consent
from tests.conftest import KNOWLEDGE, make_kb


def notice():
    kb = load_knowledge(KNOWLEDGE).kb
    assert kb is not None and kb.privacy is not None
    return kb.privacy


@pytest.mark.parametrize(
    ("latest", "expected"),
    [
        (None, Status.UNKNOWN),
        (("granted", "current"), Status.GRANTED),
        (("granted", "older"), Status.OUTDATED),
        (("refused", "current"), Status.REFUSED),
        (("withdrawn", "older"), Status.WITHDRAWN),
    ],
)
def test_status_needs_consent_to_this_very_notice(latest, expected) -> None:
    current = notice()
    consent = None
    if latest:
        decision, version = latest
        consent = Consent(1, current.version if version == "current" else "0", decision, "t")
    assert privacy.status(consent, current) == expected


def test_only_undecided_people_are_asked_unprompted() -> None:
    assert [s for s in Status if privacy.should_ask(s)] == [Status.UNKNOWN, Status.OUTDATED]


def test_notice_values_name_the_operator_or_say_it_is_not_configured() -> None:
    values = privacy.notice_values(Settings(), "đơn vị vận hành")
    assert values == {
        "operator": "đơn vị vận hành",
        "contact": "đơn vị vận hành",
        "months": "12",
        "days": "90",
    }
    named = privacy.notice_values(
        Settings(operator_name="LM HTX", operator_contact="a@b.vn", retention_months=6), "-"
    )
    assert (named["operator"], named["contact"], named["months"]) == ("LM HTX", "a@b.vn", "6")


def test_settings_read_the_privacy_variables() -> None:
    settings = load_settings(
        {
            "ADVISOR_OPERATOR_NAME": " LM HTX ",
            "ADVISOR_RETENTION_MONTHS": "6",
            "ADVISOR_DELIVERY_RETENTION_DAYS": "30",
        },
        env_file=None,
    )
    assert (settings.operator_name, settings.retention_months, settings.delivery_retention_days) == (
        "LM HTX",
        6,
        30,
    )
    for bad in ("0", "twelve", "1.5"):
        with pytest.raises(ConfigError, match="ADVISOR_RETENTION_MONTHS"):
            load_settings({"ADVISOR_RETENTION_MONTHS": bad}, env_file=None)


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (dt.datetime(2026, 12, 1), 12, dt.datetime(2025, 12, 1)),
        (dt.datetime(2026, 3, 31), 1, dt.datetime(2026, 2, 28)),
        (dt.datetime(2026, 1, 15), 1, dt.datetime(2025, 12, 15)),
        (dt.datetime(2028, 3, 30), 1, dt.datetime(2028, 2, 29)),
    ],
)
def test_months_before_counts_calendar_months(moment, months, expected) -> None:
    assert privacy.months_before(moment, months) == expected


def test_the_document_and_its_summary() -> None:
    data = {
        "user": {"id": 5, "username": "hoa"},
        "cooperative": {"name": "HTX Tân Phú"},
        "consents": [{"decision": "granted", "version": "v1", "at": "t"}],
        "questions": [{"text": "lệ phí"}],
        "answers": [],
    }
    document = json.loads(privacy.data_document(data, notice(), dt.datetime(2026, 12, 1)))
    assert document["user"]["username"] == "hoa" and document["notice_version"] == notice().version
    summary = privacy.data_summary(data)
    assert (summary["coop"], summary["questions"], summary["consent"]) == ("HTX Tân Phú", "1", "granted v1")
    assert privacy.holds_data(data) and not privacy.holds_data({"user": None, "questions": []})
    assert {"register", "assess", "ask", "subscribe"} <= privacy.CONSENT_FEATURES


def problems(root: Path) -> list[str]:
    return [str(p) for p in load_knowledge(root, today=dt.date(2026, 12, 1)).problems]


def test_the_validator_checks_the_notice(tmp_path: Path) -> None:
    text = (KNOWLEDGE / "privacy.yaml").read_text(encoding="utf-8")
    broken = text.replace('version: "2026-12-01"', 'version: "1:2"').replace(
        "**{operator}**", "**{operater}**", 1
    )
    root = make_kb(tmp_path / "kb", extra={"privacy.yaml": broken})
    found = problems(root)
    assert any("'version' must be 1-16 letters" in p for p in found)
    assert any("unknown placeholder(s) ['operater']" in p for p in found)
    no_english = text.split("  en: |", 1)[0]
    root = make_kb(tmp_path / "kb2", extra={"privacy.yaml": no_english})
    assert any("privacy 'summary' is missing required field 'en'" in p for p in problems(root))
    (root / "privacy.yaml").unlink()
    assert any(p.endswith("privacy.yaml:0: required file is missing") for p in problems(root))
