"""`channels.telegram.senders`: several `xiaoer run` processes share one bot's overall limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.bootstrap import build_app
from bot.channels.telegram.plugin import plug
from bot.channels.telegram.transport import TelegramTransport
from bot.config import load_settings
from bot.runtime.runtime import Runtime
from tests.conftest import ROOT


async def test_each_of_three_senders_takes_a_third_of_the_bots_overall_limit(
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
        assert transport.pacer.overall == (10.0, 10.0)
        await plugged.close()
    finally:
        await app.close()
