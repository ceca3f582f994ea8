"""`xiaoer report` as an operator runs it: the real command on a real SQLite database."""

from __future__ import annotations

import csv
import io
import re
import struct
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from storage import migrate
from storage.engine import create_engine
from storage.sql import SqlStorage
from tests.conftest import run_in_thread
from tests.contract.test_report_month import MOST_OVERDUE, OPENED, RATES, seed_month
from tests.e2e.test_shell import DEMAND, xiaoer

NOVEMBER = ("--from", "2026-11-01", "--to", "2026-12-01")


async def _seed(url: str) -> dict[int, int]:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        return await seed_month(SqlStorage(engine))
    finally:
        await engine.dispose()


@pytest.fixture
def month_db(tmp_path: Path) -> tuple[str, dict[int, int]]:
    """A database holding the hand-counted month of tests/contract/test_report_month.py."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'month.db'}"
    return url, run_in_thread(_seed(url))


def test_markdown_and_csv_go_to_stdout(tmp_path: Path, month_db: tuple[str, dict[int, int]]) -> None:
    url, numbers = month_db
    md = xiaoer("report", *NOVEMBER, "--database", url, cwd=tmp_path)
    assert md.returncode == 0, md.stderr
    assert md.stdout.startswith("# 企业服务专线工作报告 · 2026-11-01 至 2026-11-30")
    assert f"受理工单 {OPENED} 件" in md.stdout
    assert "| 响应率 | 70.0% | 按时签收并联系企业 7 / 应已响应的派单 10 |" in md.stdout

    result = xiaoer("report", *NOVEMBER, "--format", "csv", "--lang", "en", "--database", url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout.removeprefix("\ufeff"))))
    rates = {
        r["key"]: (int(r["part"]), int(r["whole"]), float(r["value"])) for r in rows if r["section"] == "rate"
    }
    assert rates == {name: (part, whole, part / whole) for name, (part, whole) in RATES.items()}
    assert next(r["label"] for r in rows if r["key"] == "response_rate") == "Response rate"
    # Tickets closed late are overdue by a fixed amount; open ones by now, which keeps moving.
    late = {int(r["key"]): float(r["value"]) for r in rows if r["section"] == "overdue"}
    for story, hours in MOST_OVERDUE:
        if story in (13, 2):
            assert late[numbers[story]] == hours
    assert numbers[4] in late  # open since before 17 November's deadline


def test_xlsx_and_png_are_written_to_files(tmp_path: Path, month_db: tuple[str, dict[int, int]]) -> None:
    url, _ = month_db
    target = tmp_path / "out" / "november.xlsx"
    target.parent.mkdir()
    result = xiaoer("report", *NOVEMBER, "-f", "xlsx", "-o", str(target), "--database", url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert f"wrote {target}" in result.stderr
    book = load_workbook(target)
    summary = {row[4]: row[1:4] for row in book.worksheets[0].iter_rows(values_only=True) if len(row) > 4}
    for name, (part, whole) in RATES.items():
        assert summary[name] == (part / whole, part, whole)

    result = xiaoer("report", *NOVEMBER, "--format", "png", "--database", url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    chart = (tmp_path / "xiaoer-report-2026-11-01-2026-12-01.png").read_bytes()
    assert chart.startswith(b"\x89PNG\r\n\x1a\n")
    assert struct.unpack(">II", chart[16:24]) == (1320, 660)
    assert len(chart) > 30_000


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ("--from", "2026-11-31", "--to", "2026-12-01"),
            "--from '2026-11-31' is not a date between 2000 and 2100: write it as YYYY-MM-DD",
        ),
        (("--from", "2026-11-01", "--to", "1 Dec"), "--to '1 Dec' is not a date"),
        (("--from", "0001-01-01", "--to", "2026-01-01"), "--from '0001-01-01' is not a date between 2000"),
        (("--from", "2026-12-01", "--to", "2026-11-01"), "--to 2026-11-01 is not after --from 2026-12-01"),
        (("--from", "2026-11-01", "--to", "2026-11-01"), "--to is the day after the last day"),
        (("--from", "2099-01-01", "--to", "2099-02-01"), "--from 2099-01-01 has not come yet (today is 20"),
        ((*NOVEMBER, "--format", "pdf"), "--format 'pdf' is not known: use one of md, csv, xlsx, png"),
        ((*NOVEMBER, "--lang", "fr"), "--lang 'fr' is not known: use zh-CN or en"),
        ((*NOVEMBER, "-f", "png", "-o", "missing/dir/chart.png"), "cannot write missing/dir/chart.png"),
    ],
)
def test_bad_input_says_what_to_fix(tmp_path: Path, args: tuple[str, ...], says: str) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    result = xiaoer("report", *args, "--database", url, cwd=tmp_path)
    assert result.returncode == 2
    assert says in result.stderr
    assert result.stdout == ""
    assert list(tmp_path.glob("*.png")) == []


def test_a_shell_session_shows_up_in_the_report(tmp_path: Path) -> None:
    """The closed loop in the shell, then today's report on the same database."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'loop.db'}"
    loop = (
        f"{DEMAND}\n/as officer wang_lei\n/take 1\n/reply 1 已对接建设银行\n/resolve 1 已放款\n"
        "/as enterprise xinyuan\n1\n1\n"
    )
    shell = xiaoer("shell", "--database", url, stdin=loop, cwd=tmp_path)
    assert shell.returncode == 0, shell.stderr
    assert "感谢您的确认，工单 #1 已办结" in shell.stdout
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    period = ("--from", str(today - timedelta(days=1)), "--to", str(today + timedelta(days=2)))
    result = xiaoer("report", *period, "--database", url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "受理工单 1 件" in result.stdout
    for line in (
        "| 响应率 | 100.0% |",
        "| 解决率 | 100.0% |",
        "| 满意率 | 100.0% |",
        "| 按期办结率 | 100.0% |",
    ):
        assert line in result.stdout
    assert "| 重启率 | 0.0% |" in result.stdout
    assert re.search(r"\| 融资信贷 \| 1 \| 100\.0% \|", result.stdout)
    assert "本期受理的工单没有超期。" in result.stdout
