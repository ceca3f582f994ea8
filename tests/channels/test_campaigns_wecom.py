"""A visit recorded from WeCom (issue 15), over real HTTP against the fake WeCom: the questions'
buttons become numbered choices, a picture's media id is kept with the visit, the demand opens a
ticket and the visit counts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from handlers.campaigns.coverage import local_day
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
    today = local_day(deps)
    period = f"{today - timedelta(days=1)}..{today + timedelta(days=20)}"
    await running.says(HEAD, f"/campaign new 敲门行动 {period} 区域=湖里区 部门=finance_office")
    await api.wait_text(HEAD, "已创建走访活动 C1")
    await running.says(OFFICER, "/visit 1")
    asked = await api.wait_text(OFFICER, "走访日期")
    assert "1. 今天" in asked.content
    await running.says(OFFICER, "1")
    await api.wait_text(OFFICER, "见到了谁")
    await running.says(OFFICER, "张总")
    await api.wait_text(OFFICER, "一句话")
    await running.says(OFFICER, "研发投入加大，人才紧缺")
    await api.wait_text(OFFICER, "逐条发送")
    answer = await api.member_sends_image(running.url, OFFICER, "MEDIA_ID_1")
    assert answer.status == 200
    await api.wait_text(OFFICER, "已保存到走访 V1")
    await running.says(OFFICER, "需要对接高校招聘软件人才")
    kinds = await api.wait_text(OFFICER, "是哪一类")
    assert "1. 诉求" in kinds.content
    await running.says(OFFICER, "1")
    await api.wait_text(OFFICER, "已为企业建立工单 #1")
    await running.says(OFFICER, "/done")
    await api.wait_text(OFFICER, "诉求 1 条，意见建议 0 条，项目计划 0 条，附件 1 个")
    async with deps.storage() as uow:
        ticket = await uow.tickets.get(1)
        files = await uow.campaigns.files(1)
        lines = {line.key: line for line in await uow.campaigns.coverage(1)}
    assert ticket is not None
    assert ticket.enterprise_id == "lanjing"
    assert files == [("image", "MEDIA_ID_1")]
    assert (lines["wu_bin|finance_office"].assigned, lines["wu_bin|finance_office"].visited) == (1, 1)
