"""The escalation ladder: which nudges are due at a moment, and when the ticket is looked at next."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.escalation import Ladder, Level, plan, running_clocks
from bot.domain.sla import LimitKind
from bot.domain.tickets import Status, Ticket
from bot.domain.workcalendar import WorkingCalendar
from tests import builders

XIAMEN = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkingCalendar()  # Monday to Friday, 09:00-12:00 and 13:30-18:00, no holidays
LADDER = Ladder()  # warn at 75%; reminders after 0, 2, 6, 14, 29 … h; 督办 after 7.5 h; leaders 22.5 h
H = timedelta(hours=1)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=XIAMEN)


def working_ticket(**kw: object) -> Ticket:
    """Opened Monday 23 November 09:00, signed and contacted: only the resolve clock runs, due
    Tuesday 18:00 (two working days)."""
    base = builders.ticket(
        number=5,
        at=at(2026, 11, 23, 9, 0),
        status=Status.IN_PROGRESS,
        department_id="industry_it",
        assignee_id="wang_lei",
        signed_at=at(2026, 11, 23, 9, 5),
        first_contact_at=at(2026, 11, 23, 9, 10),
        resolve_by=at(2026, 11, 24, 18, 0),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overdue_hours", "number"),
    [(0, 0), (1.9, 0), (2, 1), (5.9, 1), (6, 2), (14, 3), (28.9, 3), (29, 4), (44, 5), (74, 7)],
)
def test_reminders_back_off_up_to_a_steady_pace(overdue_hours: float, number: int) -> None:
    assert LADDER.repeat_number(overdue_hours * H) == number


@pytest.mark.parametrize("number", range(9))
def test_each_reminder_is_due_when_its_number_comes_up(number: int) -> None:
    due = LADDER.repeat_at(number)
    assert LADDER.repeat_number(due) == number
    assert LADDER.repeat_number(due - timedelta(seconds=1)) == max(number - 1, 0)


def test_nothing_before_three_quarters_then_a_warning() -> None:
    ticket = working_ticket()
    quiet = plan(ticket, at(2026, 11, 24, 11, 0), CALENDAR, LADDER)
    assert quiet.nudges == ()
    # 15 working hours in all: 75% is 11.25 h after Monday 09:00, i.e. Tuesday 13:30 + 0.75 h
    assert quiet.next_check == at(2026, 11, 24, 14, 15)
    warned = plan(ticket, at(2026, 11, 24, 14, 15), CALENDAR, LADDER)
    assert [(n.kind, n.level, n.left) for n in warned.nudges] == [
        (LimitKind.RESOLVE, Level.WARN, timedelta(hours=3, minutes=45))
    ]
    assert warned.next_check == ticket.resolve_by


def test_overdue_climbs_the_ladder() -> None:
    ticket = working_ticket()
    first = plan(ticket, at(2026, 11, 25, 9, 0), CALENDAR, LADDER)  # the morning after
    assert [(n.level, n.repeat) for n in first.nudges] == [(Level.REMIND, 0)]
    assert first.next_check == at(2026, 11, 25, 11, 0)  # the second reminder, 2 h on
    supervised = plan(ticket, at(2026, 11, 26, 9, 0), CALENDAR, LADDER)  # one working day late
    assert [(n.level, n.repeat) for n in supervised.nudges] == [(Level.REMIND, 2), (Level.SUPERVISE, 0)]
    reported = plan(ticket, at(2026, 11, 30, 9, 0), CALENDAR, LADDER)  # Mon: three working days late
    assert [n.level for n in reported.nudges] == [Level.REMIND, Level.SUPERVISE, Level.LEADERSHIP]
    assert reported.nudges[0].left == -22.5 * H


def test_each_clock_runs_until_its_step_is_done() -> None:
    fresh = working_ticket(signed_at=None, first_contact_at=None, status=Status.DISPATCHED)
    assert [c.kind for c in running_clocks(fresh)] == [LimitKind.SIGN, LimitKind.CONTACT, LimitKind.RESOLVE]
    # a ticket from before sign_by existed uses the first-contact deadline for signing too
    assert running_clocks(fresh)[0].due_at == fresh.respond_by
    waiting = working_ticket(status=Status.WAITING_ENTERPRISE, paused_at=at(2026, 11, 23, 10, 0))
    assert running_clocks(waiting) == []
    for answered in (Status.REPLIED, Status.SURVEY, Status.CLOSED):
        assert running_clocks(working_ticket(status=answered)) == []
        assert (
            plan(working_ticket(status=answered), at(2026, 12, 9, 9, 0), CALENDAR, LADDER).next_check is None
        )


def test_a_moved_deadline_is_a_new_round() -> None:
    ticket = working_ticket()
    before = plan(ticket, at(2026, 11, 25, 9, 0), CALENDAR, LADDER).nudges[0]
    extended = replace(ticket, resolve_by=CALENDAR.add_working_days(ticket.resolve_by, 3))
    after = plan(extended, at(2026, 11, 27, 16, 0), CALENDAR, LADDER).nudges[0]
    assert (before.level, after.level) == (Level.REMIND, Level.WARN)
    assert before.key != after.key
    assert before.key.due_at == ticket.resolve_by
