"""Issue 21 item 1: once a ticket is signed for, its group post carries the next steps as
buttons (ask the enterprise, transfer, resolve); each answers with the command to send, the
ticket's number filled in and, for a transfer, the departments to choose from."""

from __future__ import annotations

from dataclasses import replace

from bot.config import Settings
from handlers.posts import current_post
from tests.conftest import Clock
from tests.world import HAIYUE, WANG, make_world, own

GUO = replace(WANG, user_id="officer:guo_ping")  # head of the tax bureau
TAX = "出口退税一直没到账，资金很紧张，希望帮忙协调"


async def test_a_signed_tickets_post_offers_ask_transfer_and_resolve(
    settings: Settings, clock: Clock
) -> None:
    w = await make_world(settings, clock)
    await w.say(HAIYUE, TAX)  # #1, for anyone of the tax bureau
    fresh = await current_post(w.deps, 1)
    assert fresh is not None
    assert [b.payload for b in fresh.buttons] == ["cmd:take:1"]
    await w.say(GUO, "/take 1")
    signed = await current_post(w.deps, 1)
    assert signed is not None
    assert [b.payload for b in signed.buttons] == [
        "cmd:guide:ask:1",
        "cmd:guide:transfer:1",
        "cmd:guide:resolve:1",
    ]
    assert [b.label for b in signed.buttons] == ["请企业补充", "转办", "办结"]


async def test_the_buttons_answer_with_the_command_to_send(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    await w.say(HAIYUE, TAX)
    await w.say(GUO, "/take 1")
    ask = own(await w.say(GUO, "", payload="cmd:guide:ask:1"))
    assert "/ask 1 " in ask
    transfer = own(await w.say(GUO, "", payload="cmd:guide:transfer:1"))
    assert "/transfer 1 " in transfer
    assert "commerce（区商务局）" in transfer
    resolve = own(await w.say(GUO, "", payload="cmd:guide:resolve:1"))
    assert "/resolve 1 " in resolve


async def test_an_answered_ticket_offers_no_more_steps(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    await w.say(HAIYUE, TAX)
    await w.say(GUO, "/take 1")
    await w.say(GUO, "/resolve 1 已协调退税，本周到账")
    answered = await current_post(w.deps, 1)
    assert answered is not None
    assert answered.buttons == ()
