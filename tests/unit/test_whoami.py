"""Issue 21 item 6: /whoami works on every channel, not only in the shell."""

from __future__ import annotations

from bot.config import Settings
from bot.domain.messages import Sender
from tests.conftest import Clock
from tests.world import WANG, XINYUAN, make_world, own


async def test_whoami_names_an_officer_and_their_department(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    answer = own(await w.say(WANG, "/whoami"))
    assert "王磊 · 区工业和信息化局" in answer
    assert "wang_lei" in answer


async def test_whoami_names_a_contacts_enterprise(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    answer = own(await w.say(XINYUAN, "/whoami"))
    assert "陈总 · 厦门鑫源精密机械有限公司" in answer


async def test_whoami_tells_an_unbound_sender_how_to_bind(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    newcomer = Sender("telegram", "5001", "张总", language="en")
    answer = own(await w.say(newcomer, "/whoami"))
    assert "张总" in answer
    assert "/start" in answer
