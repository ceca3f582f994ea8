"""Xiaoer on Telegram as `xiaoer run` puts it together, against a fake Bot API: the channel's
long polling, the conversations and the outbox sender, all running until the test ends."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Collection, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.channels.telegram.adapter import TelegramAddressing, TelegramChannel
from bot.channels.telegram.plugin import plug_bot as plug_telegram
from bot.channels.telegram.transport import TelegramTransport
from bot.runtime.runtime import Runtime
from handlers.deps import Deps
from tests.fake_telegram import FakeBotApi


@dataclass(frozen=True)
class Endpoint:
    """Where a Bot API server listens, and the bot's token there."""

    token: str
    base: str


@dataclass
class TelegramRun:
    runtime: Runtime
    channel: TelegramChannel

    def give_topics(self, chat: int) -> None:
        """Configure a group for a topic per ticket, as `telegram_topics: true` does."""
        self.transport.topic_chats.add(chat)
        for addressing in self.runtime.outgoing.addressings:
            if isinstance(addressing, TelegramAddressing):
                addressing.topic_chats.add(chat)

    @property
    def transport(self) -> TelegramTransport:
        transport = self.runtime.sender.transports["telegram"]
        assert isinstance(transport, TelegramTransport)
        return transport


@asynccontextmanager
async def telegram_running(
    deps: Deps,
    api: FakeBotApi | Endpoint,
    department_chats: Mapping[str, int] | None = None,
    topic_chats: Collection[int] = (),
    *,
    poll: bool = True,
) -> AsyncIterator[TelegramRun]:
    runtime = Runtime.build(deps)
    channel = plug_telegram(runtime, api.token, api.base, department_chats, topic_chats, polling_timeout=1)
    stop = asyncio.Event()
    polling = asyncio.create_task(channel.run_polling()) if poll else None
    running = asyncio.create_task(runtime.run(stop))
    try:
        yield TelegramRun(runtime, channel)
    finally:
        if polling is not None:
            if not polling.done():
                await channel.dispatcher.stop_polling()
            await asyncio.wait_for(polling, 15)
        stop.set()
        await asyncio.wait_for(running, 15)
        await runtime.close()
        await channel.close()


async def invite_code(api: FakeBotApi, officer: int, enterprise_id: str) -> tuple[str, str]:
    """An officer's `/invite ENTERPRISE` through the fake Bot API: the reply's text and its code."""
    await api.user_sends(officer, f"/invite {enterprise_id}")
    invitation = await api.wait_text(officer, "/start ")
    match = re.search(r"/start ([A-Za-z0-9_-]{12})", invitation.text)
    assert match is not None, invitation.text
    return invitation.text, match.group(1)
