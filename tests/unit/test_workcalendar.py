"""The working calendar: China's holidays and make-up workdays (as the `holidays` package encodes
the State Council's notices), business-hour boundaries, time zones, local extra days."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import Settings
from bot.domain.workcalendar import WorkingCalendar
from bot.holiday_calendar import build_calendar

XIAMEN = ZoneInfo("Asia/Shanghai")
HOUR = timedelta(hours=1)
DAY = timedelta(hours=7.5)  # 09:00-12:00 and 13:30-18:00


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A moment on the office clock in Xiamen."""
    return datetime(year, month, day, hour, minute, tzinfo=XIAMEN)


@pytest.fixture(scope="module")
def calendar(settings: Settings) -> WorkingCalendar:
    return settings.working_calendar()


# --- 2026: the State Council's notice (国办发明电〔2025〕7号) -----------------------------------

HOLIDAYS_2026 = [
    date(2026, 1, 1),  # 元旦 1-3 January
    date(2026, 1, 2),
    *(date(2026, 2, d) for d in (16, 17, 18, 19, 20, 23)),  # 春节 15-23 February (weekdays)
    date(2026, 4, 6),  # 清明 4-6 April
    *(date(2026, 5, d) for d in (1, 4, 5)),  # 劳动节 1-5 May
    date(2026, 6, 19),  # 端午
    date(2026, 9, 25),  # 中秋
    *(date(2026, 10, d) for d in (1, 2, 5, 6, 7)),  # 国庆 1-7 October
]
MAKE_UP_WORKDAYS_2026 = [
    date(2026, 1, 4),  # Sunday
    date(2026, 2, 14),  # Saturday
    date(2026, 2, 28),  # Saturday
    date(2026, 5, 9),  # Saturday
    date(2026, 9, 20),  # Sunday
    date(2026, 10, 10),  # Saturday
]


@pytest.mark.parametrize("day", HOLIDAYS_2026, ids=str)
def test_public_holidays_of_2026_are_not_working_days(calendar: WorkingCalendar, day: date) -> None:
    assert day.weekday() < 5
    assert not calendar.is_working_day(day)


@pytest.mark.parametrize("day", MAKE_UP_WORKDAYS_2026, ids=str)
def test_make_up_workdays_of_2026_are_working_days(calendar: WorkingCalendar, day: date) -> None:
    assert day.weekday() >= 5
    assert calendar.is_working_day(day)


def test_the_spring_festival_of_2026_in_working_days(calendar: WorkingCalendar) -> None:
    # Friday 13 February, 10:00 + 3 working days: Saturday 14 (made a workday), then nine days
    # off (15-23), then 24 and 25 February.
    assert calendar.add_working_days(at(2026, 2, 13, 10, 0), 3) == at(2026, 2, 25, 10, 0)
    # February: 20 weekdays - 6 weekdays off (16-20, 23) + Saturdays 14 and 28 worked
    assert calendar.working_days_between(date(2026, 2, 1), date(2026, 3, 1)) == 16


def test_national_day_2026_in_working_days(calendar: WorkingCalendar) -> None:
    # September: 22 weekdays + Sunday 20 September worked - the Mid-Autumn Friday (25th).
    assert calendar.working_days_between(date(2026, 9, 1), date(2026, 10, 1)) == 22
    # October: 22 weekdays - 5 days of the golden week + Saturday 10 October worked.
    assert calendar.working_days_between(date(2026, 10, 1), date(2026, 11, 1)) == 18


# --- 2027: the package's estimate; make-up workdays come from config once announced --------------


@pytest.mark.parametrize(
    "day",
    [date(2027, 1, 1), *(date(2027, 2, d) for d in (5, 8, 9, 10)), date(2027, 4, 5), date(2027, 10, 4)],
    ids=str,
)
def test_public_holidays_of_2027_are_not_working_days(calendar: WorkingCalendar, day: date) -> None:
    assert not calendar.is_working_day(day)


def test_2027_has_no_make_up_workdays_until_they_are_configured(settings: Settings) -> None:
    saturday = date(2027, 2, 20)
    assert not settings.working_calendar().is_working_day(saturday)
    announced = settings.model_copy(
        update={"calendar": settings.calendar.model_copy(update={"extra_workdays": (saturday,)})}
    )
    assert announced.working_calendar().is_working_day(saturday)


