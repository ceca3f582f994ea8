"""The KPI rates week by week, for the whole centre or one department or category: the counts
`xiaoer report` reads (storage/kpi_sql.py, one query per week), divided by bot.domain.kpi, and
drawn as an SVG line chart (matplotlib, in Chinese when a font can draw it, else in English)."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.kpi import RATE_NAMES, KpiCounts, KpiRates, rates
from bot.domain.periods import Period, today
from bot.i18n import t
from handlers.chart_font import FontLookup, cjk_font
from handlers.deps import Deps

LONGEST = 26  # weeks: half a year


@dataclass(frozen=True)
class WeekRates:
    period: Period
    counts: KpiCounts
    rates: KpiRates


async def weekly_rates(
    deps: Deps, weeks: int, department_id: str | None = None, category: str | None = None
) -> list[WeekRates]:
    """The last `weeks` weeks, Monday to Sunday, the current one (so far) last. One transaction,
    so the weeks agree with each other."""
    now = deps.clock()
    periods = recent_weeks(now, deps.timezone, weeks)
    found = []
    async with deps.storage() as uow:
        for period in periods:
            counts = await uow.kpi.counts(
                period.since, period.until, now, department_id=department_id, category=category
            )
            found.append(WeekRates(period, counts, rates(counts)))
    return found


def recent_weeks(now: datetime, timezone: ZoneInfo, weeks: int) -> list[Period]:
    """The last `weeks` weeks (at most LONGEST), Monday to Sunday, the current one last."""
    monday = today(now, timezone) - timedelta(days=today(now, timezone).weekday())
    return [
        Period(monday - timedelta(days=7 * back), monday - timedelta(days=7 * back - 7), timezone)
        for back in range(max(1, min(weeks, LONGEST)) - 1, -1, -1)
    ]


def percent_series(weeks: list[WeekRates]) -> dict[str, list[float | None]]:
    """Each rate in percent, week by week; None where a week has nothing to divide by."""
    return {
        name: [None if (rate := getattr(w.rates, name)) is None else rate * 100 for w in weeks]
        for name in RATE_NAMES
    }


def trend_svg(
    weeks: list[WeekRates], lang: str, title_in: Callable[[str], str], find_font: FontLookup | None = None
) -> bytes:
    """The four headline rates (and the reopen rate) in percent, one line each, a gap where a
    week has no data for a rate. `title_in(lang)`: the title, in English when no font can draw
    Chinese."""
    title = title_in(lang)
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    names = {name: t(lang, f"report.{name}") for name in RATE_NAMES}
    font_path = None
    if not lang.startswith("en"):
        font_path = (find_font or cjk_font)(title + "".join(names.values()))
        if font_path is None:  # no font draws these: label in English
            lang = "en"
            names = {name: t(lang, f"report.{name}") for name in RATE_NAMES}
            title = title_in(lang)
    font = FontProperties(fname=font_path) if font_path else FontProperties()
    figure = Figure(figsize=(9, 4.2), dpi=96, layout="constrained")
    FigureCanvasSVG(figure)
    axes = figure.subplots()
    labels = [w.period.first_day.strftime("%m-%d") for w in weeks]
    # numeric positions with the weeks as tick labels: a week where no rate has data keeps its place
    positions = list(range(len(weeks)))
    for name, values in percent_series(weeks).items():
        axes.plot(
            positions, [float("nan") if v is None else v for v in values], marker="o", label=names[name]
        )
    axes.set_xticks(positions, labels)
    axes.set_xlim(-0.5, len(weeks) - 0.5)
    axes.set_ylim(0, 105)
    axes.set_ylabel("%")
    axes.set_title(title, fontproperties=font)
    axes.grid(alpha=0.3)
    axes.legend(prop=font, loc="lower left", fontsize=8)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg")
    return buffer.getvalue()
