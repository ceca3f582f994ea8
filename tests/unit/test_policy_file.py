"""Issue 21 item 15: a policy file's impossible dates are problems to fix, not crashes, and the
repository ships an example policy file that reads without problems."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.config import Settings
from bot.policy_file import PolicyFileError, read_policy
from tests.conftest import ROOT

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize("value", ["2026-13-01", "2026-02-30", "2026-1-32"])
def test_an_impossible_date_is_a_problem_to_fix(tmp_path: Path, settings: Settings, value: str) -> None:
    path = tmp_path / "p.md"
    path.write_text(
        f"---\ntitle: 奖励\ndepartment: industry_it\ndeadline: {value}\neffective_from: {value}\n---\n正文\n",
        encoding="utf-8",
    )
    with pytest.raises(PolicyFileError) as refused:
        read_policy(path, settings.bootstrap_directory(), TODAY, NOW)
    assert f"deadline: '{value}' is not a date" in str(refused.value)
    assert f"effective_from: '{value}' is not a date" in str(refused.value)


def test_the_example_policy_file_reads_without_problems(settings: Settings) -> None:
    policy = read_policy(ROOT / "examples" / "policy.md", settings.bootstrap_directory(), TODAY, NOW)
    assert policy.title
    assert policy.department_id in settings.bootstrap_directory().departments
    assert policy.deadline is not None
