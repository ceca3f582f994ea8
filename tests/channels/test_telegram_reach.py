"""Issue 21 item 23: Telegram lets the bot write only to officers who have /start-ed it; at start
Xiaoer finds those it cannot reach and tells their head (or, when the head is one of them, the
department's group)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.bootstrap import build_app
from bot.channels.telegram.plugin import report_unreachable_officers
from bot.config import load_settings
from tests.channels.telegram_runtime import telegram_running
from tests.channels.test_telegram import GROUP, HEAD, Running, write_config
from tests.fake_telegram import FakeBotApi

OFFICER = 9003  # wu_bin, of the finance office, whose head is lin_hui


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    config = write_config(tmp_path, {"lin_hui": HEAD, "wu_bin": OFFICER}, {"finance_office": GROUP})
    settings = load_settings(config)
    api = FakeBotApi()
    await api.start()
    app = await build_app(settings, f"sqlite+aiosqlite:///{tmp_path / 'tg.db'}")
    try:
        async with telegram_running(app.deps, api, {"finance_office": GROUP}) as run:
            yield Running(api, app, run)
    finally:
        await app.close()
        await api.stop()


async def tell_heads(running: Running) -> list[str]:
    return await report_unreachable_officers(running.run.runtime, running.run.channel, lambda line: None)


async def test_the_head_hears_which_officers_have_not_started_the_bot(running: Running) -> None:
    api = running.api
    await api.user_sends(HEAD, "/start")
    await api.wait_text(HEAD, "您好")
    assert await tell_heads(running) == ["wu_bin"]
    told = await api.wait_text(HEAD, "小二还不能私信以下工作人员")
    assert "吴斌（wu_bin）" in told.text
    assert "/start" in told.text
    assert not [s for s in api.to(GROUP) if "不能私信" in s.text]


async def test_when_the_head_cannot_be_reached_the_group_is_told(running: Running) -> None:
    assert sorted(await tell_heads(running)) == ["lin_hui", "wu_bin"]
    told = await running.api.wait_text(GROUP, "小二还不能私信以下工作人员")
    assert "林慧（lin_hui）" in told.text
    assert "吴斌（wu_bin）" in told.text
