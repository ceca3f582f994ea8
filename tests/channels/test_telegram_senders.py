"""`channels.telegram.senders`: several `xiaoer run` processes share one bot's overall limit,
taking its send slots in the database."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.bootstrap import build_app
from bot.channels.telegram.plugin import plug
from bot.channels.telegram.transport import TelegramTransport
from bot.config import load_settings
from bot.runtime.runtime import Runtime
from handlers.send_slots import JITTER_SLOTS, shared_overall
from tests.conftest import ROOT


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
