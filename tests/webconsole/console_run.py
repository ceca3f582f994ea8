"""Xiaoer on Telegram (against the fake Bot API) with the web console served on a port of its
own, as `xiaoer run` serves it with `web.enabled`; and the steps the console's tests share."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import yaml
from aiohttp import web

from bot.bootstrap import App, build_app
from bot.config import load_settings
from bot.runtime.web import web_app
from bot.webconsole.app import console_routes
from bot.webconsole.console import Console, ConsoleOptions
from tests.channels.telegram_runtime import TelegramRun, invite_code, telegram_running
from tests.channels.test_telegram import write_config
from tests.fake_telegram import FakeBotApi

ENTREPRENEUR = 5001  # a contact of haiyue (厦门海悦进出口贸易有限公司), which has no liaison officer
HEAD = 9001  # lin_hui, head of the finance office
OFFICER = 9002  # wu_bin, officer of the finance office
HR_OFFICER = 9003  # fang_yi, officer of hr_social (reads English)
DISPATCHER = 9004  # li_na, the service centre's dispatcher
OFFICERS = {"lin_hui": HEAD, "wu_bin": OFFICER, "fang_yi": HR_OFFICER, "li_na": DISPATCHER}
GROUP = -100100  # the finance office's officer group
DEMAND = "我们公司急需一笔200万的流动资金贷款，下月发工资都困难了，联系电话13800001234"
LINK = re.compile(r"(http://127\.0\.0\.1:\d+/console/signin\?token=[A-Za-z0-9_-]+)")


@dataclass
class ConsoleRun:
    api: FakeBotApi
    app: App
    run: TelegramRun
    base: str  # http://127.0.0.1:PORT

    async def link(self, officer: int) -> str:
        """`/web` in the officer's private chat; the new link the fake Bot API received (not one
        an earlier `/web` of theirs brought)."""
        earlier = {m.group(1) for s in self.api.to(officer) if (m := LINK.search(s.text))}
        await self.api.user_sends(officer, "/web")
        for _ in range(200):
            sent = await self.api.wait_text(officer, "/console/signin?token=")
            match = LINK.search(sent.text)
            assert match is not None, sent.text
            if match.group(1) not in earlier:
                return match.group(1)
            await asyncio.sleep(0.05)
        raise AssertionError(f"no new sign-in link for {officer}")

    async def demand(self) -> None:
        """haiyue's contact binds with an invite and files a finance demand: ticket #1, for the
        finance office, nobody assigned yet."""
        _, code = await invite_code(self.api, HEAD, "haiyue")
        await self.api.user_sends(ENTREPRENEUR, f"/start {code}")
        await self.api.wait_text(ENTREPRENEUR, "绑定成功")
        await self.api.user_sends(ENTREPRENEUR, DEMAND)
        await self.api.wait_text(ENTREPRENEUR, "#1")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def console_config(directory: Path, url_port: int, **web_settings: object) -> Path:
    config = write_config(directory, OFFICERS, {"finance_office": GROUP})
    document = yaml.safe_load(config.read_text(encoding="utf-8"))
    document["web"] = {
        "enabled": True,
        "url": f"http://127.0.0.1:{url_port}",
        "refresh_seconds": 2,
        **web_settings,
    }
    config.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return config


@dataclass
class DrivenClock:
    """The runtime's clock, moved on by the test (`clock.now = …`)."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@asynccontextmanager
async def console_running(
    directory: Path,
    database: str | None = None,
    clock: Callable[[], datetime] | None = None,
    **web_settings: object,
) -> AsyncIterator[ConsoleRun]:
    port = free_port()
    settings = load_settings(console_config(directory, port, **web_settings))
    api = FakeBotApi()
    await api.start()
    app = await build_app(settings, database or f"sqlite+aiosqlite:///{directory / 'console.db'}")
    deps = app.deps if clock is None else replace(app.deps, clock=clock)
    runner = None
    try:
        async with telegram_running(deps, api, {"finance_office": GROUP}) as run:
            # the console as `xiaoer run` mounts it (bot/runtime/assemble.py), on this runtime
            web_section = settings.web
            console = Console(
                run.runtime.deps,
                run.runtime.outgoing,
                ConsoleOptions(
                    web_section.secure_cookies, web_section.session_hours, web_section.refresh_seconds
                ),
            )
            runner = web.AppRunner(web_app([console_routes(console)]))
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            yield ConsoleRun(api, app, run, f"http://127.0.0.1:{port}")
    finally:
        if runner is not None:
            await runner.cleanup()
        await app.close()
        await api.stop()
