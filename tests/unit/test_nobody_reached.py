"""Issue 14 item 6 at run time: a ticket whose notice would reach no one on the channels in use goes
to the dispatchers, and the enterprise is not told it went to a person."""

from __future__ import annotations

from dataclasses import replace

from bot.config import Settings
from bot.domain.messages import ToOfficer, ToSender
from tests.conftest import Clock
from tests.world import DEMAND, HAIYUE, XINYUAN, make_world


async def test_a_ticket_no_one_can_be_told_of_goes_to_the_dispatchers(
    settings: Settings, clock: Clock
) -> None:
    w = await make_world(settings, clock)
    directory = w.deps.directory
    # only li_na (the dispatcher) and the finance office's head are on Telegram
    directory.officers = {
        key: replace(o, identities={**o.identities, "telegram": "1"}) if key in ("li_na", "lin_hui") else o
        for key, o in directory.officers.items()
    }
    w.deps = replace(w.deps, reach_channels=frozenset({"telegram"}))

    # haiyue has no liaison: the finance office leads finance demands, and its head is reachable
    reached = await w.say(HAIYUE, DEMAND)
    [ack] = [r for r in reached if isinstance(r.to, ToSender)]
    assert "已转交 区金融工作办公室，将由专人承办" in ack.text
    assert not any(r.to == ToOfficer("li_na") for r in reached)

    # xinyuan's liaison wang_lei is on no channel in use, nor is anyone of his department
    nobody = await w.say(XINYUAN, DEMAND.replace("200万", "300万"))
    [ack] = [r for r in nobody if isinstance(r.to, ToSender)]
    assert "专人承办" not in ack.text
    assert "王磊" not in ack.text
    assert "正在为您安排承办部门" in ack.text
    [alert] = [r for r in nobody if r.to == ToOfficer("li_na")]
    assert "联系不到该部门的任何人" in alert.text
    assert "区工业和信息化局" in alert.text


async def test_in_the_shell_everyone_is_reachable(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)  # reach_channels None: the console reaches every officer
    replies = await w.say(XINYUAN, DEMAND)
    [ack] = [r for r in replies if isinstance(r.to, ToSender)]
    assert "王磊" in ack.text
