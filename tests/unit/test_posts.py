"""Issue 21 item 2: a ticket's group post says "send /take N" only while it can be signed for."""

from __future__ import annotations

from dataclasses import replace

from bot.config import Settings
from handlers.posts import current_post
from tests.conftest import Clock
from tests.world import HAIYUE, WANG, XINYUAN, make_world


async def test_the_post_offers_take_only_while_the_ticket_waits_to_be_signed_for(
    settings: Settings, clock: Clock
) -> None:
    w = await make_world(settings, clock)
    await w.say(XINYUAN, "厂房租金太高，需要协调新的用地")  # #1: xinyuan's liaison wang_lei
    await w.say(WANG, "/take 1")
    await w.say(WANG, "/resolve 1 已协调新的用地")
    await w.say(XINYUAN, "", payload="survey:1:r:resolved")
    await w.say(XINYUAN, "", payload="survey:1:s:satisfied")
    assert await w.status(1) == "closed"
    closed = await current_post(w.deps, 1)
    assert closed is not None
    assert "/take" not in closed.text
    assert "[已办结]" in closed.text
    assert closed.buttons == ()


async def test_a_new_post_still_says_how_to_sign_for_it(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    await w.say(HAIYUE, "出口退税一直没到账，资金很紧张，希望帮忙协调")  # #1, no liaison: the tax bureau
    fresh = await current_post(w.deps, 1)
    assert fresh is not None
    assert "发送 /take 1 签收" in fresh.text
    await w.say(replace(WANG, user_id="officer:guo_ping"), "/take 1")
    signed = await current_post(w.deps, 1)
    assert signed is not None
    assert "/take" not in signed.text
    assert "[已签收]" in signed.text
