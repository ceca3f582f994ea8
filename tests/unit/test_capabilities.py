"""Handlers word a reply for what the sender's chat can do, never for a named platform."""

from __future__ import annotations

from bot.config import Settings
from bot.domain.messages import Capabilities, Inbound
from handlers.dispatch import handle
from tests.conftest import Clock
from tests.world import DEMAND, XINYUAN, make_world, own


async def test_adding_information_without_quoted_replies_asks_for_the_command(
    settings: Settings, clock: Clock
) -> None:
    w = await make_world(settings, clock)
    await w.say(XINYUAN, DEMAND)
    plain = Capabilities(buttons=False, quoted_replies=False)
    inbound = Inbound(XINYUAN, XINYUAN.user_id, "", clock(), payload="ent:info:1", capabilities=plain)
    prompt = (await handle(inbound, w.deps))[0]
    assert "请发送 /info 1 加上补充内容" in prompt.text
    assert "直接回复这条消息" not in prompt.text
    assert "已将您的补充信息添加到工单 #1" in own(await w.say(XINYUAN, "/info 1 明天上午有人在"))
