"""The SLA table: limits per kind of demand and priority, in working time, and its configuration."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings, load_settings
from bot.domain.sla import Limits, deadlines_for
from tests.unit.test_config import problems_of, shipped, write

XIAMEN = ZoneInfo("Asia/Shanghai")
MONDAY_TEN = datetime(2026, 11, 23, 10, 0, tzinfo=XIAMEN)


@pytest.mark.parametrize(
    ("category", "intent", "urgent", "limits"),
    [
        ("finance", "report_demand", False, Limits(4, 8, 7, 3)),  # a general demand
        ("finance", "report_demand", True, Limits(2, 4, 1, 3)),
        ("finance", "policy_inquiry", False, Limits(4, 8, 3, 3)),  # a consultation
        ("land_space", "report_demand", False, Limits(4, 8, 15, 3)),  # complex
        ("land_space", "report_demand", True, Limits(2, 4, 1, 3)),  # urgent is urgent
        (None, "report_demand", False, Limits(4, 8, 7, 3)),
    ],
)
def test_the_shipped_table(
    settings: Settings, category: str | None, intent: str, urgent: bool, limits: Limits
) -> None:
    assert settings.sla_policy().limits(category=category, intent=intent, urgent=urgent) == limits


def test_deadlines_are_counted_in_working_time(settings: Settings) -> None:
    policy = settings.sla_policy()
    general = deadlines_for(MONDAY_TEN, policy, category="finance", intent="report_demand", urgent=False)
    assert general.sign_by == datetime(2026, 11, 23, 15, 30, tzinfo=XIAMEN)  # 10-12, lunch, 13:30-15:30
    assert general.respond_by == datetime(2026, 11, 24, 10, 30, tzinfo=XIAMEN)  # 8 h: a day and a half-hour
    assert general.resolve_by == datetime(2026, 12, 2, 10, 0, tzinfo=XIAMEN)  # 7 working days
    consultation = deadlines_for(MONDAY_TEN, policy, category="tax", intent="policy_inquiry", urgent=False)
    assert consultation.resolve_by == datetime(2026, 11, 26, 10, 0, tzinfo=XIAMEN)


def test_a_row_names_only_what_differs(tmp_path: Path) -> None:
    document: dict[str, Any] = shipped()
    document["sla"] = {
        "survey_days": 5,
        "general": {"normal": {"resolve_days": 10}},
        "categories": {"tax": {"urgent": {"sign_hours": 1}}},
    }
    settings = load_settings(write(tmp_path, document))
    table = settings.sla.table()
    assert table.normal == Limits(4, 8, 10, 5)
    assert table.limits(category="tax", intent="report_demand", urgent=True) == Limits(1, 4, 1, 5)
    assert table.limits(category="tax", intent="report_demand", urgent=False) == Limits(4, 8, 10, 5)
    assert table.shortest_survey_days() == 5


def test_survey_windows_follow_the_table(settings: Settings) -> None:
    assert settings.sla.table().shortest_survey_days() == settings.sla.survey_days == 3


@pytest.mark.parametrize(
    ("section", "value", "problem"),
    [
        ("sla", {"response_hours": 24}, "move sla.response_hours -> sla.general.normal.contact_hours"),
        (
            "sla",
            {"categories": {"mining": {"normal": {"resolve_days": 3}}}},
            "sla.categories.mining: unknown",
        ),
        ("sla", {"general": {"urgent": {"sign_hours": 6}}}, "contact_hours must not be shorter"),
        ("sla", {"general": {"normal": {"resolve_days": 0}}}, "sla.general.normal.resolve_days"),
        ("calendar", {"hours": ["09:00-12:00", "11:00-18:00"]}, "overlaps the period before it"),
        ("calendar", {"hours": ["9-12"]}, "write HH:MM-HH:MM"),
        ("calendar", {"weekdays": ["mon", "funday"]}, "calendar.weekdays"),
        ("calendar", {"extra_holidays": ["2027-02-20"], "extra_workdays": ["2027-02-20"]}, "keep one"),
        ("reminders", {"leaders": ["chen_jing"]}, "reminders.leaders: replaced by leadership.officers"),
        ("leadership", {"officers": ["nobody"]}, "leadership.officers[0]: unknown officer 'nobody'"),
        ("reminders", {"supervise_after_days": 3, "leadership_after_days": 2}, "the ladder goes up"),
        ("reminders", {"digest_at": "9am"}, "reminders.digest_at"),
    ],
)
def test_configuration_mistakes_are_named(tmp_path: Path, section: str, value: object, problem: str) -> None:
    document: dict[str, Any] = shipped()
    document[section] = value
    problems = problems_of(write(tmp_path, document))
    assert any(problem in p for p in problems), problems


def test_a_weekend_worked_by_config_is_counted(tmp_path: Path) -> None:
    document: dict[str, Any] = shipped()
    document["calendar"] = {"weekdays": ["mon", "tue", "wed", "thu", "fri", "sat"], "official_holidays": None}
    calendar = load_settings(write(tmp_path, document)).working_calendar()
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=XIAMEN)
    assert calendar.is_working_time(saturday)
    assert calendar.add_working_days(saturday, 1) == saturday + timedelta(days=2)  # Monday 10:00
