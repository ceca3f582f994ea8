"""`xiaoer run` and its siblings as processes, run as an operator runs them: the environment
that points them at a fake Bot API, starting them (polling or webhook), waiting for them to be
healthy and posting webhook updates to them. Shared by the multi-process, deployment, start-up
and chaos tests."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path
from typing import IO, Any

import aiohttp
import yaml

from tests.conftest import ROOT
from tests.fake_telegram import FakeBotApi

XIAOER = str(Path(sys.executable).parent / "xiaoer")
SECRET = "s3cret-token"


def environment(api: FakeBotApi, config: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIAOER_") or k == "XIAOER_NLU_CACHE"}
    env.update(
        XIAOER_CONFIG=str(config),
        XIAOER_CHANNELS__TELEGRAM__TOKEN=api.token,
        XIAOER_CHANNELS__TELEGRAM__API_BASE=api.base,
    )
    env.update(extra)
    return env


def webhook_environment(
    api: FakeBotApi, config: Path, port: int, url: str | None = None, **extra: str
) -> dict[str, str]:
    """`xiaoer run` taking Telegram's updates by webhook on `port` (and serving /metrics there),
    told that Telegram posts to `url` (default: straight to that port)."""
    return environment(
        api,
        config,
        XIAOER_CHANNELS__TELEGRAM__MODE="webhook",
        XIAOER_CHANNELS__TELEGRAM__WEBHOOK_URL=url or f"http://127.0.0.1:{port}/telegram/hook",
        XIAOER_CHANNELS__TELEGRAM__WEBHOOK_SECRET=SECRET,
        XIAOER_CHANNELS__TELEGRAM__PORT=str(port),
        **extra,
    )


# what each started process has written to stderr, read all along: a pipe nobody reads fills at
# 64 KiB and blocks a chatty process (logs at INFO), and asyncio's wait() then never returns, since
# it waits for the pipe to close as well as for the process (the hang of a run with many tickets)
_stderr: dict[asyncio.subprocess.Process, asyncio.Task[bytes]] = {}


async def start(
    env: dict[str, str], database: str, log: IO[bytes] | None = None
) -> asyncio.subprocess.Process:
    """`xiaoer run` in the background; `ended` waits for it and gives what it logged (unless it
    logs to the file `log`)."""
    process = await asyncio.create_subprocess_exec(
        XIAOER,
        "run",
        "--allow-unreachable",  # the configs here reach only some departments on Telegram
        "--database",
        database,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE if log is None else log,
    )
    if process.stderr is not None:
        _stderr[process] = asyncio.create_task(process.stderr.read())
    return process


async def ended(process: asyncio.subprocess.Process, within: float = 60) -> str:
    """Once a process from `start` has ended (signal it first): everything it wrote to stderr."""
    await asyncio.wait_for(process.wait(), within)
    reading = _stderr.pop(process, None)
    return "" if reading is None else (await asyncio.wait_for(reading, within)).decode(errors="replace")


async def upgraded(database: str, config: Path) -> None:
    """The database migrated by `xiaoer db upgrade`, as an operator does before starting processes."""
    upgrade = await asyncio.create_subprocess_exec(
        XIAOER, "db", "upgrade", "--database", database, env=environment(FakeBotApi(), config)
    )
    assert await upgrade.wait() == 0


async def stop_all(running: list[asyncio.subprocess.Process]) -> None:
    """SIGINT to each process from `start`, then each must end cleanly (what it logged, if not)."""
    for process in running:
        process.send_signal(signal.SIGINT)
    for process in running:
        err = await ended(process)
        assert process.returncode == 0, err[-2000:]


async def start_webhook(
    api: FakeBotApi, config: Path, database: str, port: int, url: str, **extra: str
) -> asyncio.subprocess.Process:
    """`xiaoer run` in webhook mode, listening on `port`, told that Telegram posts to `url`."""
    return await start(webhook_environment(api, config, port, url, **extra), database)


def said(api: FakeBotApi, chat: int, fragment: str) -> int:
    return len([s for s in api.to(chat) if fragment in s.text])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def healthy(port: int, path: str = "/healthz") -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            try:
                async with http.get(f"http://127.0.0.1:{port}{path}") as answer:
                    if answer.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"xiaoer run on port {port} never became healthy")


async def post(http: aiohttp.ClientSession, port: int, update: dict[str, Any]) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with http.post(f"http://127.0.0.1:{port}/telegram/hook", json=update, headers=headers) as answer:
        assert answer.status == 200, await answer.text()


def private_config(tmp_path: Path) -> Path:
    """The shipped config with no officer group and no officer on Telegram: the test counts what
    the entrepreneurs are promised (group posts run at 20 a minute, too slow for two hundred)."""
    document = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    for officer in document["officers"]:
        officer.pop("identities", None)
    for department in document["departments"]:
        department.pop("chats", None)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return config
