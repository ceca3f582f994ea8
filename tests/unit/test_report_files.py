"""Issue 21 item 19: report files a spreadsheet reads as meant: plain decimals in the CSV (never
3.805e-05), headers in the report's language and real dates in the XLSX."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from bot.config import load_settings
from bot.domain.kpi import KpiCounts
from bot.domain.report import OverdueTicket, ResolveTimes, VolumeCount, build_report
from bot.domain.tickets import Status
from handlers.report_files import render_file
from handlers.report_format import ReportWords
from tests.conftest import NOW, ROOT

XIAMEN = ZoneInfo("Asia/Shanghai")


def tiny_report(lang: str = "zh-CN") -> ReportWords:
    report = build_report(
        since=NOW,
        until=NOW + timedelta(days=7),
        as_of=NOW + timedelta(days=7),
        volume=[VolumeCount("tax", "tax_bureau", 3)],
        counts=KpiCounts(dispatched=100_000, responded_in_time=1),
        resolve_times=ResolveTimes(closed=1, total_seconds=0.137),
        most_overdue=[OverdueTicket(7, "tax", "tax_bureau", None, Status.SIGNED, NOW, 0.137)],
    )
    return ReportWords(report, lang, load_settings(ROOT / "config.yaml").bootstrap_directory(), XIAMEN)


def test_csv_numbers_are_plain_decimals() -> None:
    text = render_file(tiny_report(), "csv").data.decode("utf-8-sig")
    assert "e-" not in text
    rows = {(r["section"], r["key"]): r for r in csv.DictReader(io.StringIO(text))}
    assert rows[("rate", "response_rate")]["value"] == "0.00001"
    assert float(rows[("overdue", "7")]["value"]) == 0.137 / 3600
    assert float(rows[("time", "average_resolve_hours")]["value"]) == 0.137 / 3600


def test_xlsx_headers_follow_the_language_and_dates_are_dates() -> None:
    book = load_workbook(io.BytesIO(render_file(tiny_report(), "xlsx").data))
    summary = list(book.worksheets[0].iter_rows(values_only=True))
    header = next(row for row in summary if row[0] == "指标")
    assert not {"part", "whole", "key"} & set(header), header
    values = {row[4]: row[1] for row in summary if len(row) > 4 and row[4]}
    assert values["first_day"] == datetime(2026, 11, 23)  # openpyxl reads a date cell back so
    assert isinstance(values["as_of"], datetime)
    assert values["as_of"] == datetime(2026, 11, 30, 10, 0)  # local time in the report's zone
    overdue = list(book.worksheets[3].iter_rows(values_only=True))
    assert isinstance(overdue[1][4], datetime)
    for sheet in book.worksheets[1:]:
        assert "key" not in next(sheet.iter_rows(values_only=True))
    english = load_workbook(io.BytesIO(render_file(tiny_report("en"), "xlsx").data))
    header = next(row for row in english.worksheets[0].iter_rows(values_only=True) if row[0] == "Figure")
    assert header[2:4] == ("Part", "Whole")
