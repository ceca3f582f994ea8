"""`channels.telegram.senders`: several `xiaoer run` processes share one bot's overall limit,
taking its send slots in the database."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.bootstrap import build_app
from bot.channels import pacing
from bot.channels.pacing import Pacer
from bot.channels.telegram.plugin import plug
from bot.channels.telegram.transport import TelegramTransport
from bot.config import Settings, load_settings
from bot.outbox import OutboxSender
from bot.runtime.runtime import Runtime
from handlers.send_slots import JITTER_SLOTS, shared_overall
from tests.conftest import ROOT
from tests.fake_telegram import FakeBotApi
from tests.policy_notices import publish_to_chats

CHATS = 40  # past the burst the bot's slots allow at once


async def test_three_senders_keep_the_bots_overall_limit_together_in_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XIAOER_CHANNELS__TELEGRAM__TOKEN", "123:abc")
    monkeypatch.setenv("XIAOER_CHANNELS__TELEGRAM__SENDERS", "3")
    settings = load_settings(ROOT / "config.yaml")
    app = await build_app(settings, f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        runtime = Runtime.build(app.deps)
        plugged = plug(runtime, settings)
        transport = runtime.sender.transports["telegram"]
        assert isinstance(transport, TelegramTransport)
        assert transport.pacer.shared_overall is not None
        assert await transport.pacer.shared_overall() == 0.0
        async with app.deps.storage() as uow:  # it took the bot's slot (the token's first part)
            assert await uow.send_slots.take("telegram:123", 0.0, 1.0) > time.time()
        await plugged.close()
    finally:
        await app.close()


async def test_the_bots_slots_let_a_burst_through_then_one_a_thirtieth_of_a_second(
    tmp_path: Path,
) -> None:
    """A burst of 30 less the slots kept back for the processes' jitter, then 30 a second."""
    settings = load_settings(ROOT / "config.yaml")
    app = await build_app(settings, f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    now = [1_000_000.0]
    burst = 30 - JITTER_SLOTS
    try:
        take = shared_overall(app.deps, "telegram:1", 30, 30.0, clock=lambda: now[0])
        waits = [await take() for _ in range(burst + 2)]
        assert waits[:burst] == [0.0] * burst
        assert [round(wait * 30, 6) for wait in waits[burst:]] == [1.0, 2.0]
        now[0] += 10  # idle: the burst is back, and no more
        assert [await take() for _ in range(burst)] == [0.0] * burst
        assert round(await take() * 30, 6) == 1.0
    finally:
        await app.close()


async def test_each_sends_slot_is_taken_before_the_send_ahead_of_it_goes(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database's round trip for the bot's next slot is off the send path: a broadcast through
    the outbox sender to the fake Bot API (enforcing Telegram's limits) takes each notice's slot
    while the notice ahead of it is still on its way, and leaves one slot unused at the end. Counts:
    how many notices had arrived when each slot was taken."""
    monkeypatch.setattr(pacing, "STALE_SLOT", 3600.0)  # however slow the machine, none goes stale
    api = FakeBotApi()
    await api.start()
    api.enforce_limits()
    app = await build_app(settings, f"sqlite+aiosqlite:///{tmp_path / 'slots.db'}")
    bot = Bot(api.token, session=AiohttpSession(api=TelegramAPIServer.from_base(api.base)))
    take = shared_overall(app.deps, "telegram:1", *Pacer.overall)
    arrived_at_take: list[int] = []

    async def counted_take() -> float:
        arrived_at_take.append(len(api.sent))
        return await take()

    try:
        await publish_to_chats(app, range(800_000, 800_000 + CHATS))
        transport = TelegramTransport(bot, Pacer(shared_overall=counted_take))
        await OutboxSender(app.deps, {"telegram": transport}, poll_seconds=0.05).run(until_idle=True)
    finally:
        await bot.session.close()
        await app.close()
        await api.stop()
    assert Counter(s.chat_id for s in api.sent) == {800_000 + i: 1 for i in range(CHATS)}
    assert (api.limited, api.too_early) == (0, 0)
    # the first two slots at once (this notice's and the next's), then each while the one before
    # it goes: the k-th slot taken when k-2 notices had arrived; the last slot left unused
    assert arrived_at_take == [0, *range(CHATS)]
