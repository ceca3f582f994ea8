"""The figures page's chart: one line per rate over the weeks, a gap where a week has no data,
in English when no font draws Chinese (the test settings make a missing glyph an error)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from bot.domain.kpi import KpiCounts, rates
from bot.domain.periods import Period
from handlers.rate_trend import WeekRates, percent_series, recent_weeks, trend_svg
from tests.conftest import NOW

ZONE = ZoneInfo("Asia/Shanghai")


def _week(first: date, counts: KpiCounts) -> WeekRates:
    return WeekRates(Period(first, date.fromordinal(first.toordinal() + 7), ZONE), counts, rates(counts))


def test_the_chart_draws_each_rate_and_leaves_gaps() -> None:
    weeks = [
        _week(
            date(2026, 11, 9), KpiCounts(dispatched=4, responded_in_time=3, rated=2, resolved=1, satisfied=2)
        ),
        _week(date(2026, 11, 16), KpiCounts()),  # no data: a gap, not a zero
        _week(date(2026, 11, 23), KpiCounts(dispatched=2, responded_in_time=2, closed=1, closed_on_time=1)),
    ]
    assert percent_series(weeks) == {
        "response_rate": [75.0, None, 100.0],
        "resolution_rate": [50.0, None, None],
        "satisfaction_rate": [100.0, None, None],
        "on_time_rate": [None, None, 100.0],
        "reopen_rate": [None, None, None],
    }
    svg = trend_svg(
        weeks, "zh-CN", lambda lang: "figures" if lang == "en" else "考核指标", find_font=lambda _: None
    )
    assert svg.lstrip().startswith(b"<?xml")  # drawn in English, without a missing-glyph warning


def test_recent_weeks_end_with_this_one() -> None:
    weeks = recent_weeks(NOW, ZONE, 3)
    assert [(w.first_day, w.end_day) for w in weeks] == [
        (date(2026, 11, 9), date(2026, 11, 16)),
        (date(2026, 11, 16), date(2026, 11, 23)),
        (date(2026, 11, 23), date(2026, 11, 30)),
    ]
    assert len(recent_weeks(NOW, ZONE, 400)) == 26
