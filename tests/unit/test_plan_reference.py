"""The ladder's plans and the calendar's deadlines, against the straightforward implementations they
replaced (kept here as the reference): the running count of working time must give the very same
moments, to the microsecond, on thousands of random cases — calendars with lunch breaks or not,
holidays and make-up workdays, moments in and out of business hours, in two time zones."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.domain.escalation import (
    Clock,
    ClockedTicket,
    DueTicket,
    Ladder,
    Level,
    Nudge,
    Plan,
    plan,
    running_clocks,
)
from bot.domain.tickets import Status
from bot.domain.workcalendar import WorkingCalendar

XIAMEN = ZoneInfo("Asia/Shanghai")
CASES = 4_000


def reference_add_working_time(calendar: WorkingCalendar, moment: datetime, amount: timedelta) -> datetime:
    """Period by period from the moment on (the implementation before the running count)."""
    remaining = amount.total_seconds()
    if remaining <= 0:
        return moment
    spans = [(_seconds(start), _seconds(end)) for start, end in calendar.periods]
    day_seconds = sum(end - start for start, end in spans)
    local = moment.astimezone(calendar.timezone)
    day = local.date()
    second = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1_000_000
    while True:
        if calendar.is_working_day(day):
            if second == 0.0 and remaining > day_seconds:
                remaining -= day_seconds
            else:
                for start, end in spans:
                    begin = max(float(start), second)
                    if begin >= end:
                        continue
                    available = end - begin
                    if remaining <= available:
                        found = datetime.combine(day, time(), tzinfo=calendar.timezone) + timedelta(
                            seconds=begin + remaining
                        )
                        return found.astimezone(moment.tzinfo)
                    remaining -= available
        day, second = day + timedelta(days=1), 0.0


def reference_plan(ticket: ClockedTicket, now: datetime, calendar: WorkingCalendar, ladder: Ladder) -> Plan:
    """The ladder as it was written before it counted through the calendar's running count."""
    assert ticket.number is not None
    number = ticket.number
    nudges: list[Nudge] = []
    checks: list[datetime] = []
    for clock in running_clocks(ticket):
        found, next_check = _reference_clock(number, clock, now, calendar, ladder)
        nudges += found
        checks.append(next_check)
    return Plan(tuple(nudges), min(checks) if checks else None)


def _reference_clock(
    number: int, clock: Clock, now: datetime, calendar: WorkingCalendar, ladder: Ladder
) -> tuple[list[Nudge], datetime]:
    def nudge(level: Level, repeat: int, left: timedelta) -> Nudge:
        return Nudge(number, clock.kind, clock.due_at, level, repeat, left)

    if now < clock.due_at:
        total = calendar.working_time_between(clock.started_at, clock.due_at)
        elapsed = calendar.working_time_between(clock.started_at, now)
        threshold = total * ladder.warn_at
        if elapsed >= threshold:
            return [nudge(Level.WARN, 0, total - elapsed)], clock.due_at
        return [], reference_add_working_time(calendar, now, threshold - elapsed)
    overdue = calendar.working_time_between(clock.due_at, now)
    repeat = ladder.repeat_number(overdue)
    found = [nudge(Level.REMIND, repeat, -overdue)]
    upcoming = [ladder.repeat_at(repeat + 1)]
    for level, after in (
        (Level.SUPERVISE, ladder.supervise_after),
        (Level.LEADERSHIP, ladder.leadership_after),
    ):
        if overdue >= after:
            found.append(nudge(level, 0, -overdue))
        else:
            upcoming.append(after)
    return found, reference_add_working_time(calendar, clock.due_at, min(upcoming))


