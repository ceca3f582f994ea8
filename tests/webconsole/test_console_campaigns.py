"""Campaigns in the web console over plain HTTP: an officer records a visit from chat (through the
fake Bot API) and its demand opens a ticket; the board filtered by that campaign shows the visit's
ticket and not the one the enterprise filed itself; the enterprise's page lists the visit (date,
officer, who was met, the situation, what was brought back), masked and escaped."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from handlers.campaigns.coverage import local_day
from tests.webconsole.console_run import DISPATCHER, HEAD, HR_OFFICER, OFFICER, ConsoleRun, console_running
from tests.webconsole.test_console_http import sign_in, with_session


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[ConsoleRun]:
    async with console_running(tmp_path) as run:
        yield run


TALENT = "需要对接高校招聘软件人才，急需30名工程师"  # for the human resources bureau
LOAN = "需要200万流动资金贷款，希望对接银行"  # for the finance office


async def record_visit(console: ConsoleRun, demand: str = TALENT, number: int = 2) -> str:
    """The head opens campaign C1 (湖里区, the unassigned targets to the finance office); wu_bin
    visits his first target and brings back a demand (ticket #number) and an opinion. The
    enterprise."""
    api = console.api
    today = local_day(console.app.deps)
    period = f"{today - timedelta(days=1)}..{today + timedelta(days=20)}"
    await api.user_sends(HEAD, f"/campaign new 敲门行动 {period} 区域=湖里区 部门=finance_office")
    await api.wait_text(HEAD, "已创建走访活动 C1")
    await api.user_sends(OFFICER, "/visit 1")
    asked = await api.wait_text(OFFICER, "走访日期")
    await api.user_presses(OFFICER, asked, "visit:today")
    await api.wait_text(OFFICER, "见到了谁")
    await api.user_sends(OFFICER, "<b>张总</b>")
    await api.wait_text(OFFICER, "一句话")
    await api.user_sends(OFFICER, "研发投入加大，人才紧缺，张总手机13912345678")
    await api.wait_text(OFFICER, "逐条发送")
    await api.user_sends(OFFICER, f"诉求：{demand}")
    await api.wait_text(OFFICER, f"已为企业建立工单 #{number}")
    await api.user_sends(OFFICER, "意见：希望多组织政策宣讲会")
    await api.wait_text(OFFICER, "已记录意见建议")
    await api.user_sends(OFFICER, "/done")
    await api.wait_text(OFFICER, "诉求 1 条，意见建议 1 条")
    async with console.app.storage() as uow:
        ticket = await uow.tickets.get(number)
    assert ticket is not None
    assert ticket.enterprise_id is not None
    return ticket.enterprise_id


def ticket_links(page: str) -> set[int]:
    return {int(n) for n in re.findall(r'href="/console/tickets/(\d+)"', page)}


async def test_the_board_filters_by_campaign_and_the_enterprise_shows_its_visits(
    console: ConsoleRun,
) -> None:
    await console.demand()  # ticket #1: filed by haiyue itself, no campaign's
    enterprise = await record_visit(console)
    async with aiohttp.ClientSession() as http:
        session = await sign_in(http, await console.link(DISPATCHER))
        async with http.get(f"{console.base}/console/", headers=with_session(session)) as board:
            everything = await board.text()
        async with http.get(f"{console.base}/console/?campaign=1", headers=with_session(session)) as board:
            assert board.status == 200
            filtered = await board.text()
        async with http.get(f"{console.base}/console/?campaign=99", headers=with_session(session)) as board:
            unknown = await board.text()
        async with http.get(
            f"{console.base}/console/enterprises/{enterprise}", headers=with_session(session)
        ) as page:
            assert page.status == 200
            visits = await page.text()
    assert ticket_links(everything) == {1, 2}
    assert '<option value="1">C1 · 敲门行动</option>' in everything
    assert ticket_links(filtered) == {2}
    assert "在办工单 1 件" in filtered
    assert '<option value="1" selected>C1 · 敲门行动</option>' in filtered
    assert ticket_links(unknown) == {1, 2}  # a campaign nobody knows filters nothing

    section = visits[visits.index('class="visits"') :]
    assert "C1 · 敲门行动" in section
    assert local_day(console.app.deps).isoformat() in section
    assert "吴斌" in section
    assert "&lt;b&gt;张总&lt;/b&gt;" in section  # escaped
    assert "研发投入加大，人才紧缺，张总手机139****5678" in section  # masked as on the board
    assert "13912345678" not in visits
    assert "诉求" in section
    assert "意见建议" in section
    assert 'href="/console/tickets/2"' in section
    assert "需要对接高校招聘软件人才" in section
    assert "希望多组织政策宣讲会" in section


async def test_a_visits_demand_another_department_may_not_open_is_hidden(console: ConsoleRun) -> None:
    enterprise = await record_visit(console, LOAN, 1)
    async with console.app.storage() as uow:
        ticket = await uow.tickets.get(1)
    assert ticket is not None
    assert ticket.department_id == "finance_office"
    await console.api.user_sends(HEAD, "/confidential 1 on")
    await console.api.wait_text(HEAD, "#1")
    async with aiohttp.ClientSession() as http:
        outsider = await sign_in(http, await console.link(HR_OFFICER))
        async with http.get(
            f"{console.base}/console/enterprises/{enterprise}", headers=with_session(outsider)
        ) as page:
            text = await page.text()
        async with http.get(f"{console.base}/console/?campaign=1", headers=with_session(outsider)) as board:
            filtered = await board.text()
    assert "流动资金" not in text
    assert 'href="/console/tickets/1"' not in text
    assert "you may not see it" in text  # fang_yi reads English; the visit itself is shown
    assert "Demand" in text
    assert "希望多组织政策宣讲会" in text
    assert ticket_links(filtered) == set()
