"""One running Xiaoer: the conversations that handle what arrives, the outbox sender that
delivers what is said, and the channels' ways in and out between them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from bot.domain.messages import Inbound, Reply
from bot.domain.outbox import Addressing, Origin
from bot.outbox import OutboxSender, Transport
from bot.runtime.conversations import Conversations
from bot.runtime.metrics import Metrics
from bot.runtime.update_notes import MeasuredNlu
from handlers.deps import Deps
from handlers.outgoing import Outgoing


@dataclass
class Runtime:
    deps: Deps
    outgoing: Outgoing
    conversations: Conversations
    sender: OutboxSender
    metrics: Metrics

    @classmethod
    def build(cls, deps: Deps) -> Runtime:
        """A runtime with no channel yet: `plug` each one in before running it."""
        metrics = Metrics(deps.storage, deps.clock)
        deps = replace(deps, nlu=MeasuredNlu(deps.nlu, metrics.nlu_seconds))
        sender = OutboxSender(deps, {}, on_result=metrics.count_send)
        # a commit that queued messages wakes the sender: no polling delay on the happy path
        outgoing = Outgoing(deps, [], on_queued=sender.wake.set)
        return cls(deps, outgoing, Conversations(deps, outgoing, metrics=metrics), sender, metrics)

    def plug(self, addressing: Addressing, transport: Transport) -> None:
        """A channel's way out: which chats a reply is for, and how a message gets there."""
        self.outgoing.addressings.append(addressing)
        self.sender.transports[transport.channel] = transport

    async def accept(self, inbound: Inbound) -> bool:
        """A channel's way in: keep an update in the inbox (see Conversations.accept)."""
        return await self.conversations.accept(inbound)

    async def say(self, replies: Sequence[Reply], origin: Origin | None = None) -> None:
        """Queue messages that answer no state change."""
        await self.outgoing.say(replies, origin)

    async def act(self, work: Callable[[], Awaitable[Sequence[Reply]]], origin: Origin | None = None) -> None:
        """Do a channel route's change and queue what it says, in one transaction."""
        await self.outgoing.run(work, origin)

    async def run(self, stop: asyncio.Event) -> None:
        """Handle and deliver until `stop` is set."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self.conversations.run(stop))
            group.create_task(self.sender.run(stop))
        await self.conversations.close()

    async def settle(self) -> None:
        """Wait until what arrived is handled and what was said is sent or waiting for a retry
        (tests and one-shot commands; bound it with `asyncio.timeout`)."""
        while True:
            await self.conversations.drain()
            if not await self.sender.step() and not self.conversations.busy:
                return

    async def close(self) -> None:
        await self.conversations.close()
        for transport in self.sender.transports.values():
            await transport.close()
