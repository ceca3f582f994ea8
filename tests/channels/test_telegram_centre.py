"""Issue 14 over real HTTP against the fake Bot API: the centre-wide view (/open, /find) for a
dispatcher and an officer, /invite's real deep link (the bot's username from getMe), binding by
the phone number Telegram's contact button shares, and /invites: the bound/unbound report for a
head, a liaison officer's own enterprises not bound yet."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.bootstrap import build_app
from bot.config import load_settings
from storage.search_protocols import NewInvite
from tests import builders
from tests.channels.telegram_runtime import invite_code, telegram_running
from tests.channels.test_telegram import DEMAND, ENTREPRENEUR, Running, write_config
from tests.fake_telegram import FakeBotApi

DISPATCHER = 9101  # li_na, the service centre's dispatcher
OFFICER = 9102  # zhou_min's officer fang_yi would answer in English; wu_bin is finance's officer
HR_OFFICER = 9103  # fang_yi, of hr_social: sees only hr_social's tickets
LIAISON = 9002  # wang_lei, xinyuan's liaison officer
HEAD = 9104  # lin_hui, head of the finance office: sees the whole binding report
NEWCOMER = 5005


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    officers = {
        "li_na": DISPATCHER,
        "wu_bin": OFFICER,
        "fang_yi": HR_OFFICER,
        "wang_lei": LIAISON,
        "lin_hui": HEAD,
    }
    settings = load_settings(write_config(tmp_path, officers, {}))
    api = FakeBotApi()
    await api.start()
    app = await build_app(settings, f"sqlite+aiosqlite:///{tmp_path / 'tg.db'}")
    try:
        async with telegram_running(app.deps, api) as run:
            yield Running(api, app, run)
    finally:
        await app.close()
        await api.stop()


async def _demand(running: Running) -> None:
    await running.api.user_sends(ENTREPRENEUR, DEMAND)
    await running.api.wait_text(ENTREPRENEUR, "#1")


async def test_a_dispatcher_sees_every_open_ticket_and_an_officer_their_departments(running: Running) -> None:
    api = running.api
    await _demand(running)
    await api.user_sends(DISPATCHER, "/open")
    listing = await api.wait_text(DISPATCHER, "全部在办工单（1 件")
    assert "#1" in listing.text
    await api.user_sends(DISPATCHER, "/open overdue dept=finance_office")
    await api.wait_text(DISPATCHER, "没有符合条件的在办工单")
    await api.user_sends(DISPATCHER, "/open dept=nowhere")
    refused = await api.wait_text(DISPATCHER, "没有部门 nowhere")
    assert "finance_office" in refused.text
    await api.user_sends(DISPATCHER, "/open sideways")
    await api.wait_text(DISPATCHER, "用法：/open")
    await api.user_sends(OFFICER, "/open")  # finance's own officer: the department's tickets
    await api.wait_text(OFFICER, "在办工单（1 件")
    await api.user_sends(HR_OFFICER, "/open")  # another department's officer sees none of them
    await api.wait_text(HR_OFFICER, "No open tickets match.")


async def test_find_by_words_name_code_and_number(running: Running) -> None:
    api = running.api
    await _demand(running)
    await api.user_sends(DISPATCHER, "/find 流动资金")
    found = await api.wait_text(DISPATCHER, "“流动资金”的查找结果")
    assert "#1" in found.text
    await api.user_sends(DISPATCHER, "/find 鑫源精密")
    found = await api.wait_text(DISPATCHER, "“鑫源精密”的查找结果")
    assert "厦门鑫源精密机械有限公司（xinyuan）" in found.text
    assert "包联干部 王磊" in found.text
    await api.user_sends(DISPATCHER, "/find 91350200MA31XQ7N4P")
    await api.wait_text(DISPATCHER, "厦门海悦进出口贸易有限公司（haiyue）")
    await api.user_sends(DISPATCHER, "/find #1")
    await api.wait_text(DISPATCHER, "“#1”的查找结果")
    await api.user_sends(DISPATCHER, "/find 量子纠缠")
    await api.wait_text(DISPATCHER, "没有找到与“量子纠缠”有关的企业或工单")
    await api.user_sends(HR_OFFICER, "/find 流动资金")  # not their department's
    await api.wait_text(HR_OFFICER, 'No enterprise or ticket found for "流动资金"')


async def test_invite_gives_the_bots_real_deep_link(running: Running) -> None:
    api = running.api
    await api.user_sends(LIAISON, "/invite xinyuan")
    invitation = await api.wait_text(LIAISON, "https://t.me/")
    assert "<机器人用户名>" not in invitation.text
    match = re.search(r"https://t\.me/xiaoer_bot\?start=([A-Za-z0-9_-]{12})", invitation.text)
    assert match is not None, invitation.text
    assert f"/start {match.group(1)}" in invitation.text  # for a chat without the link
    await api.user_sends(NEWCOMER, f"/start {match.group(1)}")  # what pressing Start sends
    await api.wait_text(NEWCOMER, "绑定成功！您现在是厦门鑫源精密机械有限公司的联系人")


async def test_the_contact_button_binds_by_phone(running: Running) -> None:
    api, app = running.api, running.app
    now = app.deps.clock()
    async with app.storage() as uow:
        await uow.onboarding.create_invites(
            [
                NewInvite("phonecode123", "haiyue", "林经理", "8613800001234"),
                # one number two enterprises' records claim: whose person it is cannot be told
                NewInvite("phonecode456", "haiyue", "周会计", "8613700005678"),
                NewInvite("phonecode789", "xinyuan", "周会计", "8613700005678"),
            ],
            "cli",
            now,
            now + timedelta(days=7),
        )
        await uow.commit()
    await api.user_sends(NEWCOMER, "/start")
    offer = await api.wait_text(NEWCOMER, "分享手机号即可绑定企业")
    assert offer.keyboard == [("📱 用手机号绑定企业", True)]
    await api.user_shares_contact(NEWCOMER, "+8613900009999", contact_user_id=4242)  # someone else's card
    await api.wait_text(NEWCOMER, "我目前只能读懂文字消息")
    await api.user_shares_contact(NEWCOMER, "+8613900009999")  # their own, but on record nowhere
    await api.wait_text(NEWCOMER, "这个手机号还没有登记在任何企业名下")
    await api.user_shares_contact(NEWCOMER, "+8613700005678")
    await api.wait_text(NEWCOMER, "您的手机号（尾号 5678）登记在不止一家企业名下")
    await api.user_shares_contact(ENTREPRENEUR, "8613800001234")  # Telegram leaves out the "+"
    await api.wait_text(ENTREPRENEUR, "绑定成功！您现在是厦门海悦进出口贸易有限公司的联系人")
    async with app.storage() as uow:
        contact = await uow.contacts.by_identity("telegram", str(ENTREPRENEUR))
        coverage = await uow.onboarding.coverage_by_liaison(now)
        bindings = [c for c in await uow.org.changes("contact") if c.action == "bind"]
        newcomer = await uow.contacts.by_identity("telegram", str(NEWCOMER))
    assert contact is not None
    assert contact.enterprise_id == "haiyue"
    assert newcomer is not None
    assert newcomer.enterprise_id is None  # neither the unknown number nor the disputed one bound it
    # the invite made for that number is used; the two for the disputed number stay open
    assert sum(row.invites_open for row in coverage) == 2
    assert [(c.key, dict(c.after or {})["enterprise_id"], dict(c.after or {})["by"]) for c in bindings] == [
        (f"telegram:{ENTREPRENEUR}", "haiyue", "telegram shared contact")
    ]  # audited as every binding by a mobile is
    await api.user_sends(DISPATCHER, "/find 13800001234")  # and the number now finds the company
    await api.wait_text(DISPATCHER, "厦门海悦进出口贸易有限公司（haiyue）")


async def test_invites_reports_binding_to_a_head_and_unbound_enterprises_to_their_liaison(
    running: Running,
) -> None:
    api, app = running.api, running.app
    async with app.storage() as uow:  # wang_lei's second enterprise, with nobody bound yet
        await uow.enterprises.add(
            builders.enterprise("xinchuang", name="厦门新创电子有限公司", liaison_officer_id="wang_lei")
        )
        await uow.commit()
    await api.user_sends(LIAISON, "/invites")
    unbound = await api.wait_text(LIAISON, "您包联的企业中有 1 家还没有联系人绑定")
    assert "厦门新创电子有限公司（xinchuang）" in unbound.text
    assert "xinyuan" not in unbound.text  # its contact is bound (the demo's)
    await api.user_sends(HEAD, "/invites")
    report = await api.wait_text(HEAD, "企业绑定情况")
    assert "王磊：企业 2 家，已绑定 1（50%），未绑定 1，待用邀请 0 个" in report.text
    assert "区工业和信息化局：企业 2 家，已绑定 1（50%），未绑定 1，待用邀请 0 个" in report.text
    await api.user_sends(ENTREPRENEUR, "/invites")  # an enterprise's person
    await api.wait_text(ENTREPRENEUR, "/invites 是工作人员使用的命令")

    _, code = await invite_code(api, LIAISON, "xinchuang")
    await api.user_sends(HEAD, "/invites")
    await api.wait_text(HEAD, "王磊：企业 2 家，已绑定 1（50%），未绑定 1，待用邀请 1 个")
    await api.user_sends(NEWCOMER, f"/start {code}")
    await api.wait_text(NEWCOMER, "绑定成功！您现在是厦门新创电子有限公司的联系人")
    await api.user_sends(LIAISON, "/invites")
    await api.wait_text(LIAISON, "您包联的企业都已有联系人绑定。")
    await api.user_sends(HEAD, "/invites")
    await api.wait_text(HEAD, "王磊：企业 2 家，已绑定 2（100%），未绑定 0，待用邀请 0 个")
