"""Report periods: whole local days [first day 00:00, day after the last 00:00) in the hotline's
time zone, as aware UTC instants for storage. Pure: the caller says what time it is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Period:
    first_day: date
    end_day: date  # the first day after the period: the period is [first_day, end_day)
    timezone: ZoneInfo

    def __post_init__(self) -> None:
        if self.end_day <= self.first_day:
            raise ValueError(f"the period must end after it starts: {self.first_day} to {self.end_day}")

    @property
    def since(self) -> datetime:
        return _midnight(self.first_day, self.timezone)

    @property
    def until(self) -> datetime:
        return _midnight(self.end_day, self.timezone)

    @property
    def last_day(self) -> date:
        return self.end_day - timedelta(days=1)


def _midnight(day: date, timezone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone).astimezone(UTC)


def today(now: datetime, timezone: ZoneInfo) -> date:
    return now.astimezone(timezone).date()


def last_full_week(now: datetime, timezone: ZoneInfo) -> Period:
    """Monday to Sunday of the last week that has ended (on a Monday: the week just ended)."""
    this_monday = today(now, timezone) - timedelta(days=today(now, timezone).weekday())
    return Period(this_monday - timedelta(days=7), this_monday, timezone)


def recent_days(now: datetime, timezone: ZoneInfo, days: int = 7) -> Period:
    """The last `days` days, today included."""
    end = today(now, timezone) + timedelta(days=1)
    return Period(end - timedelta(days=days), end, timezone)


def month_to_date(now: datetime, timezone: ZoneInfo) -> Period:
    """From the first of this month to today, included."""
    day = today(now, timezone)
    return Period(day.replace(day=1), day + timedelta(days=1), timezone)
