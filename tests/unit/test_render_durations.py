"""Working durations as replies say them: whole working days (of the calendar's length), hours and
minutes, floored, minutes left out once there are days."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import cast

import pytest

from handlers import render
from handlers.deps import Deps


def _deps(day_hours: float) -> Deps:
    calendar = SimpleNamespace(day_length=timedelta(hours=day_hours))
    return cast(Deps, SimpleNamespace(sla=SimpleNamespace(calendar=calendar)))


@pytest.mark.parametrize(
    ("amount", "day_hours", "zh", "en"),
    [
        (timedelta(0), 8, "不到1分钟", "less than a minute"),
        (timedelta(seconds=59, microseconds=999_999), 8, "不到1分钟", "less than a minute"),
        (timedelta(minutes=1), 8, "1分钟", "1 min"),
        (timedelta(hours=7, minutes=59, seconds=59), 8, "7小时59分钟", "7 h 59 min"),
        (timedelta(hours=8), 8, "1个工作日", "1 working day"),
        (timedelta(hours=8, minutes=1), 8, "1个工作日", "1 working day"),
        (timedelta(hours=19, minutes=30), 8, "2个工作日3小时", "2 working days 3 h"),
        (timedelta(hours=19, minutes=30), 7.5, "2个工作日4小时", "2 working days 4 h"),
        (timedelta(days=3, hours=1), 8, "9个工作日1小时", "9 working days 1 h"),
    ],
)
def test_a_working_duration_reads_in_days_hours_and_minutes(
    amount: timedelta, day_hours: float, zh: str, en: str
) -> None:
    deps = _deps(day_hours)
    assert render.working_duration(amount, "zh-CN", deps) == zh
    assert render.working_duration(amount, "en", deps) == en
