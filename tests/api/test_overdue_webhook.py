"""`ticket.overdue` comes from the reminder sweep: written with the sweep's claim when a ticket is
first found past a limit, once (the reminders repeat, the event does not)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from bot.config import Settings
from bot.domain.webhooks import Subscription
from handlers import reminders
from tests.conftest import Clock
from tests.unit.test_reminders import at, urgent_ticket_worked_on

pytestmark = pytest.mark.usefixtures("fresh_databases")


async def test_the_sweep_tells_subscribers_once_when_a_ticket_falls_overdue(
    settings: Settings, clock: Clock
) -> None:
    w = await urgent_ticket_worked_on(settings, clock)
    async with w.storage() as uow:
        await uow.webhooks.add(
            Subscription(None, "http://127.0.0.1:9/h", "s", ("ticket.overdue",), created_at=clock.now)
        )
        await uow.webhooks.add(
            Subscription(None, "http://127.0.0.1:9/other", "s", ("ticket.closed",), created_at=clock.now)
        )
        await uow.commit()

    async def overdue() -> list[dict[str, object]]:
        async with w.storage() as uow:
            return [json.loads(m.text) for m in reversed(await uow.webhooks.deliveries())]

    clock.now = at(2026, 9, 30, 16, 8)
    await reminders.sweep(w.deps)  # a warning at 75%: not overdue yet
    assert await overdue() == []
    clock.now = at(2026, 10, 8, 9, 0)
    await reminders.sweep(w.deps, dry_run=True)  # a dry run claims nothing, tells nobody
    assert await overdue() == []
    await reminders.sweep(w.deps)
    events = await overdue()
    assert [(e["event"], e["ticket_number"], e["limit"]) for e in events] == [
        ("ticket.overdue", 1, "resolve")
    ]
    assert datetime.fromisoformat(str(events[0]["due_at"])) == at(2026, 9, 30, 18, 0)
    clock.now = at(2026, 10, 8, 11, 0)
    assert (await reminders.sweep(w.deps)).replies  # the second reminder goes out …
    assert len(await overdue()) == 1  # … but the ticket fell overdue once
