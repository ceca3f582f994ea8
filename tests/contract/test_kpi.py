"""KPI counts are the same on SQLite and PostgreSQL, and mean what bot.domain.kpi says they mean."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.domain.kpi import KpiCounts, rates
from bot.domain.messages import Role
from bot.domain.tickets import Action, ClosingReason, Resolution, Satisfaction, Status, TicketEvent
from storage.protocols import UnitOfWorkFactory
from tests import builders
from tests.conftest import NOW

H = timedelta(hours=1)
SINCE, UNTIL = NOW - 24 * H, NOW + 30 * 24 * H
AS_OF = UNTIL  # every limit of the tickets below has run out by then


async def test_kpi_counts(storage: UnitOfWorkFactory) -> None:
    async with storage() as uow:
        await uow.enterprises.add(builders.enterprise("acme"))
        contact = await uow.contacts.add(builders.contact("acme"))
        await uow.commit()
    assert contact.id is not None
    cid = contact.id
    on_time: dict[str, Any] = {
        "department_id": "finance_office",
        "assignee_id": "wu_bin",
        "signed_at": NOW + H,
        "first_contact_at": NOW + 2 * H,
    }
    tickets = [
        # 1: answered in time, rated resolved and satisfied, closed in time
        builders.ticket(
            cid,
            **on_time,
            status=Status.CLOSED,
            resolution=Resolution.RESOLVED,
            satisfaction=Satisfaction.SATISFIED,
            closed_at=NOW + 48 * H,
            closing_reason=ClosingReason.RESOLVED,
        ),
        # 2: signed late, reopened once, then rated partly / basically, closed late
        builders.ticket(
            cid,
            department_id="finance_office",
            assignee_id="wu_bin",
            signed_at=NOW + 30 * H,
            first_contact_at=NOW + 31 * H,
            status=Status.CLOSED,
            resolution=Resolution.PARTLY,
            satisfaction=Satisfaction.BASICALLY,
            closed_at=NOW + 9 * 24 * H,
            closing_reason=ClosingReason.PARTLY_RESOLVED,
        ),
        # 3: withdrawn: dispatched, but not counted as closed by handling
        builders.ticket(
            cid,
            department_id="finance_office",
            status=Status.CLOSED,
            closed_at=NOW + H,
            closing_reason=ClosingReason.WITHDRAWN,
        ),
        # 4: opened before the period: not counted at all
        builders.ticket(cid, at=NOW - 10 * 24 * H, **on_time, status=Status.DISPATCHED),
        # 5: surveyed, never rated, closed in time
        builders.ticket(
            cid,
            department_id="finance_office",
            status=Status.CLOSED,
            closed_at=NOW + 72 * H,
            closing_reason=ClosingReason.RESOLVED,
        ),
        # 6: rated "not resolved" and reopened: rated, neither resolved nor satisfied
        builders.ticket(
            cid, department_id="finance_office", status=Status.REOPENED, resolution=Resolution.NOT_RESOLVED
        ),
    ]
    events = {
        1: [Action.START_SURVEY],
        2: [Action.START_SURVEY, Action.ANSWER_RESOLUTION, Action.START_SURVEY],
        5: [Action.START_SURVEY],
    }
    async with storage() as uow:
        numbers = [(await uow.tickets.add(t)).number for t in tickets]
        for index, actions in events.items():
            number = numbers[index - 1]
            for action in actions:
                reopened = action is Action.ANSWER_RESOLUTION
                await uow.events.append(
                    TicketEvent(
                        number,
                        NOW,
                        "x",
                        Role.ENTERPRISE if reopened else Role.ADMIN,
                        action,
                        Status.SURVEY,
                        Status.REOPENED if reopened else Status.SURVEY,
                    )
                )
        await uow.commit()
    async with storage() as uow:
        counts = await uow.kpi.counts(SINCE, UNTIL, AS_OF)
    assert counts == KpiCounts(
        dispatched=5,
        responded_in_time=1,
        rated=3,
        resolved=1,
        satisfied=2,
        closed=3,
        closed_on_time=2,
        surveyed=3,
        reopened=1,
    )
    figures = rates(counts)
    assert (figures.response_rate, figures.resolution_rate, figures.satisfaction_rate) == (0.2, 1 / 3, 2 / 3)
    assert figures.on_time_rate == 2 / 3
    assert figures.reopen_rate == 1 / 3


def test_no_data_is_not_zero() -> None:
    assert rates(KpiCounts()).satisfaction_rate is None


async def test_on_time_counts_the_answer_and_response_the_signing_deadline(
    storage: UnitOfWorkFactory,
) -> None:
    async with storage() as uow:
        await uow.enterprises.add(builders.enterprise("acme"))
        contact = await uow.contacts.add(builders.contact("acme"))
        await uow.commit()
    assert contact.id is not None
    closed: dict[str, Any] = {
        "department_id": "finance_office",
        "assignee_id": "wu_bin",
        "status": Status.CLOSED,
        "resolution": Resolution.RESOLVED,
        "satisfaction": Satisfaction.SATISFIED,
        "closing_reason": ClosingReason.RESOLVED,
        "resolve_by": NOW + 7 * 24 * H,
        "closed_at": NOW + 8 * 24 * H,  # the enterprise rated a day after the deadline
        "sign_by": NOW + 4 * H,
    }
    answered_in_time = builders.ticket(contact.id, **closed, signed_at=NOW + H, first_contact_at=NOW + 2 * H)
    # signed after its signing deadline (though before the response deadline): not responded in time
    signed_late = builders.ticket(contact.id, **closed, signed_at=NOW + 5 * H, first_contact_at=NOW + 6 * H)
    async with storage() as uow:
        first = await uow.tickets.add(answered_in_time)
        second = await uow.tickets.add(signed_late)
        for ticket, answered in ((first, NOW + 6 * 24 * H), (second, NOW + 8 * 24 * H)):
            await uow.events.append(
                TicketEvent(
                    ticket.number,
                    answered,
                    "wu_bin",
                    Role.OFFICER,
                    Action.RESOLVE,
                    Status.IN_PROGRESS,
                    Status.REPLIED,
                )
            )
        await uow.commit()
    async with storage() as uow:
        counts = await uow.kpi.counts(SINCE, UNTIL, AS_OF)
    assert counts.closed == 2
    assert counts.closed_on_time == 1  # the first was answered in time; its rating came late
    assert counts.responded_in_time == 1  # the second was signed after its signing deadline


async def test_a_response_still_within_its_limits_is_not_counted_either_way(
    storage: UnitOfWorkFactory,
) -> None:
    """Counted at NOW + 5 h, of tickets due to be signed for by NOW + 4 h (or at NOW + 5 h, the
    moment itself) and contacted by NOW + 24 h."""
    async with storage() as uow:
        await uow.enterprises.add(builders.enterprise("acme"))
        contact = await uow.contacts.add(builders.contact("acme"))
        await uow.commit()
    assert contact.id is not None
    dispatched: dict[str, Any] = {"department_id": "finance_office", "status": Status.DISPATCHED}
    limits = {"sign_by": NOW + 4 * H}
    tickets = {
        "signed, not yet contacted: pending": dict(**dispatched, **limits, signed_at=NOW + H),
        "signing limit is now: pending": dict(**dispatched, sign_by=NOW + 5 * H),
        "signed late, not yet contacted: failed": dict(**dispatched, **limits, signed_at=NOW + 4.5 * H),
        "not signed, limit passed: failed": dict(**dispatched, **limits),
        "both done in time: responded": dict(
            **dispatched, **limits, signed_at=NOW + H, first_contact_at=NOW + 2 * H
        ),
        "not dispatched: not counted": {"sign_by": NOW + 4 * H},
    }
    async with storage() as uow:
        for fields in tickets.values():
            await uow.tickets.add(builders.ticket(contact.id, at=NOW, **fields))
        await uow.commit()
    async with storage() as uow:
        counts = await uow.kpi.counts(SINCE, UNTIL, NOW + 5 * H)
        later = await uow.kpi.counts(SINCE, UNTIL, AS_OF)
    assert (counts.dispatched, counts.responded_in_time, counts.response_pending) == (5, 1, 2)
    assert rates(counts).response_rate == 1 / 3
    # a day later every limit has run out: the two pending ones failed
    assert (later.responded_in_time, later.response_pending) == (1, 0)
    assert rates(later).response_rate == 1 / 5
