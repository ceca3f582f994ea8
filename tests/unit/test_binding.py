"""Invitations bind chats to enterprises; /lang changes the language replies come in."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.config import Settings
from bot.domain.messages import Sender
from tests.conftest import Clock
from tests.world import DEMAND, WANG, WU, make_world, own

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
