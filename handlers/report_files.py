"""A report as the bytes of a file: Markdown, CSV (UTF-8 with a BOM, so spreadsheet programs
read the Chinese), XLSX (openpyxl) or the PNG chart (handlers.report_chart)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from bot.domain.kpi import RATE_NAMES, fractions
from handlers.chart_font import FontLookup
from handlers.report_chart import to_png
from handlers.report_format import CSV_COLUMNS, ReportWords, csv_rows, markdown

FORMATS = ("md", "csv", "xlsx", "png")
_DATE = "yyyy-mm-dd"
_DATE_TIME = "yyyy-mm-dd hh:mm"


@dataclass(frozen=True)
class Rendered:
    data: bytes
    lang: str  # the labels' language: a chart falls back to English without a CJK font


def render_file(words: ReportWords, format: str, find_font: FontLookup | None = None) -> Rendered:
    """The report in one of FORMATS."""
    if format == "md":
        return Rendered(markdown(words).encode("utf-8"), words.lang)
    if format == "csv":
        return Rendered(to_csv(words), words.lang)
    if format == "xlsx":
        return Rendered(to_xlsx(words), words.lang)
    if format == "png":
        chart = to_png(words, find_font)
        return Rendered(chart.png, chart.lang)
    raise ValueError(f"unknown report format {format!r} (one of {', '.join(FORMATS)})")


def to_csv(words: ReportWords) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_rows(words))
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(words: ReportWords) -> bytes:
    """Four sheets: the summary (period and figures; rates as numbers shown as percentages), the
    volume by category and by department, and the most overdue tickets. The last column of the
    summary holds stable keys for programs reading it."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    report = words.report
    book = Workbook()
    summary = book.active
    assert summary is not None  # a new workbook has one sheet
    summary.title = words.text("sheet_summary")
    bold = Font(bold=True)
    summary.append([words.title()])
    summary["A1"].font = bold
    summary.append([words.text("first_day"), words.first_day, None, None, "first_day"])
    summary.cell(row=summary.max_row, column=2).number_format = _DATE
    summary.append([words.text("last_day"), words.last_day, None, None, "last_day"])
    summary.cell(row=summary.max_row, column=2).number_format = _DATE
    summary.append([words.text("as_of_label"), _local(report.as_of, words), None, None, "as_of"])
    summary.cell(row=summary.max_row, column=2).number_format = _DATE_TIME
    summary.append([words.text("opened"), report.opened, None, None, "opened"])
    summary.append([])
    summary.append(
        [
            words.text("column_figure"),
            words.text("column_value"),
            words.text("column_part"),
            words.text("column_whole"),
            words.text("column_key"),
        ]
    )
    counted = fractions(report.counts)
    for name in RATE_NAMES:
        part, whole = counted[name]
        summary.append([words.rate_name(name), getattr(report.rates, name), part, whole, name])
        summary.cell(row=summary.max_row, column=2).number_format = "0.0%"
    average = report.average_resolve
    summary.append(
        [
            words.text("average_resolve") + " (h)",
            None if average is None else round(average.total_seconds() / 3600, 2),
            None,
            report.resolve_times.closed,
            "average_resolve_hours",
        ]
    )
    summary.column_dimensions["A"].width = 28
    summary.column_dimensions["B"].width = 18

    for title, heading, rows in (
        (
            words.text("by_category"),
            words.text("column_category"),
            [(c, words.category(c), n) for c, n in report.by_category],
        ),
        (
            words.text("by_department"),
            words.text("column_department"),
            [(d or "", words.department(d), n) for d, n in report.by_department],
        ),
    ):
        sheet = book.create_sheet(title)
        sheet.append(
            [heading, words.text("column_tickets"), words.text("column_share"), words.text("column_key")]
        )
        for key, label, tickets in rows:
            sheet.append([label, tickets, tickets / report.opened if report.opened else None, key])
            sheet.cell(row=sheet.max_row, column=3).number_format = "0.0%"
        sheet.column_dimensions["A"].width = 30

    overdue = book.create_sheet(words.text("sheet_overdue"))
    overdue.append(
        [
            words.text("column_ticket"),
            words.text("column_category"),
            words.text("column_handler"),
            words.text("column_status"),
            words.text("column_deadline"),
            words.text("column_overdue_hours"),
        ]
    )
    for ticket in report.most_overdue:
        overdue.append(
            [
                ticket.number,
                words.overdue_category(ticket),
                words.handler(ticket),
                words.status(ticket),
                _local(ticket.resolve_by, words),
                round(ticket.overdue_seconds / 3600, 2),
            ]
        )
    for row in overdue.iter_rows(min_row=2, min_col=5, max_col=5):
        row[0].number_format = _DATE_TIME
    overdue.column_dimensions["C"].width = 30
    overdue.column_dimensions["E"].width = 18
    for sheet in book.worksheets[1:]:
        for cell in sheet[1]:
            cell.font = bold

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _local(at: datetime, words: ReportWords) -> datetime:
    """A moment as a spreadsheet date: its wall-clock time in the configured zone (cells hold none)."""
    return at.astimezone(words.timezone).replace(tzinfo=None)
