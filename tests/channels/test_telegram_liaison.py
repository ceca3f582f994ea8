"""Issue 21 item 4 over real HTTP: a bound enterprise's demand reaches its liaison officer
privately and is posted to the department's officer group, naming the liaison officer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.bootstrap import build_app
from bot.config import load_settings
from tests.channels.telegram_runtime import invite_code, telegram_running
from tests.channels.test_telegram import DEMAND, ENTREPRENEUR, Running, write_config
from tests.fake_telegram import FakeBotApi

LIAISON = 9002  # wang_lei, xinyuan's liaison officer, of industry_it
INDUSTRY_GROUP = -100200


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    config = write_config(tmp_path, {"wang_lei": LIAISON}, {"industry_it": INDUSTRY_GROUP})
    settings = load_settings(config)
    api = FakeBotApi()
    await api.start()
    app = await build_app(settings, f"sqlite+aiosqlite:///{tmp_path / 'tg.db'}")
    try:
        async with telegram_running(app.deps, api, {"industry_it": INDUSTRY_GROUP}) as run:
            yield Running(api, app, run)
    finally:
        await app.close()
        await api.stop()


async def test_a_liaison_ticket_reaches_the_officer_and_the_departments_group(running: Running) -> None:
    api = running.api
    _, code = await invite_code(api, LIAISON, "xinyuan")
    await api.user_sends(ENTREPRENEUR, f"/start {code}")
    await api.wait_text(ENTREPRENEUR, "绑定成功")
    await api.user_sends(ENTREPRENEUR, DEMAND)
    await api.wait_text(ENTREPRENEUR, "包联干部 王磊")
    private = await api.wait_text(LIAISON, "新工单 #1")
    assert private.buttons == [("签收", "cmd:take:1")]
    post = await api.wait_text(INDUSTRY_GROUP, "新工单 #1")
    assert "已转交该企业的包联干部 王磊" in post.text
    assert post.buttons == []
    await api.user_presses(LIAISON, private, "cmd:take:1")
    await api.wait_until(lambda: "[已签收]" in post.text, "the group post edited")
    assert "包联干部 王磊，由其签收" not in post.text