def _seconds(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def _calendar(rng: random.Random) -> WorkingCalendar:
    shape = rng.choice(
        [
            ((time(9), time(12)), (time(13, 30), time(18))),
            ((time(8, 30), time(17, 30)),),
            ((time(0), time(6)), (time(7), time(12, 0, 1)), (time(20), time(23, 59, 59))),
        ]
    )
    weekdays = frozenset(rng.sample(range(7), rng.randint(1, 7)))
    days = [date(2026, 1, 1) + timedelta(days=rng.randrange(400)) for _ in range(40)]
    holidays = frozenset(days[:20])
    workdays = frozenset(days[20:]) - holidays
    return WorkingCalendar(
        timezone=XIAMEN, periods=shape, weekdays=weekdays, holidays=holidays, workdays=workdays
    )


def _moment(rng: random.Random) -> datetime:
    local = datetime(2026, 1, 1, tzinfo=XIAMEN) + timedelta(
        days=rng.randrange(360),
        seconds=rng.randrange(86_400),
        microseconds=rng.choice([0, rng.randrange(10**6)]),
    )
    if rng.random() < 0.3:  # exactly on a period's edge, where "the end, not the next start" matters
        local = local.replace(
            hour=rng.choice([9, 12, 13, 18, 0, 8, 17]), minute=rng.choice([0, 30]), second=0, microsecond=0
        )
    return local.astimezone(UTC) if rng.random() < 0.5 else local


def _amount(rng: random.Random, calendar: WorkingCalendar) -> timedelta:
    return rng.choice(
        [
            timedelta(microseconds=rng.randrange(1, 40 * 3_600 * 10**6)),
            timedelta(hours=rng.choice([2, 4, 7.5, 8, 15, 22.5])),
            calendar.day_length * rng.randint(1, 30),
            timedelta(hours=7.5) * rng.random(),
            timedelta(0),
        ]
    )


def test_deadlines_from_the_running_count_are_those_walked_period_by_period() -> None:
    rng = random.Random(22)
    for _ in range(CASES // 20):
        calendar = _calendar(rng)
        for _ in range(20):
            moment, amount = _moment(rng), _amount(rng, calendar)
            expected = reference_add_working_time(calendar, moment, amount)
            found = calendar.add_working_time(moment, amount)
            assert found.tzinfo == expected.tzinfo
            assert _same_deadline(calendar, found, expected), (calendar, moment, amount)


def test_plans_are_those_of_the_ladder_as_first_written(settings: Settings) -> None:
    rng = random.Random(3)
    ladder = Ladder()
    calendars = [settings.working_calendar()] + [_calendar(rng) for _ in range(5)]
    for case in range(CASES):
        calendar = calendars[case % len(calendars)]
        opened = _moment(rng)
        ticket = DueTicket(
            number=case + 1,
            version=1,
            status=rng.choice([Status.DISPATCHED, Status.IN_PROGRESS, Status.SIGNED, Status.RETURNED]),
            department_id="industry_it",
            assignee_id=None,
            created_at=opened,
            sign_by=opened + timedelta(hours=rng.uniform(1, 60)) if rng.random() < 0.8 else None,
            respond_by=opened + timedelta(hours=rng.uniform(1, 120)),
            resolve_by=opened + timedelta(hours=rng.uniform(1, 600)),
            signed_at=None if rng.random() < 0.5 else opened,
            first_contact_at=None if rng.random() < 0.5 else opened,
            paused_at=None if rng.random() < 0.8 else opened,
            check_at=opened,
        )
        now = opened + timedelta(hours=rng.uniform(0, 900), microseconds=rng.randrange(10**6))
        found, expected = plan(ticket, now, calendar, ladder), reference_plan(ticket, now, calendar, ladder)
        assert found.nudges == expected.nudges, case
        assert _same_deadline(calendar, found.next_check, expected.next_check), case


def _same_deadline(calendar: WorkingCalendar, found: datetime | None, expected: datetime | None) -> bool:
    """The same moment; or, where the reference's floating-point seconds came out a hair over a
    period's end (errors summed over the days walked), the next period's start, which the running
    count (whole microseconds) gives as that period's end, as the calendar's rule says: the same
    working moment, with no working time between the two."""
    if found == expected or found is None or expected is None:
        return found == expected
    local = expected.astimezone(calendar.timezone)
    at_period_start = local.timetz().replace(tzinfo=None) in {start for start, _ in calendar.periods}
    ends = {end for _, end in calendar.periods}
    at_period_end = found.astimezone(calendar.timezone).timetz().replace(tzinfo=None) in ends
    return (
        at_period_start
        and at_period_end
        and found < expected
        and calendar.working_time_between(found, expected) == timedelta(0)
    )


def test_only_a_hair_over_a_period_end_may_differ() -> None:
    """The allowance above is no blanket: a moment one microsecond off is a different deadline."""
    calendar = WorkingCalendar(timezone=XIAMEN)
    end, next_start = datetime(2026, 11, 27, 18, tzinfo=XIAMEN), datetime(2026, 11, 30, 9, tzinfo=XIAMEN)
    assert _same_deadline(calendar, end, next_start)
    assert not _same_deadline(calendar, end - timedelta(microseconds=1), next_start)
    assert not _same_deadline(calendar, next_start, end)
    assert not _same_deadline(calendar, end, next_start + timedelta(microseconds=1))


def reference_repeat_number(ladder: Ladder, overdue: timedelta) -> int:
    """The backoff walked step by step (the implementation before the ladder's table)."""
    number, passed, step = 0, timedelta(0), ladder.repeat_first
    while passed + step <= overdue:
        if step >= ladder.repeat_max:
            return number + 1 + int((overdue - passed - ladder.repeat_max) / ladder.repeat_max)
        passed += step
        number += 1
        step = min(step * ladder.repeat_factor, ladder.repeat_max)
    return number


def reference_repeat_at(ladder: Ladder, number: int) -> timedelta:
    passed, step = timedelta(0), ladder.repeat_first
    for done in range(number):
        if step >= ladder.repeat_max:
            return passed + ladder.repeat_max * (number - done)
        passed += step
        step = min(step * ladder.repeat_factor, ladder.repeat_max)
    return passed


def test_the_backoff_table_gives_the_walked_reminder_numbers_and_times() -> None:
    rng = random.Random(7)
    for _ in range(300):
        ladder = Ladder(
            repeat_first=timedelta(minutes=rng.choice([1, 30, 120, 333, 900, 1200])),
            repeat_factor=rng.choice([1.0, 1.01, 1.5, 2.0, 3.7]),
            repeat_max=timedelta(minutes=rng.choice([60, 900, 901, 5000])),
        )
        for _ in range(30):
            overdue = timedelta(microseconds=rng.randrange(-(10**9), 400 * 3_600 * 10**6))
            number = rng.randrange(0, 200)
            assert ladder.repeat_number(overdue) == reference_repeat_number(ladder, overdue), (
                ladder,
                overdue,
            )
            assert ladder.repeat_at(number) == reference_repeat_at(ladder, number), (ladder, number)
            edge = reference_repeat_at(ladder, number)  # exactly when a reminder falls due, and just before
            for at in (edge, edge - timedelta(microseconds=1)):
                assert ladder.repeat_number(at) == reference_repeat_number(ladder, at), (ladder, at)
