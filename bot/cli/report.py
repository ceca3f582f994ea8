"""`xiaoer report`: the report over the tickets opened in a period, as text, a table or a chart."""

from __future__ import annotations

import asyncio
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bot.cli_common import DATABASE, fail, run_work, settings_of

if TYPE_CHECKING:
    from bot.config import Settings
    from handlers.report_files import Rendered


def register(app: typer.Typer) -> None:
    app.command()(report)


def report(
    ctx: typer.Context,
    from_: str = typer.Option(
        ..., "--from", metavar="DATE", help="The first day, YYYY-MM-DD (in the configured time zone)."
    ),
    to: str = typer.Option(
        ..., "--to", metavar="DATE", help="The day after the last, YYYY-MM-DD: the report covers [from, to)."
    ),
    format_: str = typer.Option("md", "--format", "-f", metavar="md|csv|xlsx|png", help="The file format."),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        metavar="FILE",
        help="Where to write it (default: md and csv to stdout; xlsx and png to "
        "xiaoer-report-FROM-TO.<format> here).",
    ),
    lang: str | None = typer.Option(
        None, "--lang", metavar="zh-CN|en", help="The report's language (default: language from the config)."
    ),
    database: str | None = DATABASE,
) -> None:
    """The report over tickets opened in [from, to): volume by category and department, the KPI
    rates, average time to resolve, the most overdue tickets; or its chart (png)."""
    from handlers.report_files import FORMATS

    first, end = _day("--from", from_), _day("--to", to)
    if end <= first:
        fail(
            [
                f"xiaoer: --to {to} is not after --from {from_}: the report covers [from, to), so --to is "
                "the day after the last day",
                "  e.g. November 2026: --from 2026-11-01 --to 2026-12-01; "
                "one day: --from 2026-11-05 --to 2026-11-06",
            ]
        )
    if format_ not in FORMATS:
        fail([f"xiaoer: --format {format_!r} is not known: use one of {', '.join(FORMATS)}"])
    if lang is not None and lang not in ("zh-CN", "en"):
        fail([f"xiaoer: --lang {lang!r} is not known: use zh-CN or en"])
    settings = settings_of(ctx)
    _begun(first, settings)
    rendered = run_work(_report(settings, database, first, end, format_, lang or settings.language))
    if rendered.lang != (lang or settings.language):
        typer.echo(
            "xiaoer: no font with Chinese glyphs was found, so the chart's labels are in English "
            "(install one, e.g. `apt install fonts-noto-cjk`, for Chinese labels)",
            err=True,
        )
    if output is None and format_ in ("md", "csv"):
        sys.stdout.buffer.write(rendered.data)
        sys.stdout.flush()
        return
    target = output or Path(f"xiaoer-report-{first.isoformat()}-{end.isoformat()}.{format_}")
    try:
        target.write_bytes(rendered.data)
    except OSError as exc:
        fail([f"xiaoer: cannot write {target}: {exc.strerror}; choose another --output"])
    typer.echo(f"xiaoer: wrote {target} ({len(rendered.data)} bytes)", err=True)


def _begun(first: date, settings: Settings) -> None:
    """A period that has not begun would be a report of zeros, read as a quiet month."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from bot.domain.periods import today

    now = today(datetime.now(UTC), ZoneInfo(settings.timezone))
    if first > now:
        fail([f"xiaoer: --from {first} has not come yet (today is {now}): no ticket is in that period"])


def _day(option: str, text: str) -> date:
    from handlers.reports import parse_day

    day = parse_day(text)
    if day is None:
        fail(
            [
                f"xiaoer: {option} {text!r} is not a date between 2000 and 2100: "
                "write it as YYYY-MM-DD, e.g. 2026-11-01"
            ]
        )
    return day


async def _report(
    settings: Settings, database: str | None, first: date, end: date, format_: str, lang: str
) -> Rendered:
    from zoneinfo import ZoneInfo

    from bot.bootstrap import build_app
    from bot.domain.periods import Period
    from handlers.report_files import render_file
    from handlers.reports import load_report, words_for

    period = Period(first, end, ZoneInfo(settings.timezone))
    app_ = await build_app(settings, database, load_nlu=False)
    try:
        report = await load_report(app_.deps, period.since, period.until)
    finally:
        await app_.close()
    return await asyncio.to_thread(render_file, words_for(report, lang, app_.deps), format_)
