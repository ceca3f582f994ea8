"""The reminder sweep's storage contract, on SQLite and PostgreSQL: tickets due a look
(paged in order, moved on by the sweep, brought back by any change), and the nudge ledger that
lets exactly one of several instances send each nudge."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.domain.escalation import DueTicket, NudgeKey, SentReminder, reminders_before
from bot.domain.tickets import Status, Ticket, TicketGist
from storage.protocols import UnitOfWorkFactory
from storage.tables import TICKET_CHECKS
from tests import builders
from tests.conftest import NOW

MINUTE = timedelta(minutes=1)


async def _tickets(
    storage: UnitOfWorkFactory, *changed_minutes_ago: int, status: Status = Status.DISPATCHED
) -> list[Ticket]:
    async with storage() as uow:
        if await uow.enterprises.get("acme") is None:
            await uow.enterprises.add(builders.enterprise("acme"))
        contact = await uow.contacts.add(
            builders.contact("acme", external_id=f"u{len(changed_minutes_ago)}{status}")
        )
        assert contact.id is not None
        added = []
        for minutes in changed_minutes_ago:
            at = NOW - minutes * MINUTE
            added.append(await uow.tickets.add(builders.ticket(contact.id, at=at, status=status)))
        await uow.commit()
    return added


def _key(ticket: Ticket, level: str = "remind", repeat: int = 0) -> NudgeKey:
    assert ticket.number is not None
    return NudgeKey(ticket.number, "resolve", ticket.resolve_by, level, repeat)


async def test_open_tickets_are_due_in_order_of_their_check_time_and_paged(
    storage: UnitOfWorkFactory,
) -> None:
    first, second, third = await _tickets(storage, 30, 20, 10)
    await _tickets(storage, 40, status=Status.CLOSED)
    async with storage() as uow:
        # what the ladder needs of each, read column by column, and the check time
        assert await uow.reminders.due(NOW) == [
            DueTicket.of(first, first.updated_at),
            DueTicket.of(second, second.updated_at),
            DueTicket.of(third, third.updated_at),
        ]
        assert [t.number for t in await uow.reminders.due(NOW - 15 * MINUTE)] == [
            first.number,
            second.number,
        ]
        page = await uow.reminders.due(NOW, limit=2)
        rest = await uow.reminders.due(NOW, after=(page[-1].check_at, page[-1].number), limit=2)
        assert [t.number for t in rest] == [third.number]
        # the few the sweep's messages describe, in full
        assert await uow.tickets.many([third.number or 0, first.number or 0, 999]) == [first, third]
    assert await _read_back(storage, first) == first


async def test_a_due_ticket_is_read_with_each_clock_in_its_place(storage: UnitOfWorkFactory) -> None:
    """Every time and name differs, so a column read into the wrong field would show."""
    async with storage() as uow:
        await uow.enterprises.add(builders.enterprise("acme"))
        contact = await uow.contacts.add(builders.contact("acme"))
        assert contact.id is not None
        opened = NOW - 300 * MINUTE
        ticket = await uow.tickets.add(
            builders.ticket(
                contact.id,
                at=opened,
                status=Status.WAITING_ENTERPRISE,
                department_id="industry_it",
                assignee_id="wang_lei",
                sign_by=opened + 10 * MINUTE,
                respond_by=opened + 20 * MINUTE,
                resolve_by=opened + 30 * MINUTE,
                signed_at=opened + 1 * MINUTE,
                first_contact_at=opened + 2 * MINUTE,
                paused_at=opened + 3 * MINUTE,
                updated_at=opened + 4 * MINUTE,
                version=0,
            )
        )
        await uow.commit()
    async with storage() as uow:
        [due] = await uow.reminders.due(NOW)
    assert due == DueTicket.of(ticket, opened + 4 * MINUTE)
    assert (due.sign_by, due.respond_by, due.resolve_by) == (
        opened + 10 * MINUTE,
        opened + 20 * MINUTE,
        opened + 30 * MINUTE,
    )
    assert (due.signed_at, due.first_contact_at, due.paused_at) == (
        opened + 1 * MINUTE,
        opened + 2 * MINUTE,
        opened + 3 * MINUTE,
    )
    assert (due.status, due.department_id, due.assignee_id) == (
        Status.WAITING_ENTERPRISE,
        "industry_it",
        "wang_lei",
    )


# A new value for each column of the ticket that its check row copies (TicketCheckRow), each
# leaving the ticket open and due.
_CHANGED: dict[str, Any] = {
    "status": Status.IN_PROGRESS,
    "department_id": "finance_office",
    "assignee_id": "wu_bin",
    "created_at": NOW - 600 * MINUTE,
    "sign_by": NOW - 5 * MINUTE,
    "respond_by": NOW + 7 * MINUTE,
    "resolve_by": NOW + 9 * MINUTE,
    "signed_at": NOW - 6 * MINUTE,
    "first_contact_at": NOW - 4 * MINUTE,
    "paused_at": NOW - 3 * MINUTE,
}


def test_each_column_the_check_row_copies_has_a_change_below() -> None:
    copied = set(TICKET_CHECKS.c.keys()) - {"ticket_id", "ticket_version", "next_check_at"}
    assert copied == set(_CHANGED)


@pytest.mark.parametrize("name", sorted(_CHANGED))
async def test_the_sweep_reads_each_copied_column_as_the_last_write_left_it(
    storage: UnitOfWorkFactory, name: str
) -> None:
    """The sweep reads a due ticket from its check row alone: a change of any column it copies,
    made through the tickets repository as every change is, is what the sweep sees next."""
    [ticket] = await _tickets(storage, 30)
    async with storage() as uow:
        await uow.reminders.reschedule([(ticket, None)])  # nothing to look at until it changes
        changed = await uow.tickets.update(replace(ticket, updated_at=NOW - MINUTE, **{name: _CHANGED[name]}))
        await uow.commit()
    assert getattr(changed, name) != getattr(ticket, name)
    async with storage() as uow:
        assert await uow.reminders.due(NOW) == [DueTicket.of(changed, NOW - MINUTE)]


async def test_the_sweep_moves_a_check_on_and_a_change_brings_it_back(storage: UnitOfWorkFactory) -> None:
    soon, never = await _tickets(storage, 30, 20)
    async with storage() as uow:
        await uow.reminders.reschedule([(soon, NOW + 60 * MINUTE), (never, None)])
        await uow.commit()
    async with storage() as uow:
        assert await uow.reminders.due(NOW) == []
        assert [t.number for t in await uow.reminders.due(NOW + 60 * MINUTE)] == [soon.number]
        changed = await uow.tickets.update(replace(never, status=Status.SIGNED, updated_at=NOW))
        await uow.commit()
    async with storage() as uow:
        assert [(t.number, t.status) for t in await uow.reminders.due(NOW)] == [(never.number, Status.SIGNED)]
        # a sweep that read the ticket before that change does not hide it again
        await uow.reminders.reschedule([(never, None)])
        await uow.commit()
    async with storage() as uow:
        assert [(t.number, t.check_at) for t in await uow.reminders.due(NOW)] == [(changed.number, NOW)]


async def test_a_page_is_claimed_and_moved_on_in_one_go_as_in_two(storage: UnitOfWorkFactory) -> None:
    first, second, changed_since = await _tickets(storage, 30, 20, 10)
    claimed_before = _key(second)
    async with storage() as uow:
        await uow.reminders.claim([claimed_before], NOW)
        await uow.tickets.update(replace(changed_since, status=Status.SIGNED, updated_at=NOW - MINUTE))
        await uow.commit()
    keys = [_key(first), claimed_before, _key(second, "supervise"), _key(first)]
    checks = [(first, NOW + 60 * MINUTE), (second, None), (changed_since, NOW + 60 * MINUTE)]
    async with storage() as uow:
        # ours: the first's reminder (once) and the second's supervision; not the key claimed before
        assert await uow.reminders.claim_and_reschedule(keys, NOW, checks) == [True, False, True, False]
        await uow.commit()
    async with storage() as uow:
        assert await uow.reminders.claimed(keys) == set(keys)
        # the page's checks moved on, but not the one whose ticket changed after it was read
        assert [t.number for t in await uow.reminders.due(NOW)] == [changed_since.number]
        assert [t.number for t in await uow.reminders.due(NOW + 60 * MINUTE)] == [
            changed_since.number,
            first.number,
        ]
    async with storage() as uow:  # every key claimed: the usual sweep's answer
        fresh = [_key(first, repeat=1), _key(second, repeat=1)]
        assert await uow.reminders.claim_and_reschedule(fresh, NOW, checks[:2]) == [True, True]
        assert await uow.reminders.claim_and_reschedule([], NOW, []) == []


async def test_a_deadline_and_a_check_time_are_kept_to_the_microsecond(storage: UnitOfWorkFactory) -> None:
    first, second = await _tickets(storage, 30, 20)
    odd = [
        datetime(2026, 11, 23, 1, 2, 3, 456789, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2199, 1, 1, 0, 0, 0, 1, tzinfo=ZoneInfo("Asia/Shanghai")),  # any aware zone
    ]
    keys = [NudgeKey(first.number or 0, "resolve", due, "remind", 0) for due in odd]
    check = NOW + timedelta(minutes=5, microseconds=7)
    async with storage() as uow:
        assert (
            await uow.reminders.claim_and_reschedule(keys, NOW, [(first, check), (second, None)])
            == [True] * 3
        )
        await uow.commit()
    async with storage() as uow:
        assert await uow.reminders.claimed(keys) == set(keys)  # stored as sent, to the microsecond
        assert await uow.reminders.claim(keys, NOW) == [False] * 3  # and so known again
        assert await uow.reminders.due(check - timedelta(microseconds=1)) == []
        assert [(t.number, t.check_at) for t in await uow.reminders.due(check)] == [(first.number, check)]


async def test_the_tickets_a_reminder_names_are_read_as_they_are_now(storage: UnitOfWorkFactory) -> None:
    first, second = await _tickets(storage, 30, 20)
    async with storage() as uow:
        await uow.tickets.update(replace(second, confidential=True, assignee_id="wang_lei", updated_at=NOW))
        await uow.commit()
    async with storage() as uow:
        gists = await uow.reminders.described([second.number or 0, first.number or 0, 999, first.number or 0])
        assert sorted(gists) == [
            TicketGist(first.number or 0, first.text, False, first.assignee_id),
            TicketGist(second.number or 0, second.text, True, "wang_lei"),
        ]
        assert await uow.reminders.described([]) == []


async def test_a_closed_ticket_is_never_due_and_a_reopened_one_is_again(storage: UnitOfWorkFactory) -> None:
    [ticket] = await _tickets(storage, 30)
    async with storage() as uow:
        closed = await uow.tickets.update(replace(ticket, status=Status.CLOSED, updated_at=NOW - MINUTE))
        await uow.commit()
    async with storage() as uow:
        assert await uow.reminders.due(NOW + 60 * MINUTE) == []
        reopened = await uow.tickets.update(replace(closed, status=Status.REOPENED, updated_at=NOW))
        await uow.commit()
    async with storage() as uow:
        assert [(t.number, t.version, t.check_at) for t in await uow.reminders.due(NOW)] == [
            (reopened.number, reopened.version, NOW)
        ]


async def test_a_nudge_is_claimed_once(storage: UnitOfWorkFactory) -> None:
    [ticket] = await _tickets(storage, 5)
    remind, again = _key(ticket), _key(ticket, repeat=1)
    async with storage() as uow:
        assert await uow.reminders.claim([remind], NOW) == [True]
        await uow.commit()
    async with storage() as uow:
        assert await uow.reminders.claimed([remind, again]) == {remind}
        assert await uow.reminders.claim([remind, again], NOW) == [False, True]
        await uow.commit()
    moved = NudgeKey(remind.ticket, remind.kind, remind.due_at + timedelta(days=3), remind.level, 0)
    async with storage() as uow:
        assert await uow.reminders.claim([moved], NOW) == [True]  # a moved deadline: a new round


async def test_a_key_repeated_in_one_claim_is_claimed_at_its_first_place(storage: UnitOfWorkFactory) -> None:
    [ticket] = await _tickets(storage, 5)
    remind, again = _key(ticket), _key(ticket, repeat=1)
    async with storage() as uow:
        assert await uow.reminders.claim([again, remind, again, remind], NOW) == [True, True, False, False]
        assert await uow.reminders.claim([remind, again], NOW) == [False, False]


async def test_earlier_reminders_count_those_sent_about_the_same_limit_and_deadline(
    storage: UnitOfWorkFactory,
) -> None:
    first, second = await _tickets(storage, 5, 4)
    moved = NudgeKey(first.number or 0, "resolve", first.resolve_by + timedelta(days=3), "remind", 0)
    async with storage() as uow:
        sent = [_key(first, repeat=0), _key(first, repeat=2), _key(first, "supervise", 1), moved]
        sent += [NudgeKey(first.number or 0, "sign", first.resolve_by, "remind", 0), _key(second, repeat=1)]
        await uow.reminders.claim(sent, NOW)
        await uow.reminders.claim_digest("officer", "wang_lei", NOW.date(), NOW)
        asked = [_key(first, repeat=3), _key(first, repeat=2), _key(first, repeat=1), _key(first, repeat=0)]
        asked += [_key(second, repeat=5), NudgeKey(moved.ticket, moved.kind, moved.due_at, "remind", 4)]
        # below 3: numbers 0 and 2; below 2 and 1: number 0; none below 0; the other ticket's, the
        # moved deadline's own; never another level, limit, ticket or deadline
        assert await uow.reminders.earlier_reminders(asked) == [2, 1, 1, 0, 1, 1]
        assert await uow.reminders.earlier_reminders([]) == []


async def test_a_sweep_of_one_page_reads_its_tickets_and_their_reminders_together(
    storage: UnitOfWorkFactory,
) -> None:
    first, second = await _tickets(storage, 5, 4)
    async with storage() as uow:
        await uow.tickets.update(replace(second, confidential=True, assignee_id="wang_lei", updated_at=NOW))
        sent = [
            _key(first, repeat=0),
            _key(first, repeat=2),
            _key(first, "supervise", 1),
            _key(second, repeat=1),
        ]
        await uow.reminders.claim(sent, NOW)
        await uow.reminders.claim_digest("officer", "wang_lei", NOW.date(), NOW)
        gists, reminders = await uow.reminders.for_messages([second.number or 0, first.number or 0, 999])
        assert sorted(gists) == [
            TicketGist(first.number or 0, first.text, False, first.assignee_id),
            TicketGist(second.number or 0, second.text, True, "wang_lei"),
        ]
        # the sweep's reminders only: not its supervision, not a digest
        assert sorted(reminders) == sorted(
            SentReminder(key.ticket, key.kind, key.due_at, key.repeat)
            for key in sent
            if key.level == "remind"
        )
        asked = [_key(first, repeat=3), _key(first, repeat=1), _key(second, repeat=2), _key(second, repeat=1)]
        assert (
            reminders_before(asked, reminders) == await uow.reminders.earlier_reminders(asked) == [2, 1, 1, 0]
        )
        assert await uow.reminders.for_messages([]) == ([], [])


async def test_a_claim_not_committed_is_released(storage: UnitOfWorkFactory) -> None:
    [ticket] = await _tickets(storage, 5)
    async with storage() as uow:
        assert await uow.reminders.claim([_key(ticket)], NOW) == [True]
    async with storage() as uow:
        assert await uow.reminders.claimed([_key(ticket)]) == set()
        assert await uow.reminders.claim([_key(ticket)], NOW) == [True]


async def test_concurrent_claims_share_out_the_nudges(storage: UnitOfWorkFactory) -> None:
    tickets = await _tickets(storage, 5, 4, 3, 2, 1)
    keys = [_key(t, repeat=r) for t in tickets for r in range(3)]

    async def claim(order: list[NudgeKey]) -> set[NudgeKey]:
        async with storage() as uow:
            won = await uow.reminders.claim(order, NOW)
            await asyncio.sleep(0)  # let the other claimant run before this one commits
            await uow.commit()
        return {key for key, ours in zip(order, won, strict=True) if ours}

    first, second = await asyncio.gather(claim(keys), claim(list(reversed(keys))))
    assert first | second == set(keys)
    assert first & second == set()


async def test_tickets_reported_upward_are_listed_while_open(storage: UnitOfWorkFactory) -> None:
    reported, closed, reminded = await _tickets(storage, 3, 2, 1)
    async with storage() as uow:
        await uow.reminders.claim(
            [
                _key(reported, "leadership"),
                _key(reported, "leadership", 1),
                _key(closed, "leadership"),
                _key(reminded),
            ],
            NOW,
        )
        await uow.tickets.update(replace(closed, status=Status.CLOSED, closed_at=NOW, updated_at=NOW))
        await uow.commit()
    async with storage() as uow:
        assert [t.number for t in await uow.reminders.reported()] == [reported.number]


async def test_a_digest_goes_out_once_a_day_per_person(storage: UnitOfWorkFactory) -> None:
    today, tomorrow = date(2026, 11, 23), date(2026, 11, 24)
    async with storage() as uow:
        assert await uow.reminders.claim_digest("officer", "wang_lei", today, NOW)
        assert not await uow.reminders.claim_digest("officer", "wang_lei", today, NOW)
        assert await uow.reminders.claim_digest("officer", "wu_bin", today, NOW)
        assert await uow.reminders.claim_digest("leaders", "wang_lei", today, NOW)
        await uow.commit()
    async with storage() as uow:
        assert not await uow.reminders.claim_digest("officer", "wang_lei", today, NOW)
        assert await uow.reminders.claim_digest("officer", "wang_lei", tomorrow, NOW)


async def _read_back(storage: UnitOfWorkFactory, ticket: Ticket) -> Ticket | None:
    async with storage() as uow:
        return await uow.tickets.get(ticket.number or 0)


async def test_the_leadership_list_puts_the_most_overdue_first_and_leaves_answered_ones_out(
    storage: UnitOfWorkFactory,
) -> None:
    later, earlier, answered = await _tickets(storage, 3, 2, 1)
    async with storage() as uow:
        await uow.reminders.claim([_key(t, "leadership") for t in (later, earlier, answered)], NOW)
        await uow.tickets.update(replace(later, resolve_by=NOW + MINUTE * 60, updated_at=NOW))
        await uow.tickets.update(replace(earlier, resolve_by=NOW - MINUTE * 600, updated_at=NOW))
        await uow.tickets.update(replace(answered, status=Status.SURVEY, updated_at=NOW))
        await uow.commit()
    async with storage() as uow:
        listed = [t.number for t in await uow.reminders.reported()]
    assert listed == [earlier.number, later.number]
