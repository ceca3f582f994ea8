"""A report's chart: volume by category as bars, beside the five rates in percent. A PNG drawn
with matplotlib's Agg renderer (no display needed), in Chinese when a font can draw it, else in
English (handlers.chart_font)."""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.domain.kpi import RATE_NAMES
from handlers.chart_font import FontLookup, cjk_font
from handlers.report_format import ReportWords

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.font_manager import FontProperties


@dataclass(frozen=True)
class Chart:
    png: bytes
    lang: str  # the labels' language: English when the wanted one had no font on this machine


def to_png(words: ReportWords, find_font: FontLookup | None = None) -> Chart:
    """Volume by category as bars, beside the five rates in percent."""
    find_font = find_font or cjk_font
    font_path = None
    if not words.lang.startswith("en"):
        font_path = find_font(_labels(words))
        if font_path is None:
            words = replace(words, lang="en")
    return Chart(_draw(words, font_path), words.lang)


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
