"""Time limits (SLAs) per kind of demand and priority, counted in working time.

Government hotlines set limits per kind of demand: urgent ones are signed for within two working
hours and resolved within a working day; consultations are answered within three working days,
general demands within seven, complex ones within fifteen. Three clocks run on every ticket: to
sign for it, to first contact the enterprise, and to resolve it. The survey window (how long the
enterprise has to rate the answer) is in calendar days: enterprises answer on any day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.workcalendar import WorkingCalendar

CONSULTATION = "consultation"  # the SLA row for policy questions, whatever their category
CONSULTATION_INTENT = "policy_inquiry"


class LimitKind(StrEnum):
    SIGN = "sign"  # an officer signs for the ticket (签收)
    CONTACT = "contact"  # the first contact with the enterprise (首次联系)
    RESOLVE = "resolve"  # the answer that resolves it (办结)


@dataclass(frozen=True, slots=True)
class Limits:
    sign_hours: float = 4  # working hours
    contact_hours: float = 8  # working hours
    resolve_days: int = 7  # working days
    survey_days: int = 3  # calendar days


URGENT = Limits(sign_hours=2, contact_hours=4, resolve_days=1, survey_days=3)


@dataclass(frozen=True)
class SlaTable:
    """The limits of general demands, and the kinds that differ: a category, or CONSULTATION."""

    normal: Limits = Limits()
    urgent: Limits = URGENT
    kinds: Mapping[str, tuple[Limits, Limits]] = field(default_factory=dict)  # kind -> (normal, urgent)

    def limits(self, *, category: str | None, intent: str | None, urgent: bool) -> Limits:
        kind = CONSULTATION if intent == CONSULTATION_INTENT else category
        normal, urgent_limits = self.kinds.get(kind or "", (self.normal, self.urgent))
        return urgent_limits if urgent else normal

    def shortest_survey_days(self) -> int:
        rows = [self.normal, self.urgent, *(limit for pair in self.kinds.values() for limit in pair)]
        return min(row.survey_days for row in rows)


@dataclass(frozen=True, slots=True)
class Deadlines:
    sign_by: datetime
    respond_by: datetime  # the first contact with the enterprise
    resolve_by: datetime


@dataclass(frozen=True)
class SlaPolicy:
    """The table and the calendar it is counted in."""

    table: SlaTable = field(default_factory=SlaTable)
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)

    def limits(self, *, category: str | None, intent: str | None, urgent: bool) -> Limits:
        return self.table.limits(category=category, intent=intent, urgent=urgent)

    def extended(self, due: datetime, days: int) -> datetime:
        """An approved extension moves the deadline by working days."""
        return self.calendar.add_working_days(due, days)

    def resumed(self, due: datetime, paused_at: datetime, resumed_at: datetime) -> datetime:
        """The clock stood while the ticket waited for the enterprise: the deadline moves on by
        the working time that passed meanwhile (a weekend of waiting costs nothing)."""
        waited = self.calendar.working_time_between(paused_at, resumed_at)
        return self.calendar.add_working_time(due, waited) if waited > timedelta(0) else due


def deadlines_for(
    opened_at: datetime, policy: SlaPolicy, *, category: str | None, intent: str | None, urgent: bool
) -> Deadlines:
    limits = policy.limits(category=category, intent=intent, urgent=urgent)
    calendar = policy.calendar
    return Deadlines(
        sign_by=calendar.add_working_time(opened_at, timedelta(hours=limits.sign_hours)),
        respond_by=calendar.add_working_time(opened_at, timedelta(hours=limits.contact_hours)),
        resolve_by=calendar.add_working_days(opened_at, limits.resolve_days),
    )
