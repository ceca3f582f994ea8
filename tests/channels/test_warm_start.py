"""`xiaoer run` builds at start-up what its first updates would otherwise build
(bot/runtime/warm.py): both catalogues, OpenCC's tables (with the builtin model), and the model
Telegram's updates are read with in the mode it runs in, not the other mode's copy. Each mode runs
in a fresh interpreter: this one may have built any of them already."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

START = """
import asyncio, gc, json, sys
from bot.bootstrap import build_app
from bot.config import load_settings
from bot.runtime.warm import assembled_and_warm

async def main():
    settings = load_settings(sys.argv[1])
    app = await build_app(settings, sys.argv[2])
    try:
        assembled = await assembled_and_warm(settings, app.deps)
        from aiogram.types import Update
        from bot.channels.telegram.adapter import UPDATES_ANSWER
        from bot.i18n import catalogue
        from nlu.prepare import _converter
        print(json.dumps({
            "catalogues": catalogue.cache_info().currsize,
            "conversion_tables": _converter.cache_info().currsize,
            "polled_reader": UPDATES_ANSWER.__pydantic_complete__,
            "webhook_reader": Update.__pydantic_complete__,
            "frozen": gc.get_freeze_count(),
        }))
        await assembled.close()
    finally:
        await app.close()

asyncio.run(main())
"""


def started(tmp_path: Path, **env: str) -> dict[str, object]:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("XIAOER_") or k == "XIAOER_NLU_CACHE"},
        "XIAOER_CHANNELS__TELEGRAM__TOKEN": "123456:TEST-TOKEN",
        "XIAOER_CHANNELS__TELEGRAM__API_BASE": "http://127.0.0.1:9",  # never called
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-c", START, str(ROOT / "config.yaml"), f"sqlite+aiosqlite:///{tmp_path / 'w.db'}"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environment,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return found


@pytest.mark.parametrize("mode", ["polling", "webhook"])
def test_start_up_builds_what_the_first_updates_would_and_freezes_it(tmp_path: Path, mode: str) -> None:
    webhook = {
        "XIAOER_CHANNELS__TELEGRAM__MODE": "webhook",
        "XIAOER_CHANNELS__TELEGRAM__WEBHOOK_URL": "https://bot.example/telegram/hook",
        "XIAOER_CHANNELS__TELEGRAM__WEBHOOK_SECRET": "s3cret-token",
    }
    found = started(tmp_path, **(webhook if mode == "webhook" else {}))
    assert found["catalogues"] == 2
    assert found["conversion_tables"] == 1
    # each mode's reader is a whole copy of Update's validator (~3 MiB): only the one in use
    assert found["polled_reader"] is (mode == "polling")
    assert found["webhook_reader"] is (mode == "webhook")
    frozen = found["frozen"]
    assert isinstance(frozen, int)
    assert frozen > 0, "start-up's objects were left in the collector's sight"


async def test_a_warm_up_that_fails_closes_what_was_assembled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.bootstrap import build_app
    from bot.config import load_settings
    from bot.runtime import assemble, warm

    closed: list[str] = []
    close = assemble.Assembled.close

    async def closing(self: assemble.Assembled) -> None:
        closed.append("closed")
        await close(self)

    def failing() -> None:
        raise FileNotFoundError("bot/i18n/zh-CN.yaml")

    monkeypatch.setattr(assemble.Assembled, "close", closing)
    monkeypatch.setattr(warm, "load_catalogues", failing)
    settings = load_settings(ROOT / "config.yaml")
    app = await build_app(settings, f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    try:
        with pytest.raises(FileNotFoundError):
            await warm.assembled_and_warm(settings, app.deps)
    finally:
        await app.close()
    assert closed == ["closed"]
