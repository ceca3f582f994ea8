"""Xiaoer on DingTalk as `xiaoer run` puts it together, against a fake DingTalk: the channel found
by its config section and plugged in through its own `plugin` module (bot/runtime/channels.py),
its callback on the runtime's web server, the conversations and the outbox sender running until
the test ends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp.test_utils import TestServer

from bot.channels.dingtalk.adapter import DingtalkAddressing
from bot.channels.dingtalk.transport import DingtalkTransport
from bot.channels.plugin import Plugged
from bot.config import Settings
from bot.runtime.channels import plug_channels
from bot.runtime.runtime import Runtime
from bot.runtime.web import web_app
from handlers.deps import Deps


@dataclass
class DingtalkRun:
    runtime: Runtime
    plugged: list[Plugged]
    url: str  # the callback's

    @property
    def transport(self) -> DingtalkTransport:
        transport = self.runtime.sender.transports["dingtalk"]
        assert isinstance(transport, DingtalkTransport)
        return transport

    @property
    def addressing(self) -> DingtalkAddressing:
        [addressing] = [a for a in self.runtime.outgoing.addressings if isinstance(a, DingtalkAddressing)]
        return addressing


@asynccontextmanager
async def dingtalk_running(deps: Deps, settings: Settings) -> AsyncIterator[DingtalkRun]:
    runtime = Runtime.build(deps)
    plugged = plug_channels(runtime, settings)
    assert [p.name for p in plugged] == ["dingtalk"]
    server = TestServer(web_app([route for p in plugged for route in p.routes]), host="127.0.0.1")
    await server.start_server()
    stop = asyncio.Event()
    running = asyncio.create_task(runtime.run(stop))
    try:
        yield DingtalkRun(runtime, plugged, str(server.make_url(settings.channels.dingtalk.callback_path)))
    finally:
        await server.close()
        stop.set()
        await asyncio.wait_for(running, 15)
        await runtime.close()
        for p in plugged:
            await p.close()
