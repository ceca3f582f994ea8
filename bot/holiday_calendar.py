"""The official holiday calendar, read from the `holidays` package, with the local additions.

China announces each year's public holidays and make-up workdays (调休上班) in a State Council
notice every November. The `holidays` package encodes the published years; later years are its
estimate (the statutory days, without make-up workdays). Local extra holidays and workdays in
the config cover what the package does not know yet, or a district's own arrangements.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from bot.domain.workcalendar import WorkingCalendar

FIRST_YEAR = 2020


def official_days(country: str, years: Iterable[int]) -> tuple[frozenset[date], frozenset[date]]:
    """(public holidays, make-up workdays) of those years, as the package publishes them."""
    wanted = tuple(sorted(set(years)))
    return _official_days(country, wanted)


@lru_cache(maxsize=8)
def _official_days(country: str, years: tuple[int, ...]) -> tuple[frozenset[date], frozenset[date]]:
    calendar = holidays.country_holidays(country, years=years)
    span = set(years)
    days_off = frozenset(day for day in calendar if day.year in span)
    # Weekend days worked in exchange for a longer holiday; the package keeps them apart from the
    # holidays (and may carry some from years it was not asked about: those are left out).
    make_up = frozenset(day for day in calendar.weekend_workdays if day.year in span)
    return days_off, make_up


def build_calendar(
    *,
    timezone: str,
    periods: tuple[tuple[time, time], ...],
    weekdays: frozenset[int],
    country: str | None,
    extra_holidays: Iterable[date] = (),
    extra_workdays: Iterable[date] = (),
    today: date | None = None,
) -> WorkingCalendar:
    """Official days first; local holidays and workdays win over them (a local workday may undo
    an official holiday, and a local holiday an official make-up workday)."""
    year = (today or datetime.now(UTC).date()).year
    official_off: frozenset[date] = frozenset()
    official_on: frozenset[date] = frozenset()
    if country is not None:
        official_off, official_on = official_days(country, range(FIRST_YEAR, max(2040, year + 6)))
    local_off, local_on = frozenset(extra_holidays), frozenset(extra_workdays)
    return WorkingCalendar(
        timezone=ZoneInfo(timezone),
        periods=periods,
        weekdays=weekdays,
        holidays=(official_off - local_on) | local_off,
        workdays=(official_on - local_off) | local_on,
    )
