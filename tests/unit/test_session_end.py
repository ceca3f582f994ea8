"""When a console session ends (bot/domain/web_console.session_end), on a driven clock: at the close
of the working day it was opened in, by the working calendar (Chinese holidays and make-up
workdays, the configured hours); opened out of hours, for `session_hours`, never into the next
working day's hours."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.web_console import session_end
from bot.domain.workcalendar import WorkingCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")
# National Day 2026: 10-01..10-07 off; Sunday 09-20 and Saturday 10-10 are make-up workdays
CALENDAR = WorkingCalendar(
    timezone=SHANGHAI,
    holidays=frozenset(date(2026, 10, d) for d in range(1, 8)),
    workdays=frozenset({date(2026, 9, 20), date(2026, 10, 10)}),
)
NINE_HOURS = timedelta(hours=9)


def at(day: str, clock: str) -> datetime:
    """A moment on the office clock, given to session_end in UTC (as the runtime's clock is)."""
    local = datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=SHANGHAI)
    return local.astimezone(UTC)


@pytest.mark.parametrize(
    ("opened", "ends", "why"),
    [
        (("2026-09-28", "10:15"), ("2026-09-28", "18:00"), "a Monday morning: the close"),
        (("2026-09-28", "07:40"), ("2026-09-28", "18:00"), "in early: that working day's close"),
        (("2026-09-28", "12:30"), ("2026-09-28", "18:00"), "over lunch: still the working day"),
        (("2026-09-28", "17:45"), ("2026-09-28", "18:45"), "just before the close: an hour at least"),
        (("2026-09-28", "19:00"), ("2026-09-29", "04:00"), "an evening's overtime: nine hours"),
        (("2026-09-20", "10:00"), ("2026-09-20", "18:00"), "a make-up workday (a Sunday) is a working day"),
        (("2026-10-10", "09:30"), ("2026-10-10", "18:00"), "a make-up Saturday too"),
        (("2026-10-02", "10:00"), ("2026-10-02", "19:00"), "National Day (a Friday) is a day off"),
        (("2026-10-03", "23:30"), ("2026-10-04", "08:30"), "a weekend night: nine hours"),
        (("2026-10-07", "22:00"), ("2026-10-08", "07:00"), "the last holiday's night"),
    ],
)
def test_a_session_ends_with_the_working_day(
    opened: tuple[str, str], ends: tuple[str, str], why: str
) -> None:
    assert session_end(at(*opened), CALENDAR, NINE_HOURS) == at(*ends), why


def test_out_of_hours_it_never_runs_into_the_next_working_day() -> None:
    # twelve hours from Sunday 22:00 would be Monday 10:00: it ends when Monday's hours begin
    assert session_end(at("2026-09-27", "22:00"), CALENDAR, timedelta(hours=12)) == at("2026-09-28", "09:00")
    # the make-up Saturday's hours begin after the holiday week's Friday night
    assert session_end(at("2026-10-09", "23:00"), CALENDAR, timedelta(hours=12)) == at("2026-10-10", "09:00")


def test_the_configured_hours_and_time_zone_decide_the_close() -> None:
    late_office = WorkingCalendar(
        timezone=ZoneInfo("Asia/Urumqi"), periods=((time(10), time(14)), (time(15, 30), time(20)))
    )
    opened = datetime(2026, 9, 28, 4, 0, tzinfo=UTC)  # 10:00 in Urumqi, a Monday
    ends = session_end(opened, late_office, NINE_HOURS)
    assert ends == datetime(2026, 9, 28, 14, 0, tzinfo=UTC)  # 20:00 there
    assert ends.tzinfo == UTC  # said in the zone it was asked in
