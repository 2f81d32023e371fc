"""The deployment files agree with the code: compose.yaml runs bot.py with options it has,
the settings it passes are ones the bot reads, and the proxy checks the health path the
webhook server serves. (The files themselves run where Docker is; CI has none.)"""

from __future__ import annotations

import re

import yaml

from advisor.config import load_settings
from advisor.telegram import webhook
from advisor.telegram.main import parse_args
from tests.conftest import ROOT


def _compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def test_two_bot_instances_run_bot_py_in_webhook_mode_on_postgresql() -> None:
    services = _compose()["services"]
    bots = [name for name, service in services.items() if "bot.py" in " ".join(service.get("command", []))]
    assert len(bots) == 2 and {"db", "proxy"} <= services.keys()
    for name in bots:
        command = services[name]["command"][-1]
        flags = re.sub(r'"\$\$\w+"', "x", command.split("bot.py", 1)[1]).split()
        args = parse_args(flags)
        assert args.webhook_url and args.secret_token and args.port == 8443
        environment = services[name]["environment"]
        assert environment["ADVISOR_DB"].startswith("postgresql://")


def test_every_advisor_setting_in_compose_is_one_the_bot_reads() -> None:
    read = set(re.findall(r'"((?:ADVISOR|TELEGRAM)_[A-Z_]+)"', (ROOT / "advisor" / "config.py").read_text()))
    for service in _compose()["services"].values():
        for name in service.get("environment", {}):
            if name.startswith(("ADVISOR_", "TELEGRAM_")):
                assert name in read, name
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    values = dict(line.split("=", 1) for line in example.splitlines() if line and not line.startswith("#"))
    values["ADVISOR_DB"] = "postgresql://advisor:x@db/advisor"
    load_settings(values)  # the example itself is a valid configuration


def test_the_proxy_checks_the_health_path_the_bot_serves() -> None:
    caddy = (ROOT / "deploy" / "Caddyfile").read_text(encoding="utf-8")
    paths = {route[0] for route in webhook.ROUTES}
    assert "health_uri /health" in caddy and r"/health" in paths and r"/telegram" in paths
    assert "handle /telegram" in caddy
