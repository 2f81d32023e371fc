from pathlib import Path

import pytest

from advisor.config import ConfigError, load_settings


def test_defaults_follow_the_design() -> None:
    s = load_settings({}, env_file=None)
    assert s.token is None
    assert s.base_url == "https://api.telegram.org/bot"
    assert s.db_path == Path("data/advisor.db") and s.knowledge_dir == Path("knowledge")
    assert s.admins == frozenset() and s.officers == frozenset()


def test_values_are_parsed() -> None:
    s = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": " 1:abc ",
            "TELEGRAM_API_URL": "http://127.0.0.1:8081/",
            "ADVISOR_ADMINS": "1, 2,,3",
            "ADVISOR_OFFICERS": "42",
        },
        env_file=None,
    )
    assert s.token == "1:abc" and s.base_url == "http://127.0.0.1:8081/bot"
    assert s.admins == {1, 2, 3} and s.officers == {42}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ADVISOR_ADMINS": "12,abc"}, "ADVISOR_ADMINS: 'abc' is not a Telegram user id"),
        ({"TELEGRAM_API_URL": "ftp://x"}, "TELEGRAM_API_URL: 'ftp://x' must start with http:// or https://"),
        ({"ADVISOR_BROADCAST_RATE": "0"}, "ADVISOR_BROADCAST_RATE: must be greater than 0"),
    ],
)
def test_malformed_values_are_clear_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        load_settings(env, env_file=None)


def test_env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("ADVISOR_DB=from_file.db\nADVISOR_ADMINS=5\n", encoding="utf-8")
    s = load_settings({"ADVISOR_ADMINS": "6"}, env_file=env_file)
    assert s.db_path == Path("from_file.db") and s.admins == {6}


def test_settings_are_frozen() -> None:
    s = load_settings({}, env_file=None)
    with pytest.raises(AttributeError):
        s.token = "x"  # type: ignore[misc]
