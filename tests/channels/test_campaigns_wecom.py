"""A visit recorded from WeCom (issue 15), over real HTTP against the fake WeCom: the questions'
buttons become numbered choices, a picture's media id is kept with the visit, the demand opens a
ticket and the visit counts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.channels.campaign_chat import (
    WecomChat,
    campaign_running_today,
    exchange,
    visit_answered,
)
from tests.channels.test_wecom import HEAD, OFFICER, Running, app_on_wecom, wecom_settings
from tests.fake_wecom import FakeWecom


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    api = FakeWecom()
    await api.start()
    try:
        settings = wecom_settings(tmp_path, api.base)
        async with app_on_wecom(settings, f"sqlite+aiosqlite:///{tmp_path / 'wecom.db'}", api) as running:
            yield running
    finally:
        await api.stop()


async def test_an_officer_records_a_visit_on_wecom(running: Running) -> None:
    api, deps = running.api, running.app.deps
    officer = WecomChat(running, OFFICER)
    await campaign_running_today(WecomChat(running, HEAD), deps, "区域=湖里区 部门=finance_office")
    assert "1. 今天" in await exchange(officer, "/visit 1", "走访日期")
    await officer.says("1")
    await visit_answered(officer, "张总", "研发投入加大，人才紧缺")
    answer = await api.member_sends_image(running.url, OFFICER, "MEDIA_ID_1")
    assert answer.status == 200
    await officer.hears("已保存到走访 V1")
    assert "1. 诉求" in await exchange(officer, "需要对接高校招聘软件人才", "是哪一类")
    await exchange(officer, "1", "已为企业建立工单 #1")
    await exchange(officer, "/done", "诉求 1 条，意见建议 0 条，项目计划 0 条，附件 1 个")
    async with deps.storage() as uow:
        ticket = await uow.tickets.get(1)
        files = await uow.campaigns.files(1)
        lines = {line.key: line for line in await uow.campaigns.coverage(1)}
    assert ticket is not None
    assert ticket.enterprise_id == "lanjing"
    assert files == [("image", "MEDIA_ID_1")]
    assert (lines["wu_bin|finance_office"].assigned, lines["wu_bin|finance_office"].visited) == (1, 1)
