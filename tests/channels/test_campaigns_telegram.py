"""Issue 15 over real HTTP against the fake Bot API: a lead creates a campaign, an officer records
a visit from chat — one demand (a ticket opened and routed, the enterprise told) and one opinion,
a photo kept — coverage shows the visit, and the bulletin that reaches the leadership lists both."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.bootstrap import build_app
from bot.config import load_settings
from handlers.campaigns.bulletin import build_bulletin, bulletin_replies
from tests.channels.campaign_chat import (
    TelegramChat,
    campaign_running_today,
    exchange,
    visit_answered,
)
from tests.channels.telegram_runtime import invite_code, telegram_running
from tests.channels.test_telegram import ENTREPRENEUR, Running, write_config
from tests.fake_telegram import FakeBotApi

LEAD = 9101  # chen_jing, head of the service centre, and the leadership (config: leadership.officers)
OFFICER = 9002  # wang_lei, xinyuan's liaison officer


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    settings = load_settings(write_config(tmp_path, {"chen_jing": LEAD, "wang_lei": OFFICER}, {}))
    api = FakeBotApi()
    await api.start()
    app = await build_app(settings, f"sqlite+aiosqlite:///{tmp_path / 'tg.db'}")
    try:
        async with telegram_running(app.deps, api, {}) as run:
            yield Running(api, app, run)
    finally:
        await app.close()
        await api.stop()


async def test_a_campaign_a_visit_from_chat_coverage_and_the_bulletin(running: Running) -> None:
    api, deps = running.api, running.app.deps
    _, code = await invite_code(api, OFFICER, "xinyuan")
    await api.user_sends(ENTREPRENEUR, f"/start {code}")
    await api.wait_text(ENTREPRENEUR, "绑定成功")

    lead, officer = TelegramChat(api, LEAD), TelegramChat(api, OFFICER)
    await exchange(officer, "/campaign new 试试 2026-01-01..2026-01-02", "部门负责人或管理员")
    created = await campaign_running_today(lead, deps, "区域=湖里区 部门=industry_it")
    assert "已创建走访活动 C1「敲门行动」：目标企业 4 家，未分配 0 家" in created

    listed = await exchange(officer, "/visits", "家企业待走访")
    number = re.search(r"(\d+)\. 厦门鑫源精密机械有限公司", listed)
    assert number is not None, listed
    await officer.says(f"/visit {number.group(1)}")
    asked = await api.wait_text(OFFICER, "走访日期")
    assert asked.buttons == [("今天", "visit:today")]
    await api.user_presses(OFFICER, asked, "visit:today")
    await visit_answered(officer, "陈总（总经理）", "订单饱满，正在扩产，用工紧张")

    await exchange(officer, "诉求：新厂房用电需要扩容，希望协调供电公司", "已为企业建立工单 #1")
    told = await api.wait_text(ENTREPRENEUR, "王磊 在走访中记录了贵企业的诉求，已为您建立工单 #1")
    assert "新厂房用电需要扩容" in told.text
    await api.user_sends_photo(OFFICER, "AgACAgUAAxkBAAIBfake")
    await officer.hears("已保存到走访 V1")
    await exchange(officer, "意见：希望多组织政策宣讲会", "已记录意见建议（V1）")
    await exchange(officer, "/done", "诉求 1 条，意见建议 1 条，项目计划 0 条，附件 1 个")

    async with deps.storage() as uow:
        ticket = await uow.tickets.get(1)
        files = await uow.campaigns.files(1)
    assert ticket is not None
    assert (ticket.enterprise_id, ticket.assignee_id, ticket.department_id) == (
        "xinyuan",
        "wang_lei",
        "industry_it",
    )
    assert files == [("photo", "AgACAgUAAxkBAAIBfake")]

    status = await exchange(lead, "/campaign status 1", "合计 已走访 1/4，剩余 3，完成 25.0%")
    assert "收集诉求 1 条（已办结 0 条），意见建议和项目计划 1 条" in status

    async with deps.storage() as uow:
        campaign = await uow.campaigns.get(1)
    assert campaign is not None
    bulletin = await build_bulletin(deps, campaign, "zh-CN")
    await running.run.runtime.outgoing.say(await bulletin_replies(deps, bulletin))
    # the bulletin's text (its .xlsx follows, captioned with the title alone)
    sent = await api.wait_text(LEAD, "#1 厦门鑫源精密机械有限公司: 新厂房用电需要扩容，希望协调供电公司")
    assert "企业诉求动态 · C1「敲门行动」" in sent.text
    assert "厦门鑫源精密机械有限公司: 希望多组织政策宣讲会" in sent.text
    assert "合计 已走访 1/4" in sent.text
    await api.wait_until(lambda: any(s.file for s in api.to(LEAD)), "the bulletin's .xlsx", 30)


@pytest.mark.parametrize(
    ("written", "answer"),
    [
        ("/campaign new 敲门行动 2026-12-01..2026-12-32", "活动的结束日“2026-12-32”不是日期：请写成"),
        ("/campaign new 敲门行动 2026/12/01..2026-12-31", "活动的开始日“2026/12/01”不是日期"),
        ("/campaign new 敲门行动 2026-12-01 2026-12-31", "“2026-12-01”不是活动周期：请写 开始日..结束日"),
        ("/campaign new 敲门行动", "请在名称后写活动周期：开始日..结束日"),
    ],
)
async def test_a_bad_period_says_which_date_is_wrong_and_how_to_write_it(
    running: Running, written: str, answer: str
) -> None:
    said = await exchange(TelegramChat(running.api, LEAD), written, answer)
    assert "用法" not in said
