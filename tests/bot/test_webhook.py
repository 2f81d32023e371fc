"""Two `python bot.py` instances in webhook mode on one database, as behind a load balancer:
either answers any update, /health reports each instance and who runs the background jobs,
a request without the secret is refused, and an unparseable update is acknowledged. On both
backends (the `database` fixture)."""

from __future__ import annotations

import asyncio
import signal
import socket
from pathlib import Path

import httpx

from tests.bot.test_end_to_end import _start_bot
from tgemu.server import serve
from tgemu.state import BotApiState

SECRET = "s3cret-token"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _healthy(
    client: httpx.AsyncClient, port: int, process: asyncio.subprocess.Process, log: Path
) -> dict:
    for _ in range(600):
        if process.returncode is not None:
            break
        try:
            reply = await client.get(f"http://127.0.0.1:{port}/health")
            if reply.status_code == 200:
                return reply.json()
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"instance on port {port} never became healthy:\n{log.read_text()[-3000:]}")


async def test_two_webhook_instances_share_the_work(tmp_path: Path, database: Path | str) -> None:
    """On each backend: with PostgreSQL this is issue 17's two-instance test."""
    state = BotApiState()
    ports = [_free_port(), _free_port()]
    while ports[1] == ports[0]:
        ports[1] = _free_port()
    logs = [(tmp_path / f"bot-{n}.log").open("wb") for n in range(2)]
    async with serve(state) as url, httpx.AsyncClient(timeout=10) as client:
        processes = [
            await _start_bot(
                tmp_path,
                state,
                url,
                log.fileno(),
                settings={"ADVISOR_DB": str(database)},
                extra_args=(
                    "--webhook-url",
                    "https://bot.example.org",
                    "--port",
                    str(port),
                    "--listen",
                    "127.0.0.1",
                    "--secret-token",
                    SECRET,
                ),
            )
            for port, log in zip(ports, logs, strict=True)
        ]
        try:
            health = [
                await _healthy(client, port, process, tmp_path / f"bot-{n}.log")
                for n, (port, process) in enumerate(zip(ports, processes, strict=True))
            ]
            assert health[0]["instance"] != health[1]["instance"]
            await asyncio.sleep(2.5)  # the leases are taken within a renewal period
            jobs = (await _healthy(client, ports[0], processes[0], tmp_path / "bot-0.log"))["jobs"]
            assert jobs["broadcast-sender"] in {h["instance"] for h in health}  # exactly one holder
            assert state.webhook["url"] == "https://bot.example.org/telegram"

            for user, port in ((301, ports[0]), (302, ports[1]), (303, ports[0])):
                update = state.user_says(user, "/help")
                reply = await client.post(
                    f"http://127.0.0.1:{port}/telegram",
                    json=update,
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                )
                assert reply.status_code == 200
                assert "/assess" in (await state.wait_for_message(user, timeout=20)).text
            forged = await client.post(
                f"http://127.0.0.1:{ports[1]}/telegram", json=state.user_says(304, "/help")
            )
            assert forged.status_code == 403
            odd = {"update_id": 999_999, "poll": {"id": "1", "question": "?"}}  # not parseable
            ok = await client.post(
                f"http://127.0.0.1:{ports[1]}/telegram",
                json=odd,
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            )
            assert ok.status_code == 200
        finally:
            for process in processes:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes:
                await asyncio.wait_for(process.wait(), 20)
            for log in logs:
                log.close()
    output = "\n".join((tmp_path / f"bot-{n}.log").read_text()[-1500:] for n in range(2))
    assert all(process.returncode == 0 for process in processes), output