def test_local_days_win_over_official_ones() -> None:
    calendar = build_calendar(
        timezone="Asia/Shanghai",
        periods=((time(9), time(12)), (time(13, 30), time(18))),
        weekdays=frozenset(range(5)),
        country="CN",
        extra_holidays=[date(2026, 2, 14), date(2026, 12, 31)],  # a make-up Saturday, a weekday
        extra_workdays=[date(2026, 10, 7)],  # an official holiday
    )
    assert not calendar.is_working_day(date(2026, 2, 14))
    assert not calendar.is_working_day(date(2026, 12, 31))
    assert calendar.is_working_day(date(2026, 10, 7))


# --- business-hour boundaries ---------------------------------------------------------------


def test_a_ticket_opened_at_17_59_has_one_minute_today(calendar: WorkingCalendar) -> None:
    assert calendar.add_working_time(at(2026, 11, 24, 17, 59), 2 * HOUR) == at(2026, 11, 25, 10, 59)
    assert calendar.working_time_between(at(2026, 11, 24, 17, 59), at(2026, 11, 24, 23, 0)) == timedelta(
        minutes=1
    )


def test_a_limit_that_uses_up_the_day_ends_at_closing_time(calendar: WorkingCalendar) -> None:
    assert calendar.add_working_time(at(2026, 11, 24, 16, 0), 2 * HOUR) == at(2026, 11, 24, 18, 0)
    assert calendar.add_working_days(at(2026, 11, 24, 9, 0), 1) == at(2026, 11, 24, 18, 0)


def test_lunch_does_not_count(calendar: WorkingCalendar) -> None:
    assert calendar.add_working_time(at(2026, 11, 24, 11, 0), 2 * HOUR) == at(2026, 11, 24, 14, 30)
    assert not calendar.is_working_time(at(2026, 11, 24, 12, 30))
    assert calendar.next_working_moment(at(2026, 11, 24, 12, 30)) == at(2026, 11, 24, 13, 30)


def test_a_friday_evening_ticket_starts_on_monday(calendar: WorkingCalendar) -> None:
    friday_evening = at(2026, 11, 27, 20, 0)
    assert calendar.add_working_time(friday_evening, 2 * HOUR) == at(2026, 11, 30, 11, 0)
    assert calendar.add_working_days(friday_evening, 1) == at(2026, 11, 30, 18, 0)
    assert calendar.next_working_moment(friday_evening) == at(2026, 11, 30, 9, 0)
    assert calendar.working_time_between(friday_evening, at(2026, 11, 30, 9, 0)) == timedelta(0)


def test_a_ticket_opened_on_the_eve_of_national_day_waits_out_the_holiday(calendar: WorkingCalendar) -> None:
    eve = at(2026, 9, 30, 17, 59)
    assert calendar.add_working_time(eve, 2 * HOUR) == at(2026, 10, 8, 10, 59)
    assert calendar.add_working_days(at(2026, 9, 30, 10, 0), 1) == at(2026, 10, 8, 10, 0)
    assert calendar.working_time_between(at(2026, 9, 30, 17, 0), at(2026, 10, 9, 10, 0)) == 9.5 * HOUR


def test_time_overdue_is_negative_time_left(calendar: WorkingCalendar) -> None:
    due = at(2026, 11, 24, 10, 0)
    assert calendar.remaining(at(2026, 11, 24, 9, 30), due) == timedelta(minutes=30)
    assert calendar.remaining(at(2026, 11, 25, 10, 0), due) == -DAY


def test_extensions_move_by_working_days(settings: Settings) -> None:
    policy = settings.sla_policy()
    # due Wednesday 30 September 15:00; five working days on, past the golden week: 8, 9, 10
    # (a Saturday worked), 12 and 13 October
    assert policy.extended(at(2026, 9, 30, 15, 0), 5) == at(2026, 10, 13, 15, 0)


# --- time zones -----------------------------------------------------------------------------


