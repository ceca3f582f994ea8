"""Issue 21 item 18: a reminder's number counts the reminders really sent, and a ticket with
several limits past gets one line, not one per limit."""

from __future__ import annotations

from bot.config import Settings
from handlers import reminders
from tests.conftest import Clock
from tests.unit.test_reminders import at
from tests.world import DEMAND, XINYUAN, make_world


async def test_the_first_reminder_is_not_numbered_and_a_ticket_gets_one_line(
    settings: Settings, clock: Clock
) -> None:
    clock.now = at(2026, 11, 23, 10, 0)  # a Monday: urgent, so sign, contact and resolve all today
    w = await make_world(settings, clock)
    await w.say(XINYUAN, DEMAND)  # nobody signs for it
    clock.now = at(2026, 11, 26, 10, 0)  # days later: the sweep ran for the first time
    for dry_run in (True, False):
        result = await reminders.sweep(w.deps, dry_run=dry_run)
        to_wang = [r.text for r in result.replies if getattr(r.to, "officer_id", None) == "wang_lei"]
        assert len(to_wang) == 1
        assert to_wang[0].startswith("🔔 催办：工单 #1"), to_wang[0]
        assert "次催办" not in to_wang[0]
        assert len(to_wang[0].splitlines()) == 1, to_wang[0]
        assert "签收已超时" in to_wang[0]  # the first limit missed is the one named
        assert "首次联系企业、办结" in to_wang[0]  # the others are mentioned, not repeated
        to_head = [r.text for r in result.replies if getattr(r.to, "officer_id", None) == "zheng_yu"]
        assert len(to_head) == 1
        assert len(to_head[0].splitlines()) == 1, to_head[0]
    clock.now = at(2026, 11, 27, 14, 0)  # the next rung of the ladder: the second reminder sent
    result = await reminders.sweep(w.deps)
    again = [r.text for r in result.replies if getattr(r.to, "officer_id", None) == "wang_lei"]
    assert len(again) == 1
    assert again[0].startswith("🔔 第2次催办：工单 #1"), again[0]
