"""The calendar places a UTC moment (as the database driver gives every time) on the office clock
by arithmetic, with the zone's offset kept by hour; every other moment is converted by zoneinfo.
Both must count the same working time and give the same deadlines, to the microsecond: in zones
with daylight saving (an hour skipped, an hour twice, Lord Howe's half hour), across holidays,
make-up days, lunch breaks and the year's end."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.workcalendar import WorkingCalendar

ZONES = ("Asia/Shanghai", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/St_Johns")
CASES = 1_500


def _calendar(zone: str, *, night: bool) -> WorkingCalendar:
    # a night shift every day puts working time in the hours clocks are changed (Sundays, 02:00 local)
    periods = ((time(0, 30), time(4)), (time(9), time(12)), (time(13, 30), time(18)))
    return WorkingCalendar(
        timezone=ZoneInfo(zone),
        periods=periods if night else ((time(9), time(12)), (time(13, 30), time(18))),
        weekdays=frozenset(range(7) if night else range(5)),
        holidays=frozenset({date(2026, 1, 1), date(2026, 1, 2), date(2026, 10, 1), date(2026, 12, 31)}),
        workdays=frozenset({date(2026, 1, 4), date(2026, 10, 11)}),
    )


def _moments(zone: str, rng: random.Random) -> list[datetime]:
    """Random instants of 2025-2027, and ones around the zone's changes of offset and midnights."""
    tz = ZoneInfo(zone)
    found = []
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for _ in range(CASES):
        found.append(start + timedelta(microseconds=rng.randrange(3 * 365 * 86_400 * 1_000_000)))
    changes = []
    hour = start
    while hour < datetime(2028, 1, 1, tzinfo=UTC):
        if hour.astimezone(tz).utcoffset() != (hour + timedelta(hours=1)).astimezone(tz).utcoffset():
            changes.append(hour)
        hour += timedelta(hours=1)
    for change in changes:
        for minutes in range(-90, 150, 7):
            found.append(change + timedelta(minutes=minutes, microseconds=rng.randrange(1_000_000)))
    for day in (date(2025, 12, 31), date(2026, 12, 31), date(2026, 1, 3)):
        midnight = datetime.combine(day, time(), tzinfo=tz) + timedelta(days=1)
        found += [midnight - timedelta(microseconds=1), midnight, midnight + timedelta(microseconds=1)]
    return [moment.astimezone(UTC) for moment in found]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("night", [False, True])
def test_a_utc_moment_counts_and_reaches_as_the_same_moment_in_the_zone(zone: str, night: bool) -> None:
    rng = random.Random(f"{zone}{night}")
    by_utc, by_zone = _calendar(zone, night=night), _calendar(zone, night=night)
    tz = ZoneInfo(zone)
    for moment in _moments(zone, rng):
        local = moment.astimezone(tz)
        assert by_utc.worked(moment) == by_zone.worked(local), moment
        amount = timedelta(microseconds=rng.randrange(1, 40 * 3_600 * 1_000_000))
        reached = by_utc.add_working_time(moment, amount)
        expected = by_zone.add_working_time(local, amount)
        # in UTC as zoneinfo converts the zone's wall time (compared field by field: an instant in
        # a skipped or repeated hour never equals one of another zone, PEP 495)
        assert reached.tzinfo is UTC
        assert reached.replace(tzinfo=None) == expected.astimezone(UTC).replace(tzinfo=None), (moment, amount)


def test_a_deadline_on_a_wall_time_skipped_by_the_clock_change_is_zoneinfos() -> None:
    """Berlin, Sunday 29 March 2026 (every day worked): 02:00-03:00 does not exist. A deadline
    counted into it comes out as zoneinfo reads that wall time (fold 0), in UTC or in the zone alike."""
    tz = ZoneInfo("Europe/Berlin")
    calendar = WorkingCalendar(timezone=tz, periods=((time(0, 30), time(4)),), weekdays=frozenset(range(7)))
    start = datetime(2026, 3, 29, 1, 0, tzinfo=tz).astimezone(UTC)
    reached = calendar.add_working_time(start, timedelta(hours=1, minutes=30))
    assert reached == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 02:30 at +01:00, i.e. 03:30 summer time
    assert reached.tzinfo is UTC
    in_zone = calendar.add_working_time(start.astimezone(tz), timedelta(hours=1, minutes=30))
    assert in_zone.replace(tzinfo=None) == datetime(2026, 3, 29, 2, 30)
    assert in_zone.astimezone(UTC) == reached
