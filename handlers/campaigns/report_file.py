"""A campaign's final report as files: an .xlsx with the coverage figures and a row per target
enterprise with its visit (openpyxl), and a chart of coverage over time (matplotlib's Agg renderer,
in Chinese when a font can draw it: handlers.chart_font)."""

from __future__ import annotations

import asyncio
import io
from datetime import date, timedelta

from bot.domain.campaigns import Campaign, CoverageReport
from bot.i18n import t
from handlers import render
from handlers.campaigns.coverage import coverage_report
from handlers.chart_font import FontLookup, cjk_font
from handlers.deps import Deps
from handlers.report_chart import Chart
from handlers.sheet_cells import xlsx_row
from storage.campaign_protocols import TargetLine


async def campaign_workbook(deps: Deps, campaign: Campaign, lang: str) -> bytes:
    assert campaign.id is not None
    report = await coverage_report(deps, campaign)
    async with deps.storage() as uow:
        lines = await uow.campaigns.target_lines(campaign.id)
    return await asyncio.to_thread(to_xlsx, report, lines, lang, deps)


def to_xlsx(report: CoverageReport, lines: list[TargetLine], lang: str, deps: Deps) -> bytes:
    """Three sheets: the coverage by department and officer, and every target with its visit."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    campaign = report.campaign
    book = Workbook()
    summary = book.active
    assert summary is not None  # a new workbook has one sheet
    summary.title = t(lang, "campaign.sheet_coverage")
    summary.append([f"{campaign.ref} {campaign.name}", campaign.starts_on, campaign.ends_on])
    summary.append(
        [
            t(lang, f"campaign.column_{c}")
            for c in ("who", "assigned", "visited", "remaining", "percent", "demands", "resolved", "notes")
        ]
    )
    rows = [(t(lang, "campaign.total"), report.total)]
    rows += [
        (render.department_name(c.key, lang, deps.directory) if c.key else t(lang, "campaign.unassigned"), c)
        for c in report.by_department
    ]
    rows += [
        (render.officer_name(c.key, lang, deps.directory) if c.key else t(lang, "campaign.unassigned"), c)
        for c in report.by_officer
    ]
    for who, line in rows:
        summary.append(
            [
                who,
                line.assigned,
                line.visited,
                line.remaining,
                line.percent / 100,
                line.demands,
                line.resolved,
                line.notes,
            ]
        )
    for (share,) in summary.iter_rows(min_row=3, min_col=5, max_col=5):
        share.number_format = "0.0%"
    targets = book.create_sheet(t(lang, "campaign.sheet_targets"))
    targets.append(
        [
            t(lang, f"campaign.column_{c}")
            for c in (
                "company",
                "uscc",
                "officer",
                "department",
                "visited_on",
                "met",
                "situation",
                "demands",
                "notes",
            )
        ]
    )
    for target in lines:
        targets.append(
            xlsx_row(  # what the officer recorded of the visit, as typed
                targets,
                [
                    target.enterprise.name,
                    target.enterprise.uscc or "",
                    render.officer_name(target.officer_id, lang, deps.directory),
                    render.department_name(target.department_id, lang, deps.directory),
                    target.visited_on,
                    target.met or "",
                    target.situation or "",
                    target.demands,
                    target.notes,
                ],
            )
        )
    # a column at a time: openpyxl's max_row scans every cell, so asking it per row is quadratic
    for (day,) in targets.iter_rows(min_row=2, min_col=5, max_col=5):
        day.number_format = "yyyy-mm-dd"
    bold = Font(bold=True)
    for sheet in book.worksheets:
        for cell in sheet[2 if sheet is summary else 1]:
            cell.font = bold
        sheet.column_dimensions["A"].width = 32
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def campaign_chart(
    deps: Deps, campaign: Campaign, lang: str, find_font: FontLookup | None = None
) -> Chart:
    assert campaign.id is not None
    report = await coverage_report(deps, campaign)
    async with deps.storage() as uow:
        by_day = await uow.campaigns.visits_by_day(campaign.id)
    return await asyncio.to_thread(
        to_png, campaign, report.total.assigned, by_day, lang, find_font or cjk_font
    )


def cumulative(campaign: Campaign, by_day: list[tuple[date, int]]) -> list[tuple[date, int]]:
    """Enterprises visited by the end of each day of the campaign so far (first visits only)."""
    if not by_day:
        return []
    first = min(campaign.starts_on, by_day[0][0])
    last = max(day for day, _ in by_day)
    counts = dict(by_day)
    total, points = 0, []
    day = first
    while day <= last:
        total += counts.get(day, 0)
        points.append((day, total))
        day += timedelta(days=1)
    return points


def to_png(
    campaign: Campaign, assigned: int, by_day: list[tuple[date, int]], lang: str, find_font: FontLookup
) -> Chart:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    title = t(lang, "campaign.chart_title", ref=campaign.ref, name=campaign.name)
    font_path = None if lang.startswith("en") else find_font(title + t(lang, "campaign.chart_visited"))
    if font_path is None and not lang.startswith("en"):
        lang = "en"
        title = t(lang, "campaign.chart_title", ref=campaign.ref, name=campaign.ref)
    font = FontProperties(fname=font_path) if font_path else FontProperties()
    figure = Figure(figsize=(10, 5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    points = cumulative(campaign, by_day)
    # x: days since the campaign began (labelled with the dates), so the axis needs no date units
    start = campaign.starts_on
    axes.step([(d - start).days for d, _ in points], [n for _, n in points], where="post", color="#3b6ea5")
    axes.axhline(assigned, color="#c0504d", linestyle="--", linewidth=1)
    axes.set_title(title, fontproperties=font)
    axes.set_ylabel(t(lang, "campaign.chart_visited"), fontproperties=font)
    axes.set_ylim(0, max(assigned, 1) * 1.1)
    length = max((campaign.ends_on - start).days, 1)
    axes.set_xlim(0, length)
    ticks = sorted({round(length * i / 6) for i in range(7)})
    axes.set_xticks(ticks, [(start + timedelta(days=d)).strftime("%m-%d") for d in ticks])
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return Chart(buffer.getvalue(), lang)
