"""A channel is a plug-in: a toy one, written here in the test alone (an adapter, an addressing
and a transport), carries a demand, the officer's work and the enterprise's verdict through the
same runtime as Telegram and WeCom, with no change to handlers, storage or the other channels.

The toy platform is an in-process "server": people post texts to it, and it keeps what the bot
sends, as a fake platform server would over HTTP."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.bootstrap import App, build_app
from bot.config import load_settings
from bot.domain.messages import Inbound, Recipient, Sender, ToDepartment
from bot.domain.org import Directory
from bot.domain.outbox import Address, Origin, OutboxMessage, personal_addresses
from bot.outbox import Outcome, Sent
from bot.runtime.runtime import Runtime
from tests.conftest import ROOT

CHANNEL = "toy"


@dataclass
class ToyPlatform:
    """What the bot said to whom, and a way for people to speak."""

    said: list[tuple[str, str]] = field(default_factory=list)  # (chat, text)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def receive(self, chat: str, text: str) -> str:
        async with self.arrived:
            self.said.append((chat, text))
            self.arrived.notify_all()
        return str(next(self.ids))

    def to(self, chat: str) -> list[str]:
        return [text for where, text in self.said if where == chat]

    async def wait_for(self, chat: str, fragment: str) -> str:
        def found() -> list[str]:
            return [text for text in self.to(chat) if fragment in text]

        async with asyncio.timeout(10), self.arrived:
            await self.arrived.wait_for(found)
        return found()[-1]


class ToyAddressing:
    """People by their toy id; a department by the toy ids of its officers."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory

    @property
    def channel(self) -> str:
        return CHANNEL

    def addresses(self, to: Recipient, origin: Origin | None) -> list[Address]:
        if isinstance(to, ToDepartment):
            return [
                Address(o.identities[CHANNEL])
                for o in self.directory.members(to.department_id)
                if CHANNEL in o.identities
            ]
        return personal_addresses(CHANNEL, to, origin, self.directory)


class ToyTransport:
    def __init__(self, platform: ToyPlatform) -> None:
        self.platform = platform

    @property
    def channel(self) -> str:
        return CHANNEL

    def ready_in(self, chat_id: str) -> float:
        return 0.0

    async def wait_turn(self, chat_id: str) -> None:
        return None

    async def send(self, message: OutboxMessage) -> Outcome:
        choices = "".join(f"\n[{b.label}]" for b in message.buttons)
        return Sent(await self.platform.receive(message.chat_id, message.text + choices))

    async def close(self) -> None:
        return None


@dataclass
class Toy:
    app: App
    runtime: Runtime
    platform: ToyPlatform
    updates: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def says(self, person: str, text: str) -> None:
        """The adapter: a platform update becomes an Inbound, kept before it is acknowledged."""
        inbound = Inbound(
            Sender(CHANNEL, person, person),
            person,
            text,
            datetime.now(UTC),
            delivery_id=str(next(self.updates)),
        )
        assert await self.runtime.conversations.accept(inbound)


@pytest.fixture
async def toy(tmp_path: Path) -> AsyncIterator[Toy]:
    config = (ROOT / "config.yaml").read_text(encoding="utf-8")
    # the toy channel's identities, as its own config would give them
    config = config.replace(
        "  - {id: lin_hui,    name: 林慧, department: finance_office,    role: head}",
        "  - {id: lin_hui, name: 林慧, department: finance_office, role: head, identities: {toy: head-lin}}",
    )
    assert "identities: {toy" in config
    settings = load_settings(_write(tmp_path, config))
    app = await build_app(settings, f"sqlite+aiosqlite:///{tmp_path / 'toy.db'}")
    platform = ToyPlatform()
    runtime = Runtime.build(app.deps)
    runtime.plug(ToyAddressing(app.deps.directory), ToyTransport(platform))
    stop = asyncio.Event()
    running = asyncio.create_task(runtime.run(stop))
    try:
        yield Toy(app, runtime, platform)
    finally:
        stop.set()
        await running
        await runtime.close()
        await app.close()


def _write(directory: Path, text: str) -> Path:
    path = directory / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


async def test_a_toy_channel_carries_the_closed_loop(toy: Toy) -> None:
    platform = toy.platform
    await toy.says("boss-chen", "我们公司急需一笔200万的流动资金贷款，下月发工资都困难了")
    await platform.wait_for("boss-chen", "工单号 #1")
    await platform.wait_for("boss-chen", "贵公司的全称")  # an unbound sender is asked who they are
    # the finance office has no group on the toy channel: its officers hear of it privately
    await platform.wait_for("head-lin", "新工单 #1")
    await toy.says("head-lin", "/take 1")
    await platform.wait_for("head-lin", "您已签收工单 #1")
    await platform.wait_for("boss-chen", "签收办理")
    await toy.says("head-lin", "/resolve 1 建设银行已审批，本周放款")
    await platform.wait_for("boss-chen", "建设银行已审批")
    await toy.says("boss-chen", "/confirm 1")
    await platform.wait_for("boss-chen", "是否满意")
    await toy.says("boss-chen", "/rate 1 satisfied")
    await platform.wait_for("boss-chen", "已办结")
    async with toy.app.deps.storage() as uow:
        ticket = await uow.tickets.get(1)
    assert ticket is not None
    assert ticket.status.value == "closed"
    assert toy.runtime.sender.stats.sent == len(platform.said)  # every message through the outbox
