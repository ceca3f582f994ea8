"""Figures: the KPI rates week by week, for the centre or one department or category, as a chart
and a table (the same counts as `xiaoer report`, handlers/rate_trend.py), and the report of the
weeks shown as an .xlsx file (the same file as `xiaoer report --format xlsx`). For those who see
the district's figures: heads, dispatchers, admins and the leadership."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiohttp import web

from bot.domain.kpi import RATE_NAMES
from bot.domain.permissions import may_see_reports
from bot.i18n import t
from bot.webconsole.access import Viewer, audit, required
from bot.webconsole.board import Choice
from bot.webconsole.console import CONSOLE, Console
from handlers import render
from handlers.numbers import small_number
from handlers.rate_trend import WeekRates, recent_weeks, trend_svg, weekly_rates
from handlers.report_files import to_xlsx
from handlers.reports import load_report, words_for

DEFAULT_WEEKS = 8


@dataclass(frozen=True)
class Wanted:
    weeks: int
    department_id: str | None
    category: str | None


async def _allowed(request: web.Request) -> tuple[Console, Viewer, Wanted]:
    console = request.app[CONSOLE]
    viewer = await required(request)
    actor = viewer.actor
    if not may_see_reports(actor, console.deps.directory.leaders):
        await audit(console, actor.officer_id, "figures_refused", None, actor.role.value)
        raise web.HTTPForbidden(
            text=console.render(
                "message.html", actor.lang, viewer=viewer, message_key="console.no_figures", params={}
            ),
            content_type="text/html",
        )
    q = request.query
    directory = console.deps.directory
    weeks = q.get("weeks", str(DEFAULT_WEEKS))
    department = q.get("dept") or None
    category = q.get("cat") or None
    return (
        console,
        viewer,
        Wanted(
            weeks=_weeks(weeks),
            department_id=department if department in directory.departments else None,
            category=category if category in directory.category_leads else None,
        ),
    )


def _title(wanted: Wanted, lang: str, console: Console) -> str:
    parts = [t(lang, "console.figures_title")]
    if wanted.department_id:
        parts.append(render.department_name(wanted.department_id, lang, console.deps.directory))
    if wanted.category:
        parts.append(render.category_name(wanted.category, lang))
    return " · ".join(parts)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


async def figures(request: web.Request) -> web.Response:
    console, viewer, wanted = await _allowed(request)
    lang = viewer.actor.lang
    weeks = await weekly_rates(console.deps, wanted.weeks, wanted.department_id, wanted.category)
    rows = [
        (
            f"{w.period.first_day.isoformat()} – {w.period.last_day.isoformat()}",
            w.counts.dispatched,
            [_percent(getattr(w.rates, name)) for name in RATE_NAMES],
        )
        for w in weeks
    ]
    directory = console.deps.directory
    return console.page(
        "figures.html",
        lang,
        viewer=viewer,
        title=_title(wanted, lang, console),
        rows=rows,
        rate_names=[t(lang, f"report.{name}") for name in RATE_NAMES],
        wanted=wanted,
        query=request.query_string,
        departments=[
            Choice(d, render.department_name(d, lang, directory)) for d in sorted(directory.departments)
        ],
        categories=[Choice(c, render.category_name(c, lang)) for c in sorted(directory.category_leads)],
    )


async def figures_chart(request: web.Request) -> web.Response:
    console, viewer, wanted = await _allowed(request)
    lang = viewer.actor.lang
    weeks: list[WeekRates] = await weekly_rates(
        console.deps, wanted.weeks, wanted.department_id, wanted.category
    )
    svg = await asyncio.to_thread(
        trend_svg, weeks, lang, lambda chosen: _title(wanted, chosen, console)
    )  # drawing takes a while
    return web.Response(body=svg, content_type="image/svg+xml")


async def figures_xlsx(request: web.Request) -> web.Response:
    """The report over the weeks shown, for the whole centre: `xiaoer report`'s own file."""
    console, viewer, wanted = await _allowed(request)
    deps = console.deps
    weeks = recent_weeks(deps.clock(), deps.timezone, wanted.weeks)
    report = await load_report(deps, weeks[0].since, weeks[-1].until)
    data = await asyncio.to_thread(to_xlsx, words_for(report, viewer.actor.lang, deps))
    name = f"xiaoer-report-{weeks[0].first_day.isoformat()}-{weeks[-1].last_day.isoformat()}.xlsx"
    return web.Response(
        body=data,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _weeks(text: str) -> int:
    """How many weeks back (1 to 26); the default for anything else, thousands of digits included."""
    number = small_number(text)
    return number if number is not None and 1 <= number <= 26 else DEFAULT_WEEKS
