"""The scenarios of the tests that read the wall clock, run here at fixed adversarial moments
through the injectable clock, so that a test or a product rule that only holds at some times of
day fails in every run, not in the one CI run that happens to start at the wrong minute.

The moments are the ones that broke or could break such tests: just before lunch and closing
time, in the lunch break, at the weekend, a second before midnight (Sunday, month end, year end,
ISO week 53), a make-up Saturday (调休上班), the first day of the Spring Festival holiday, and
00:30 in Xiamen, when it is still yesterday in UTC. To run the wall-clock tests themselves at
these moments, see tests/at_moments.py (libfaketime)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.domain.messages import ToOfficer
from handlers import reminders
from tests.conftest import Clock
from tests.e2e.test_campaign_300 import _period
from tests.world import DEMAND, XINYUAN, World, make_world

XIAMEN = ZoneInfo("Asia/Shanghai")


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=XIAMEN)


MOMENTS = {
    "weekday 11:59:30": _at("2026-12-08 11:59:30"),
    "weekday 17:59:30": _at("2026-12-08 17:59:30"),
    "lunch 12:30": _at("2026-12-08 12:30"),
    "Saturday 10:00": _at("2026-12-12 10:00"),
    "Sunday 23:59:50": _at("2026-12-13 23:59:50"),
    "make-up Saturday 10:00": _at("2026-10-10 10:00"),
    "Spring Festival eve, a holiday": _at("2027-02-05 10:00"),
    "year end 23:59:50 (ISO week 53)": _at("2026-12-31 23:59:50"),
    "month end 23:59:50": _at("2027-04-30 23:59:50"),
    "00:30, UTC's yesterday": _at("2026-12-08 00:30"),
}
# how long a test may take between opening its ticket and reading the clock again (a subprocess)
LAGS = (timedelta(0), timedelta(seconds=45))

moments = pytest.mark.parametrize("moment", list(MOMENTS.values()), ids=list(MOMENTS))


async def _demand_opened(settings: Settings, at: datetime) -> World:
    """The urgent demand of tests/world.py, opened at `at` (liaison wang_lei, head zheng_yu)."""
    world = await make_world(settings, Clock(at))
    await world.say(XINYUAN, DEMAND)
    return world


def test_the_moments_are_what_they_say(settings: Settings) -> None:
    calendar = settings.working_calendar()
    assert calendar.is_working_day(date(2026, 10, 10))
    assert date(2026, 10, 10).weekday() == 5
    assert not calendar.is_working_day(date(2027, 2, 5))
    assert date(2027, 2, 5).weekday() == 4
    assert date(2026, 12, 31).isocalendar().week == 53
    assert MOMENTS["00:30, UTC's yesterday"].astimezone(ZoneInfo("UTC")).day == 7


@moments
@pytest.mark.parametrize("lag", LAGS, ids=["no lag", "45 s lag"])
async def test_five_working_days_after_a_demand_the_sweep_reminds_supervises_and_reports(
    settings: Settings, moment: datetime, lag: timedelta
) -> None:
    """tests/e2e/test_sweep.py and test_sweep_killed.py: the moment they sweep at, read from the
    wall clock after `xiaoer shell` opened the demand."""
    world = await _demand_opened(settings, moment)
    calendar = world.deps.sla.calendar
    late = calendar.next_working_moment(calendar.add_working_days(moment + lag, 5) + timedelta(minutes=1))
    assert calendar.is_working_time(late)
    swept = await reminders.sweep(world.deps, late, dry_run=True)
    assert [reply.to for reply in swept.replies] == [ToOfficer("wang_lei"), ToOfficer("zheng_yu")]
    assert "催办：工单 #1" in swept.replies[0].text
    assert "督办：工单 #1" in swept.replies[1].text
    assert swept.reported == [1]


@moments
async def test_a_sweep_outside_working_time_is_held_and_inside_it_is_not(
    settings: Settings, moment: datetime
) -> None:
    """The scheduled sweep at any moment: never a message outside working time."""
    world = await _demand_opened(settings, moment - timedelta(days=30))  # long overdue by the moment
    calendar = world.deps.sla.calendar
    swept = await reminders.sweep(world.deps, moment, dry_run=True)
    if calendar.is_working_time(moment):
        assert swept.held_until is None
        assert swept.replies
    else:
        assert swept.replies == []
        assert swept.held_until == calendar.next_working_moment(moment) > moment


@moments
async def test_half_an_hour_past_a_working_moment_ten_days_on_is_overdue_and_working_time(
    settings: Settings, moment: datetime
) -> None:
    """tests/channels/test_delivery_faults.py's sweep moment (the fix of 9d3625a)."""
    world = await _demand_opened(settings, moment)
    calendar = world.deps.sla.calendar
    at = calendar.next_working_moment(moment + timedelta(days=10, minutes=30))
    assert calendar.is_working_time(at)
    assert (await reminders.sweep(world.deps, at, dry_run=True)).replies


@moments
async def test_the_morning_digest_comes_on_working_days_of_the_office_calendar(
    settings: Settings, moment: datetime
) -> None:
    """The digest job runs at 09:00 every day and skips the days off: the day is Xiamen's."""
    world = await _demand_opened(settings, moment)
    calendar = world.deps.sla.calendar
    digest = await reminders.daily_digest(world.deps, moment, dry_run=True)
    working = calendar.is_working_day(moment.astimezone(XIAMEN).date())
    assert (ToOfficer("wang_lei") in [reply.to for reply in digest]) == working


@moments
def test_the_campaign_test_finds_its_period_and_digest_day(settings: Settings, moment: datetime) -> None:
    """tests/e2e/test_campaign_300.py's period around today, at any today."""
    calendar = settings.working_calendar()
    today = moment.astimezone(XIAMEN).date()
    first, last, digest_day = _period(today, calendar.is_working_day)
    assert first <= today < digest_day <= last
    assert calendar.is_working_day(digest_day)
