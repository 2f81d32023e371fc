"""Settings read once from the environment (and an optional `.env` file) into one frozen object.

Every other module receives a `Settings`; nothing else reads `os.environ`, so a malformed
value is reported once, clearly, at start-up.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

DEFAULT_API_URL = "https://api.telegram.org"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class ConfigError(ValueError):
    """A setting has a value the program cannot use; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Everything configurable; the defaults are those of README.md's Configuration table."""

    token: str | None = None
    api_url: str = DEFAULT_API_URL
    db_path: Path = Path("data/advisor.db")
    """The SQLite file, used unless `db_url` is set."""
    db_url: str | None = None
    """A PostgreSQL URL from ADVISOR_DB (as text: it may hold a password, see `redact`)."""
    knowledge_dir: Path = Path("knowledge")
    admins: frozenset[int] = field(default_factory=frozenset)
    officers: frozenset[int] = field(default_factory=frozenset)
    broadcast_rate: float = 25.0
    broadcast_chat_interval: float = 1.0
    handoff_remind_hours: float = 48.0
    """A member's question unanswered this long reminds the province's officers."""
    handoff_escalate_hours: float = 120.0
    """... and this long goes to the admins too."""
    operator_name: str = ""
    """Who is responsible for the personal data (named in the privacy notice)."""
    operator_contact: str = ""
    """Where people send privacy requests (named in the privacy notice)."""
    retention_months: int = 12
    """Questions older than this lose the link to who asked them."""
    delivery_retention_days: int = 90
    """Delivery rows of broadcasts finished longer ago than this are deleted."""

    @property
    def database(self) -> str | Path:
        """What `Store.open` takes: the PostgreSQL URL if one was given, else the SQLite file."""
        return self.db_url or self.db_path

    @property
    def base_url(self) -> str:
        """PTB's base URL: requests go to `{api_url}/bot{token}/{method}`."""
        return f"{self.api_url.rstrip('/')}/bot"


def is_postgres_url(target: str | Path) -> bool:
    """`ADVISOR_DB` names a PostgreSQL server (a URL) rather than an SQLite file (a path)."""
    return isinstance(target, str) and target.startswith(POSTGRES_SCHEMES)


def redact(target: str | Path) -> str:
    """A database for messages and logs: a URL's password replaced by ***."""
    text = str(target)
    if not is_postgres_url(text):
        return text
    parts = urlsplit(text)
    if parts.password is None:
        return text
    user, _, host = parts.netloc.rpartition("@")
    return parts._replace(netloc=f"{user.partition(':')[0]}:***@{host}").geturl()


def _id_set(name: str, raw: str | None) -> frozenset[int]:
    ids: set[int] = set()
    for part in (raw or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            ids.add(int(part))
        except ValueError:
            raise ConfigError(
                f"{name}: {part!r} is not a Telegram user id (expected numbers separated by commas)"
            ) from None
    return frozenset(ids)


def _positive_float(name: str, raw: str | None, default: float) -> float:
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}: {raw!r} is not a number") from None
    if value <= 0:
        raise ConfigError(f"{name}: must be greater than 0, got {raw!r}")
    return value


def _positive_int(name: str, raw: str | None, default: int) -> int:
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}: {raw!r} is not a whole number") from None
    if value <= 0:
        raise ConfigError(f"{name}: must be greater than 0, got {raw!r}")
    return value


def _url(name: str, raw: str | None) -> str:
    if raw is None or not raw.strip():
        return DEFAULT_API_URL
    value = raw.strip().rstrip("/")
    if not value.startswith(("http://", "https://")):
        raise ConfigError(f"{name}: {raw!r} must start with http:// or https://")
    return value


def load_settings(environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")) -> Settings:
    """Read settings; real environment variables win over the `.env` file."""
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)

    token = (values.get("TELEGRAM_BOT_TOKEN") or "").strip() or None
    database = (values.get("ADVISOR_DB") or "").strip()
    return Settings(
        token=token,
        api_url=_url("TELEGRAM_API_URL", values.get("TELEGRAM_API_URL")),
        db_path=Path(database if database and not is_postgres_url(database) else "data/advisor.db"),
        db_url=database if is_postgres_url(database) else None,
        knowledge_dir=Path(values.get("ADVISOR_KNOWLEDGE") or "knowledge"),
        admins=_id_set("ADVISOR_ADMINS", values.get("ADVISOR_ADMINS")),
        officers=_id_set("ADVISOR_OFFICERS", values.get("ADVISOR_OFFICERS")),
        broadcast_rate=_positive_float("ADVISOR_BROADCAST_RATE", values.get("ADVISOR_BROADCAST_RATE"), 25.0),
        handoff_remind_hours=_positive_float(
            "ADVISOR_HANDOFF_REMIND_HOURS", values.get("ADVISOR_HANDOFF_REMIND_HOURS"), 48.0
        ),
        handoff_escalate_hours=_positive_float(
            "ADVISOR_HANDOFF_ESCALATE_HOURS", values.get("ADVISOR_HANDOFF_ESCALATE_HOURS"), 120.0
        ),
        broadcast_chat_interval=_positive_float(
            "ADVISOR_BROADCAST_CHAT_INTERVAL", values.get("ADVISOR_BROADCAST_CHAT_INTERVAL"), 1.0
        ),
        operator_name=(values.get("ADVISOR_OPERATOR_NAME") or "").strip(),
        operator_contact=(values.get("ADVISOR_OPERATOR_CONTACT") or "").strip(),
        retention_months=_positive_int(
            "ADVISOR_RETENTION_MONTHS", values.get("ADVISOR_RETENTION_MONTHS"), 12
        ),
        delivery_retention_days=_positive_int(
            "ADVISOR_DELIVERY_RETENTION_DAYS", values.get("ADVISOR_DELIVERY_RETENTION_DAYS"), 90
        ),
    )
