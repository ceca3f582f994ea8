"""`xiaoer sweep --now … [--dry-run]` as an operator runs it: one sweep, as if at that time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import Settings
from tests.e2e.test_shell import DEMAND, xiaoer


def test_sweep_prints_what_it_sends_and_a_dry_run_sends_nothing(tmp_path: Path, settings: Settings) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'sweep.db'}"
    opened = xiaoer("shell", "-d", database, stdin=f"{DEMAND}\n", cwd=tmp_path)
    assert opened.returncode == 0, opened.stderr
    calendar = settings.working_calendar()
    # The urgent demand is due within one working day; five working days after it was opened it
    # is four days late: reminder, supervision, and the leadership's list.
    late = calendar.next_working_moment(
        calendar.add_working_days(datetime.now(UTC), 5) + timedelta(minutes=1)
    )
    now = late.astimezone(calendar.timezone).isoformat()

    for _ in range(2):  # a dry run records nothing: the second one sees the same
        dry = xiaoer("sweep", "--now", now, "--dry-run", "-d", database, cwd=tmp_path)
        assert dry.returncode == 0, dry.stderr
        assert "→ officer wang_lei:\n🔔 催办：工单 #1" in dry.stdout  # the first one sent, however late
        assert dry.stdout.count("工单 #1") == 2  # one line to the officer, one to the head
        assert "→ officer zheng_yu:\n📌 督办：工单 #1" in dry.stdout
        assert "→ 领导督办清单：#1" in dry.stdout
        assert "2 条消息将会发送（演练：未发送、未记录任何内容）" in dry.stdout

    sent = xiaoer("sweep", "--now", now, "-d", database, cwd=tmp_path)
    assert sent.returncode == 0, sent.stderr
    assert "2 条消息已发送" in sent.stdout
    again = xiaoer("sweep", "--now", now, "-d", database, cwd=tmp_path)
    # the first sweep moved the ticket's check to its next rung: this one does not even read it
    assert "0 条消息已发送；查看了 0 件工单" in again.stdout


def test_sweep_outside_working_hours_and_bad_times(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'sweep.db'}"
    night = xiaoer("sweep", "--now", "2026-10-02T10:00", "--dry-run", "-d", database, cwd=tmp_path)
    assert night.returncode == 0, night.stderr
    assert "2026-10-02 10:00 不在工作时间：2026-10-08 09:00 之前不发送任何消息" in night.stdout
    bad = xiaoer("sweep", "--now", "tomorrow", "-d", database, cwd=tmp_path)
    assert bad.returncode == 2
    assert "--now 'tomorrow' is not a date and time" in bad.stderr
