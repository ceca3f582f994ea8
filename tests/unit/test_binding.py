"""Invitations bind chats to enterprises; /lang changes the language replies come in."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.config import Settings
from bot.domain.messages import Sender
from tests.conftest import Clock
from tests.world import DEMAND, WANG, WU, XINYUAN, make_world, own

NEWCOMER = Sender("telegram", "5001", "张总", language="zh-hans")


def code_in(text: str) -> str:
    match = re.search(r"/start ([A-Za-z0-9_-]+)", text)
    assert match is not None, text
    return match.group(1)


async def test_liaison_invites_and_the_newcomer_binds_once(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    assert "只有厦门鑫源精密机械有限公司的包联干部" in own(await w.say(WU, "/invite xinyuan"))
    code = code_in(own(await w.say(WANG, "/invite xinyuan")))
    bound = own(await w.say(NEWCOMER, f"/start {code}。"))
    assert "绑定成功！您现在是厦门鑫源精密机械有限公司的联系人" in bound
    ack = own(await w.say(NEWCOMER, DEMAND))
    assert "包联干部 王磊" in ack  # routed as the enterprise's demand now
    other = Sender("telegram", "5002", "李四")
    assert "邀请码无效、已使用或已过期" in own(await w.say(other, f"/start {code}"))


async def test_codes_expire_and_unknown_enterprises_are_named(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    assert "没有编号为 acme 的企业" in own(await w.say(WANG, "/invite acme"))
    code = code_in(own(await w.say(WANG, "/invite xinyuan")))
    clock.now += timedelta(days=8)
    assert "已过期" in own(await w.say(NEWCOMER, f"/start {code}"))


async def test_lang_switches_the_replies(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    assert "之后我会用中文" in own(await w.say(NEWCOMER, "/lang zh"))
    assert "in English from now on" in own(await w.say(NEWCOMER, "/lang en"))
    assert "Your request is registered" in own(await w.say(NEWCOMER, DEMAND))
    assert "用法：/lang zh 或 /lang en" in own(await w.say(WANG, "/lang fr"))
    assert "configuration" not in own(await w.say(WANG, "/lang en"))  # officers: in Chinese, from config


async def test_an_unverified_sender_is_asked_about_its_company(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    replies = own(await w.say(NEWCOMER, DEMAND))
    assert "工单号 #1" in replies
    assert "贵公司的全称" in replies
    assert "统一社会信用代码是" in own(await w.say(NEWCOMER, "厦门鹭江精工机械有限公司"))
    assert "未通过校验" in own(await w.say(NEWCOMER, "91350206MA2Y3K8P14"))  # still asked
    assert "没有识别到统一社会信用代码" in own(await w.say(NEWCOMER, "我也不清楚"))
    done = await w.say(NEWCOMER, "91350206MA2Y3K8P13")
    assert "谢谢，已记录" in own(done)
    assert any("企业自报：名称 厦门鹭江精工机械有限公司" in r.text for r in done if r.to != done[0].to)
    assert "您的诉求（1 件）" in own(await w.say(NEWCOMER, "/status"))  # the conversation is over


async def test_buttons_under_the_acknowledgement(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    ack = (await w.say(XINYUAN, DEMAND))[0]
    assert [b.payload for b in ack.buttons] == ["ent:info:1", "ent:urge:1", "ent:withdraw:1"]
    prompt = (await w.say(XINYUAN, "1", payload="ent:info:1"))[0]
    assert "请直接回复这条消息" in prompt.text
    assert prompt.ticket == 1
    assert "已为您催办工单 #1" in own(await w.say(XINYUAN, "2", payload="ent:urge:1"))
    confirm = (await w.say(XINYUAN, "3", payload="ent:withdraw:1"))[0]
    assert "确定要撤回工单 #1 吗" in confirm.text
    assert "已按您的要求撤回" in own(await w.say(XINYUAN, "1", payload=confirm.buttons[0].payload))
    assert "没有找到工单 #1" in own(
        await w.say(Sender("console", "enterprise:haiyue"), "1", payload="ent:urge:1")
    )
