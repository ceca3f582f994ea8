"""A report as file bytes: CSV (UTF-8 with a BOM, so spreadsheet programs read the Chinese),
XLSX (openpyxl) and a PNG chart (matplotlib, drawn with the Agg renderer: no display needed).

Chinese needs a font with CJK glyphs, and a machine may have none: the chart looks for one among
the fonts matplotlib knows and the system's font files, and draws in English when none covers
every character of its labels (a missing glyph would otherwise be drawn as an empty box).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING

from bot.domain.kpi import RATE_NAMES, fractions
from handlers.report_format import CSV_COLUMNS, ReportWords, csv_rows, markdown

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.font_manager import FontProperties

FORMATS = ("md", "csv", "xlsx", "png")

# Families known to carry Chinese glyphs, tried first (any font covering the labels will do).
_CJK_FAMILIES = (
    "noto sans cjk",
    "noto serif cjk",
    "source han",
    "wenquanyi",
    "wqy",
    "droid sans fallback",
    "ar pl",
    "simhei",
    "simsun",
    "microsoft yahei",
    "pingfang",
    "hiragino sans gb",
    "heiti",
    "songti",
    "sarasa",
)
_SAMPLE = "企业服务专线工作报告受理量按类别考核指标"  # a font that lacks these is no use to us

FontLookup = Callable[[str], str | None]


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
        return to_png(words, find_font)
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
    summary.append([words.text("first_day"), words.first_day.isoformat(), None, None, "first_day"])
    summary.append([words.text("last_day"), words.last_day.isoformat(), None, None, "last_day"])
    summary.append([words.text("as_of_label"), words.when(report.as_of), None, None, "as_of"])
    summary.append([words.text("opened"), report.opened, None, None, "opened"])
    summary.append([])
    summary.append([words.text("column_figure"), words.text("column_value"), "part", "whole", "key"])
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
        sheet.append([heading, words.text("column_tickets"), words.text("column_share"), "key"])
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
                words.when(ticket.resolve_by),
                round(ticket.overdue_seconds / 3600, 2),
            ]
        )
    overdue.column_dimensions["C"].width = 30
    for sheet in book.worksheets[1:]:
        for cell in sheet[1]:
            cell.font = bold

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_png(words: ReportWords, find_font: FontLookup | None = None) -> Rendered:
    """Volume by category as bars, beside the five rates in percent."""
    find_font = find_font or cjk_font
    font_path = None
    if not words.lang.startswith("en"):
        font_path = find_font(_labels(words))
        if font_path is None:
            words = replace(words, lang="en")
    return Rendered(_draw(words, font_path), words.lang)


def _labels(words: ReportWords) -> str:
    texts = [words.title(), words.text("chart_volume", count=words.report.opened), words.text("chart_rates")]
    texts += [words.text("chart_tickets"), words.text("no_data")]
    texts += [words.category(c) for c, _ in words.report.by_category]
    texts += [words.rate_name(name) for name in RATE_NAMES]
    return "".join(texts)


def _draw(words: ReportWords, font_path: str | None) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.ticker import MaxNLocator

    font = FontProperties(fname=font_path) if font_path else FontProperties()
    report = words.report
    figure = Figure(figsize=(12, 6), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)  # the Agg renderer, whatever matplotlib's default backend is
    volume_axes, rate_axes = figure.subplots(1, 2, width_ratios=(3, 2))
    figure.suptitle(words.title(), fontproperties=font, fontsize=15)

    categories = list(reversed(report.by_category))  # matplotlib draws bars bottom-up
    labels = [words.category(c) for c, _ in categories]
    counts = [n for _, n in categories]
    volume_axes.barh(range(len(counts)), counts, height=0.6, color="#3b6ea5")
    volume_axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    for y, n in enumerate(counts):
        volume_axes.annotate(str(n), (n, y), xytext=(3, 0), textcoords="offset points", va="center")
    _style(volume_axes, words.text("chart_volume", count=words.report.opened), labels, font)
    volume_axes.set_xlabel(words.text("chart_tickets"), fontproperties=font)
    if not counts:
        volume_axes.text(
            0.5, 0.5, words.text("no_data"), ha="center", transform=volume_axes.transAxes, fontproperties=font
        )
    volume_axes.set_xlim(0, max(counts, default=1) * 1.15)

    names = list(reversed(RATE_NAMES))
    values = [getattr(report.rates, name) for name in names]
    colours = ["#c0504d" if name == "reopen_rate" else "#4f9a55" for name in names]  # reopen: lower is better
    rate_axes.barh(range(len(names)), [(v or 0) * 100 for v in values], height=0.6, color=colours)
    for y, value in enumerate(values):
        text = words.percent(value)
        position = (value or 0) * 100
        rate_axes.annotate(
            text, (position, y), xytext=(3, 0), textcoords="offset points", va="center", fontproperties=font
        )
    _style(rate_axes, words.text("chart_rates"), [words.rate_name(n) for n in names], font)
    rate_axes.set_xlim(0, 118)  # room for "100.0%" after a full bar

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _style(axes: Axes, title: str, labels: list[str], font: FontProperties) -> None:
    axes.set_title(title, fontproperties=font, fontsize=12)
    axes.set_yticks(range(len(labels)), labels)
    for label in axes.get_yticklabels():
        label.set_fontproperties(font)
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="x", alpha=0.3)


def cjk_font(text: str) -> str | None:
    """A font file with a glyph for every character of `text`, or None."""
    wanted = {ord(ch) for ch in text if not ch.isspace()}
    for path, charmap in _cjk_candidates():
        if wanted <= charmap:
            return path
    return None


@cache
def _cjk_candidates() -> tuple[tuple[str, frozenset[int]], ...]:
    """Font files that have the sample's Chinese glyphs, known CJK families first. Looked up once
    per process: matplotlib's font list, then the system's font files (its list is cached on
    disk and may predate a font installed since)."""
    from matplotlib import font_manager

    known = {entry.fname: entry.name for entry in font_manager.fontManager.ttflist}
    paths = dict.fromkeys([*known, *font_manager.findSystemFonts()])

    def likely_cjk(path: str) -> bool:
        name = f"{known.get(path, '')} {path}".lower()
        return any(family in name for family in _CJK_FAMILIES)

    sample = {ord(ch) for ch in _SAMPLE}
    likely = [p for p in paths if likely_cjk(p)]
    return _covering(sorted(likely), sample) or _covering(sorted(set(paths) - set(likely)), sample)


def _covering(paths: list[str], sample: set[int]) -> tuple[tuple[str, frozenset[int]], ...]:
    from matplotlib.ft2font import FT2Font

    found = []
    for path in paths:
        try:
            charmap = frozenset(FT2Font(path).get_charmap())
        except (OSError, RuntimeError, ValueError):  # unreadable, or not a font after all
            continue
        if sample <= charmap:
            found.append((path, charmap))
    return tuple(found)