def test_business_hours_are_on_the_configured_clock(calendar: WorkingCalendar) -> None:
    nine_in_xiamen = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    assert calendar.is_working_time(nine_in_xiamen)
    assert not calendar.is_working_time(nine_in_xiamen - timedelta(minutes=1))
    due = calendar.add_working_time(nine_in_xiamen, 2 * HOUR)
    assert due.tzinfo is UTC  # answered in the zone asked in
    assert due == datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def test_another_time_zone_moves_the_office_hours() -> None:
    berlin = WorkingCalendar(timezone=ZoneInfo("Europe/Berlin"))
    nine_in_xiamen = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 02:00 in Berlin
    assert not berlin.is_working_time(nine_in_xiamen)
    assert berlin.next_working_moment(nine_in_xiamen) == datetime(
        2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Europe/Berlin")
    )


def test_a_calendar_without_working_days_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one weekday"):
        WorkingCalendar(weekdays=frozenset())
    with pytest.raises(ValueError, match="overlap"):
        WorkingCalendar(periods=((time(9), time(13)), (time(12), time(18))))


# --- arithmetic agrees with walking the days ------------------------------------------------

moments = st.datetimes(
    min_value=datetime(2025, 12, 1), max_value=datetime(2027, 12, 31), timezones=st.just(XIAMEN)
)


@given(start=moments, minutes=st.integers(min_value=1, max_value=60 * 7 * 40))
def test_adding_then_measuring_gives_back_the_amount(start: datetime, minutes: int) -> None:
    calendar = _shipped_calendar()
    amount = timedelta(minutes=minutes)
    due = calendar.add_working_time(start, amount)
    assert due > start
    assert abs(calendar.working_time_between(start, due) - amount) < timedelta(milliseconds=1)
    assert calendar.is_working_time(due - timedelta(seconds=1)) or calendar.is_working_time(due)


@given(first=st.dates(date(2025, 6, 1), date(2027, 12, 31)), days=st.integers(0, 400))
def test_counting_working_days_agrees_with_looking_at_each(first: date, days: int) -> None:
    calendar = _shipped_calendar()
    end = first + timedelta(days=days)
    walked = sum(calendar.is_working_day(first + timedelta(days=i)) for i in range(days))
    assert calendar.working_days_between(first, end) == walked


def test_a_deadline_found_by_its_days_count_is_the_one_walked_to() -> None:
    """The calendar keeps each working day by the working days before it, once a deadline was
    found in it: one calendar asked for deadlines from many starts (found by what others asked)
    gives what a calendar asked nothing before walks to, over two years of holidays."""
    rng = random.Random(22)
    shared = _shipped_calendar()
    for _ in range(3000):
        start = datetime(2025, 12, 1, tzinfo=XIAMEN) + timedelta(minutes=rng.randrange(60 * 24 * 700))
        if rng.random() < 0.5:
            start = start.astimezone(UTC)
        amount = timedelta(minutes=rng.choice((rng.randrange(1, 60 * 8), rng.randrange(1, 60 * 7 * 30))))
        fresh = replace(shared)  # the same calendar, nothing kept yet
        assert shared.add_working_time(start, amount) == fresh.add_working_time(start, amount)


def _shipped_calendar() -> WorkingCalendar:
    return build_calendar(
        timezone="Asia/Shanghai",
        periods=((time(9), time(12)), (time(13, 30), time(18))),
        weekdays=frozenset(range(5)),
        country="CN",
        today=date(2026, 11, 22),
    )


@given(
    start=st.datetimes(
        min_value=datetime(1999, 12, 20), max_value=datetime(2000, 1, 20), timezones=st.just(XIAMEN)
    )
    | moments,
    hours=st.floats(min_value=-24 * 30, max_value=24 * 30),
)
def test_working_time_between_agrees_with_walking_each_day(start: datetime, hours: float) -> None:
    """The running count (cached per day, from 2000-01-01 on, and before it) against the sum of
    each day's working hours between the two moments."""
    calendar = _shipped_calendar()
    end = start + timedelta(hours=hours)
    first, last = sorted((start, end))
    walked = timedelta(0)
    day = first.date()
    while day <= last.date():
        if calendar.is_working_day(day):
            for opens, closes in calendar.periods:
                span_start = max(datetime.combine(day, opens, tzinfo=XIAMEN), first)
                span_end = min(datetime.combine(day, closes, tzinfo=XIAMEN), last)
                walked += max(span_end - span_start, timedelta(0))
        day += timedelta(days=1)
    expected = walked if end >= start else -walked
    assert calendar.working_time_between(start, end) == expected
    assert calendar.working_time_between(start, end) == expected  # asked again: the cached answer
