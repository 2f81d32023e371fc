"""`python -m advisor sandbox` and `python bot.py` as a person runs them: a real process that
prints the address, serves the page, and stops cleanly on Ctrl+C."""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from tests.sandbox.conftest import ROOT

URL = re.compile(r"http://127\.0\.0\.1:\d+")


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ADVISOR_"))}
    env.update(ADVISOR_KNOWLEDGE=str(ROOT / "knowledge"), PYTHONUNBUFFERED="1", **extra)
    return env


@contextlib.contextmanager
def start(args: list[str], cwd: Path, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """The process while the block runs; killed if the block fails before stopping it."""
    process = subprocess.Popen(
        [sys.executable, *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def read_until(process: subprocess.Popen[bytes], marker: str, timeout: float = 30.0) -> str:
    """stdout up to `marker` (fails with stderr if the process ends or is too slow)."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    selector = selectors.DefaultSelector()
    selector.register(fd, selectors.EVENT_READ)
    seen = b""
    deadline = time.monotonic() + timeout
    while marker.encode() not in seen:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not selector.select(remaining):
            process.kill()
            raise AssertionError(
                f"no {marker!r} in time; stdout: {seen!r}; stderr: {process.communicate()[1]!r}"
            )
        chunk = os.read(fd, 65536)
        if not chunk:
            code = process.wait()
            raise AssertionError(f"exited {code}; stdout: {seen!r}; stderr: {process.communicate()[1]!r}")
        seen += chunk
    return seen.decode("utf-8")


def stop_with_ctrl_c(process: subprocess.Popen[bytes]) -> tuple[int, str, str]:
    process.send_signal(signal.SIGINT)
    try:
        out, err = process.communicate(timeout=60)  # a guard against a hang, generous for a loaded machine
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return process.returncode, out.decode("utf-8"), err.decode("utf-8")


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
        return response.read().decode("utf-8")


def test_cli_sandbox_serves_the_page_and_stops_on_ctrl_c(tmp_path: Path):
    db = tmp_path / "s.db"
    with start(["-m", "advisor", "sandbox", "--port", "0", "--db", str(db)], ROOT, environment()) as process:
        out = read_until(process, "Ctrl+C to stop")
        url = URL.search(out).group()
        assert "Nhập tin nhắn…" in fetch(url + "/")
        assert '"Quản trị viên"' in fetch(url + "/sandbox/config")
        code, rest, err = stop_with_ctrl_c(process)
    assert code == 0, err
    assert "stopping the sandbox" in rest and "Traceback" not in err
    assert db.is_file()


def test_bot_py_without_a_token_explains_and_starts_the_sandbox(tmp_path: Path):
    with start([str(ROOT / "bot.py"), "--port", "0"], tmp_path, environment()) as process:
        assert URL.search(read_until(process, "Ctrl+C to stop"))
        code, _, err = stop_with_ctrl_c(process)
    assert code == 0, err
    assert "@BotFather" in err and "Starting the sandbox instead" in err
    assert (tmp_path / "data" / "sandbox.db").is_file()  # its own database, not data/advisor.db
    assert not (tmp_path / "data" / "advisor.db").exists()


def test_bot_py_sandbox_flag_ignores_a_real_token(tmp_path: Path):
    env = environment(TELEGRAM_BOT_TOKEN="123456789:AAreal-token-never-used")
    with start([str(ROOT / "bot.py"), "--sandbox", "--port", "0", "--db", "s.db"], tmp_path, env) as process:
        read_until(process, "Ctrl+C to stop")
        code, _, err = stop_with_ctrl_c(process)
    assert code == 0 and "@BotFather" not in err and "AAreal-token" not in err
    assert (tmp_path / "s.db").is_file()


def test_malformed_configuration_still_exits_2(tmp_path: Path):
    env = environment(ADVISOR_ADMINS="12,abc")
    result = subprocess.run(
        [sys.executable, str(ROOT / "bot.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "ADVISOR_ADMINS" in result.stderr


def test_a_busy_port_is_reported(tmp_path: Path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "advisor", "sandbox", "--port", str(port), "--db", str(tmp_path / "s.db")],
            cwd=ROOT,
            env=environment(),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1 and f"port {port}" in result.stderr and "--port" in result.stderr
