"""`/web` is a handler like any other, so it works on every channel (here the console shell's):
staff only, a link to the officer privately that works once, nothing stored but its hash, and
`/web logout` ending it; without the console enabled it says so."""

from __future__ import annotations

import re
from dataclasses import replace

from bot.config import Settings
from bot.domain.messages import ToOfficer
from bot.domain.web_console import ConsoleAccess, token_hash
from storage.web_protocols import TokenState
from tests.conftest import Clock
from tests.world import WU, XINYUAN, make_world, own


async def test_web_sends_a_single_use_link_privately_and_logout_ends_it(
    settings: Settings, clock: Clock
) -> None:
    world = await make_world(settings, clock)
    world.deps = replace(world.deps, console=ConsoleAccess("https://xiaoer.example.gov.cn/", 5))
    replies = await world.say(WU, "/web")
    assert [r.to for r in replies] == [ToOfficer("wu_bin")]
    match = re.search(
        r"https://xiaoer\.example\.gov\.cn/console/signin\?token=([A-Za-z0-9_-]{43})", replies[0].text
    )
    assert match is not None, replies[0].text
    assert "5 分钟" in replies[0].text
    token = match.group(1)
    async with world.storage() as uow:
        assert (await uow.web.redeem_link(token, clock())) == (TokenState.UNKNOWN, None)  # not kept as is
        audit = await uow.web.audit_trail()
    assert [(a.officer_id, a.action) for a in audit] == [("wu_bin", "link_sent")]
    assert "已退出网页控制台（结束 1 个" in own(await world.say(WU, "/web logout"))
    async with world.storage() as uow:
        state, _ = await uow.web.redeem_link(token_hash(token), clock())
    assert state is TokenState.REVOKED


async def test_web_is_for_staff_and_says_when_the_console_is_off(settings: Settings, clock: Clock) -> None:
    world = await make_world(settings, clock)
    assert "网页控制台" in own(await world.say(WU, "/web"))
    assert "web.enabled" in own(await world.say(WU, "/web"))
    assert "/web" in own(await world.say(XINYUAN, "/web"))  # refused to an enterprise's contact
    async with world.storage() as uow:
        assert await uow.web.audit_trail() == []
