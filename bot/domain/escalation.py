"""The escalation ladder: what is due about a ticket's running clocks at a given moment.

For each clock (sign for, first contact, resolve) still running:
- 75% of its working time gone → a warning to whoever holds the ticket;
- overdue → a reminder (催办) to them, repeated with backoff (after 2, 4, 8 … working hours);
- overdue by a margin → formal supervision (督办) to the department head;
- overdue further → onto the leadership's list (their digest).

`plan` is pure: it says which nudges are due now and when something next becomes due, so the
sweep only looks at a ticket again then. Each nudge has a key (ticket, clock, deadline, level,
repeat); the ledger sends a key once. A moved deadline (extension, a wait for the enterprise) is
a new round of nudges, since its key carries the deadline.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NamedTuple, Protocol

from bot.domain.sla import LimitKind
from bot.domain.tickets import Status, Ticket
from bot.domain.workcalendar import WorkingCalendar

_BACKOFF_TABLE = 64  # growing steps kept in a ladder's table; more is a misconfiguration (walked)


class Level(StrEnum):
    WARN = "warn"
    REMIND = "remind"  # 催办
    SUPERVISE = "supervise"  # 督办
    LEADERSHIP = "leadership"  # reported to the leadership


@dataclass(frozen=True, slots=True)
class Ladder:
    """When each rung is reached, in working time (bot.config turns days into working time)."""

    warn_at: float = 0.75  # share of a limit gone
    repeat_first: timedelta = timedelta(hours=2)
    repeat_factor: float = 2.0
    repeat_max: timedelta = timedelta(hours=15)
    supervise_after: timedelta = timedelta(hours=7, minutes=30)
    leadership_after: timedelta = timedelta(hours=22, minutes=30)

    # The backoff worked out once: the overdue time at which each reminder is due while the steps
    # still grow (`_passed[n]`), and the step that follows the last of them. Past the table the
    # steps are equal (the maximum), so any later reminder is one multiplication away. Empty when
    # the steps never reach the maximum (a factor of 1 or less): then the walk below is the rule.
    _passed: tuple[timedelta, ...] = field(init=False, repr=False, compare=False)
    _last_step: timedelta = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        passed, step, table = timedelta(0), self.repeat_first, [timedelta(0)]
        while step < self.repeat_max and len(table) <= _BACKOFF_TABLE:
            passed += step
            step = min(step * self.repeat_factor, self.repeat_max)
            table.append(passed)
        reached = step >= self.repeat_max
        object.__setattr__(self, "_passed", tuple(table) if reached else ())
        object.__setattr__(self, "_last_step", step)

    def repeat_number(self, overdue: timedelta) -> int:
        """Which reminder is due after this much overdue working time: 0 at once, then one
        more after each backoff step (steps grow by the factor up to the maximum)."""
        table = self._passed
        if not table:
            return self._walk_number(overdue)
        last = len(table) - 1
        number = max(bisect_right(table, overdue) - 1, 0)
        if number < last or table[last] + self._last_step > overdue:
            return number
        return last + 1 + int((overdue - table[last] - self.repeat_max) / self.repeat_max)

    def repeat_at(self, number: int) -> timedelta:
        """The overdue working time at which reminder `number` is due."""
        table = self._passed
        if not table:
            return self._walk_at(number)
        last = len(table) - 1
        return table[number] if number <= last else table[last] + self.repeat_max * (number - last)

    def _walk_number(self, overdue: timedelta) -> int:
        number, passed, step = 0, timedelta(0), self.repeat_first
        while passed + step <= overdue:
            if step >= self.repeat_max:  # the rest are equal steps: count them at once
                return number + 1 + int((overdue - passed - self.repeat_max) / self.repeat_max)
            passed += step
            number += 1
            step = min(step * self.repeat_factor, self.repeat_max)
        return number

    def _walk_at(self, number: int) -> timedelta:
        passed, step = timedelta(0), self.repeat_first
        for done in range(number):
            if step >= self.repeat_max:
                return passed + self.repeat_max * (number - done)
            passed += step
            step = min(step * self.repeat_factor, self.repeat_max)
        return passed


class Clock(NamedTuple):
    """A limit still running on a ticket. A named tuple: the sweep makes one for each limit of
    each due ticket (0.4 µs, against a frozen dataclass's 1.4)."""

    kind: LimitKind
    started_at: datetime
    due_at: datetime


class ClockedTicket(Protocol):
    """What the ladder reads of a ticket: its state and its clocks. A `Ticket` is one; the sweep
    reads `DueTicket`s, just these columns, since it may read thousands at a time."""

    @property
    def number(self) -> int | None: ...
    @property
    def version(self) -> int: ...
    @property
    def status(self) -> Status: ...
    @property
    def department_id(self) -> str | None: ...
    @property
    def assignee_id(self) -> str | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def sign_by(self) -> datetime | None: ...
    @property
    def respond_by(self) -> datetime: ...
    @property
    def resolve_by(self) -> datetime: ...
    @property
    def signed_at(self) -> datetime | None: ...
    @property
    def first_contact_at(self) -> datetime | None: ...
    @property
    def paused_at(self) -> datetime | None: ...


class DueTicket(NamedTuple):
    """A ticket due a look by the sweep, as the sweep reads it, with its check time."""

    number: int
    version: int
    status: Status
    department_id: str | None
    assignee_id: str | None
    created_at: datetime
    sign_by: datetime | None
    respond_by: datetime
    resolve_by: datetime
    signed_at: datetime | None
    first_contact_at: datetime | None
    paused_at: datetime | None
    check_at: datetime

    @classmethod
    def of(cls, ticket: Ticket, check_at: datetime) -> DueTicket:
        assert ticket.number is not None
        return cls(
            ticket.number,
            ticket.version,
            ticket.status,
            ticket.department_id,
            ticket.assignee_id,
            ticket.created_at,
            ticket.sign_by,
            ticket.respond_by,
            ticket.resolve_by,
            ticket.signed_at,
            ticket.first_contact_at,
            ticket.paused_at,
            check_at,
        )


class NudgeKey(NamedTuple):
    """What the ledger records so that a nudge is sent once."""

    ticket: int
    kind: str
    due_at: datetime
    level: str
    repeat: int


class SentReminder(NamedTuple):
    """A reminder (of the sweep) the ledger holds: its ticket, limit, deadline and number."""

    ticket: int
    kind: str
    due_at: datetime
    repeat: int


def reminders_before(keys: Sequence[NudgeKey], sent: Iterable[SentReminder]) -> list[int]:
    """For each key, how many of `sent` are about the same ticket, limit and deadline with a lower
    number: the reminders really sent before it (a reminder's number counts those due)."""
    # By ticket, then compared: a ticket has a few reminders, and hashing an aware datetime
    # (its offset asked each time) cost more than the comparisons (10,000 keys a sweep).
    by_ticket: dict[int, list[SentReminder]] = {}
    for reminder in sent:
        by_ticket.setdefault(reminder.ticket, []).append(reminder)
    counts = []
    for key in keys:
        count = 0
        for _, kind, due_at, repeat in by_ticket.get(key.ticket, ()):
            if repeat < key.repeat and kind == key.kind and due_at == key.due_at:
                count += 1
        counts.append(count)
    return counts


class Nudge(NamedTuple):
    """A nudge due about a ticket's clock. A named tuple, not a dataclass: a sweep makes one per
    limit past (20,000 at 10,000 due): 0.7 µs to make, against a frozen dataclass's 2.2."""

    ticket: int
    kind: LimitKind
    due_at: datetime
    level: Level
    repeat: int
    left: timedelta  # working time until the deadline; negative: overdue by that much

    @property
    def key(self) -> NudgeKey:
        return NudgeKey(self.ticket, _NAMES[self.kind], self.due_at, _NAMES[self.level], self.repeat)


# Each clock's and level's name as a plain str, by member: `.value` goes through the enum's
# descriptor, 0.2 µs each, against a dict's 0.03 (a sweep builds 20,000 keys at 10,000 due).
_NAMES: dict[StrEnum, str] = {member: member.value for member in (*LimitKind, *Level)}


class Plan(NamedTuple):
    """What is due about a ticket now, and when to look again. A named tuple, as `Clock`."""

    nudges: tuple[Nudge, ...]
    next_check: datetime | None  # None: nothing can fall due until the ticket changes


def running_clocks(ticket: ClockedTicket) -> list[Clock]:
    """The limits that still bind the ticket. None once it is answered; the resolve clock stands
    while the ticket waits for the enterprise (the deadline moves on when it answers)."""
    if ticket.status.is_answered:  # the officers have nothing left to do against a deadline
        return []
    clocks = []
    if ticket.signed_at is None:
        clocks.append(Clock(LimitKind.SIGN, ticket.created_at, ticket.sign_by or ticket.respond_by))
    if ticket.first_contact_at is None:
        clocks.append(Clock(LimitKind.CONTACT, ticket.created_at, ticket.respond_by))
    if ticket.paused_at is None:
        clocks.append(Clock(LimitKind.RESOLVE, ticket.created_at, ticket.resolve_by))
    return clocks


def plan(ticket: ClockedTicket, now: datetime, calendar: WorkingCalendar, ladder: Ladder) -> Plan:
    assert ticket.number is not None
    nudges: list[Nudge] = []
    checks: list[datetime] = []
    for clock in running_clocks(ticket):
        found, next_check = _plan_clock(ticket.number, clock, now, calendar, ladder)
        nudges += found
        checks.append(next_check)
    return Plan(tuple(nudges), min(checks) if checks else None)


def most_pressing(
    ticket: ClockedTicket,
    now: datetime,
    calendar: WorkingCalendar,
    kinds: tuple[LimitKind, ...] = tuple(LimitKind),
) -> tuple[Clock, timedelta] | None:
    """The running clock (of those kinds) with the least working time left, and that time
    (negative: overdue)."""
    clocks = [clock for clock in running_clocks(ticket) if clock.kind in kinds]
    if not clocks:
        return None
    lefts = [(calendar.remaining(now, clock.due_at), clock) for clock in clocks]
    left, clock = min(lefts, key=lambda pair: (pair[0], pair[1].due_at))
    return clock, left


def _plan_clock(
    number: int, clock: Clock, now: datetime, calendar: WorkingCalendar, ladder: Ladder
) -> tuple[list[Nudge], datetime]:
    # Working time as differences of the calendar's running count (each moment counted once).
    at_now, at_due = calendar.worked(now), calendar.worked(clock.due_at)
    if now < clock.due_at:
        at_start = calendar.worked(clock.started_at)
        total = timedelta(microseconds=at_due - at_start)
        elapsed = timedelta(microseconds=at_now - at_start)
        threshold = total * ladder.warn_at
        if elapsed >= threshold:
            return [Nudge(number, clock.kind, clock.due_at, Level.WARN, 0, total - elapsed)], clock.due_at
        return [], calendar.add_working_time(now, threshold - elapsed)

    overdue = timedelta(microseconds=at_now - at_due)
    repeat = ladder.repeat_number(overdue)
    found = [Nudge(number, clock.kind, clock.due_at, Level.REMIND, repeat, -overdue)]
    upcoming = ladder.repeat_at(repeat + 1)
    if overdue >= ladder.supervise_after:
        found.append(Nudge(number, clock.kind, clock.due_at, Level.SUPERVISE, 0, -overdue))
    else:
        upcoming = min(upcoming, ladder.supervise_after)
    if overdue >= ladder.leadership_after:
        found.append(Nudge(number, clock.kind, clock.due_at, Level.LEADERSHIP, 0, -overdue))
    else:
        upcoming = min(upcoming, ladder.leadership_after)
    return found, calendar.add_working_time(clock.due_at, upcoming)
