"""Xiaoer on WeCom as `xiaoer run` puts it together, against a fake WeCom server: the callback on
the runtime's web server, the conversations and the outbox sender, running until the test ends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp.test_utils import TestServer

from bot.channels.wecom.adapter import WecomAddressing, WecomChannel
from bot.channels.wecom.config import WecomConfig
from bot.channels.wecom.plugin import plug_app as plug_wecom
from bot.domain.messages import Reply
from bot.domain.outbox import Origin
from bot.runtime.runtime import Runtime
from bot.runtime.web import web_app
from handlers.deps import Deps


@dataclass
class WecomRun:
    runtime: Runtime
    channel: WecomChannel
    url: str  # the callback's

    @property
    def addressing(self) -> WecomAddressing:
        [addressing] = [a for a in self.runtime.outgoing.addressings if isinstance(a, WecomAddressing)]
        return addressing

    async def say(self, replies: list[Reply], to_user: str = "") -> None:
        await self.runtime.outgoing.say(replies, Origin("wecom", to_user) if to_user else None)


@asynccontextmanager
async def wecom_running(
    deps: Deps,
    config: WecomConfig,
    department_chats: Mapping[str, str] | None = None,
    *,
    public: bool = False,
) -> AsyncIterator[WecomRun]:
    """`public`: the web server's own address is the public one (consent links lead to it)."""
    runtime = Runtime.build(deps)
    channel = plug_wecom(runtime, config, department_chats)
    server = TestServer(web_app([channel.add_routes]), host="127.0.0.1")
    await server.start_server()
    if public and channel.mobiles is not None:
        channel.mobiles.public_url = str(server.make_url("/"))
    stop = asyncio.Event()
    running = asyncio.create_task(runtime.run(stop))
    try:
        yield WecomRun(runtime, channel, str(server.make_url(config.callback_path)))
    finally:
        await server.close()
        stop.set()
        await asyncio.wait_for(running, 15)
        await runtime.close()
        await channel.close()
