"""The report's storage queries give the same figures on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.domain.report import VolumeCount
from bot.domain.tickets import ClosingReason, Status, Ticket
from storage.protocols import UnitOfWorkFactory
from tests import builders
from tests.conftest import NOW

H = timedelta(hours=1)
D = timedelta(days=1)
SINCE, UNTIL = NOW - D, NOW + 30 * D
AS_OF = NOW + 20 * D


async def _store(storage: UnitOfWorkFactory, tickets: list[Ticket]) -> list[int]:
    async with storage() as uow:
        await uow.enterprises.add(builders.enterprise("acme"))
        contact = await uow.contacts.add(builders.contact("acme"))
        assert contact.id is not None
        numbers = []
        for ticket in tickets:
            stored = await uow.tickets.add(replace(ticket, contact_id=contact.id))
            assert stored.number is not None
            numbers.append(stored.number)
        await uow.commit()
    return numbers


def closed(at_days: float, reason: ClosingReason = ClosingReason.RESOLVED, **kw: Any) -> Ticket:
    """Opened at NOW (resolve_by NOW + 7 days), closed `at_days` after opening."""
    return builders.ticket(status=Status.CLOSED, closed_at=NOW + at_days * D, closing_reason=reason, **kw)


async def test_volume_counts_each_category_and_department_pair(storage: UnitOfWorkFactory) -> None:
    await _store(
        storage,
        [
            builders.ticket(category="finance", department_id="finance_office"),
            builders.ticket(category="finance", department_id="finance_office"),
            builders.ticket(category="finance", department_id="industry_it"),
            builders.ticket(category=None, department_id=None),
            closed(1, ClosingReason.WITHDRAWN, category="tax", department_id="tax_bureau"),  # still demand
            builders.ticket(at=NOW - 2 * D, category="tax", department_id="tax_bureau"),  # before the period
            builders.ticket(at=UNTIL, category="tax", department_id="tax_bureau"),  # the end is excluded
        ],
    )
    async with storage() as uow:
        volume = await uow.reports.volume(SINCE, UNTIL)
    assert sorted(volume, key=lambda v: (v.category or "", v.department_id or "")) == [
        VolumeCount(None, None, 1),
        VolumeCount("finance", "finance_office", 2),
        VolumeCount("finance", "industry_it", 1),
        VolumeCount("tax", "tax_bureau", 1),
    ]


async def test_resolve_times_sum_the_tickets_closed_by_handling(storage: UnitOfWorkFactory) -> None:
    await _store(
        storage,
        [
            closed(2),  # 2 days
            closed(3.5, ClosingReason.PARTLY_RESOLVED),  # 3.5 days
            closed(0.25, ClosingReason.NOT_OUR_RESPONSIBILITY),  # 6 hours
            closed(1, ClosingReason.WITHDRAWN),  # not handled: left out
            closed(1, ClosingReason.DUPLICATE),  # not handled: left out
            builders.ticket(status=Status.IN_PROGRESS),  # open: left out
        ],
    )
    async with storage() as uow:
        times = await uow.reports.resolve_times(SINCE, UNTIL)
        nothing = await uow.reports.resolve_times(UNTIL, UNTIL + D)
    assert times.closed == 3
    assert times.total_seconds == pytest.approx((2 + 3.5 + 0.25) * 86400, abs=0.01)
    assert times.average is not None
    assert times.average.total_seconds() == pytest.approx((2 + 3.5 + 0.25) / 3 * 86400, abs=0.01)
    assert (nothing.closed, nothing.total_seconds, nothing.average) == (0, 0.0, None)


async def test_most_overdue_measures_each_ticket_at_its_own_end(storage: UnitOfWorkFactory) -> None:
    # Every ticket is opened at NOW and due at NOW + 7 days; the report looks at NOW + 20 days.
    numbers = await _store(
        storage,
        [
            closed(9, category="tax", department_id="tax_bureau", assignee_id="guo_ping"),  # 2 days late
            closed(6),  # on time: not listed
            builders.ticket(status=Status.IN_PROGRESS),  # open: 13 days late at AS_OF
            builders.ticket(status=Status.WAITING_ENTERPRISE, paused_at=NOW + 10 * D),  # stopped 3 days late
            closed(15, ClosingReason.WITHDRAWN),  # withdrawn late: nobody handled it, not listed
            builders.ticket(status=Status.SIGNED, resolve_by=NOW + 25 * D),  # extended, not yet due
            closed(7),  # closed exactly at the deadline: on time
            closed(9.5),  # 2.5 days late
        ],
    )
    async with storage() as uow:
        overdue = await uow.reports.most_overdue(SINCE, UNTIL, AS_OF)
        top_two = await uow.reports.most_overdue(SINCE, UNTIL, AS_OF, limit=2)
    listed = [(o.number, round(o.overdue_seconds / 3600, 3)) for o in overdue]
    assert listed == [
        (numbers[2], 13 * 24),
        (numbers[3], 3 * 24),
        (numbers[7], 2.5 * 24),
        (numbers[0], 2 * 24),
    ]
    assert [o.number for o in top_two] == [numbers[2], numbers[3]]
    first_closed = overdue[3]
    assert (first_closed.category, first_closed.department_id, first_closed.assignee_id) == (
        "tax",
        "tax_bureau",
        "guo_ping",
    )
    assert first_closed.status is Status.CLOSED
    assert first_closed.closed
    assert first_closed.resolve_by == NOW + 7 * D
    assert overdue[0].status is Status.IN_PROGRESS
    assert not overdue[0].closed


async def test_ties_list_the_older_ticket_first(storage: UnitOfWorkFactory) -> None:
    numbers = await _store(storage, [closed(8), closed(8)])
    async with storage() as uow:
        overdue = await uow.reports.most_overdue(SINCE, UNTIL, AS_OF)
    assert [o.number for o in overdue] == sorted(numbers)


async def test_confidential_tickets_are_flagged(storage: UnitOfWorkFactory) -> None:
    numbers = await _store(storage, [closed(9, confidential=True), closed(8)])
    async with storage() as uow:
        overdue = await uow.reports.most_overdue(SINCE, UNTIL, AS_OF)
    assert [(o.number, o.confidential) for o in overdue] == [(numbers[0], True), (numbers[1], False)]


async def test_an_answered_ticket_is_measured_at_its_answer_not_its_rating(
    storage: UnitOfWorkFactory,
) -> None:
    from bot.domain.messages import Role
    from bot.domain.tickets import Action, TicketEvent

    # both closed 9 days after opening (2 days past the deadline); the first was answered on day 6
    answered_early, answered_late = await _store(storage, [closed(9), closed(9)])
    async with storage() as uow:
        for number, day in ((answered_early, 6), (answered_late, 8)):
            await uow.events.append(
                TicketEvent(
                    number,
                    NOW + day * D,
                    "wu_bin",
                    Role.OFFICER,
                    Action.RESOLVE,
                    Status.IN_PROGRESS,
                    Status.REPLIED,
                )
            )
        await uow.commit()
    async with storage() as uow:
        overdue = await uow.reports.most_overdue(SINCE, UNTIL, AS_OF)
    assert [(o.number, round(o.overdue_seconds / 86400)) for o in overdue] == [(answered_late, 1)]
