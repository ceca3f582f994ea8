"""`xiaoer tickets export`: one row per ticket opened in a period, every field and timestamp, the
enterprise, the department and the current assignee by name, and the survey's answers and
comments, as .xlsx or .csv (UTF-8 with BOM, which Excel opens as such)."""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast
from zoneinfo import ZoneInfo

import typer

from bot.cli_common import fail, run_work, settings_of, writing
from bot.domain.enterprise import Enterprise
from bot.domain.tickets import Ticket
from bot.i18n import t
from handlers.sheet_cells import csv_row, xlsx_row

if TYPE_CHECKING:
    from bot.bootstrap import App
    from bot.config import Settings

tickets_app = typer.Typer(help="Tickets in bulk: export.", no_args_is_help=True, rich_markup_mode=None)

PAGE = 1000  # tickets read per query: memory stays flat however long the period
FIELDS = tuple(f.name for f in dataclasses.fields(Ticket))
NAMES = ("enterprise_name", "department_name", "assignee_name", "survey_comments")


@tickets_app.command("export")
def export(
    ctx: typer.Context,
    since: str = typer.Option(..., "--from", metavar="YYYY-MM-DD", help="First day (opened on or after)."),
    until: str = typer.Option(..., "--to", metavar="YYYY-MM-DD", help="Last day, included."),
    format_: str | None = typer.Option(
        None, "--format", metavar="xlsx|csv", help="The file's format (default: --out's suffix, else xlsx)."
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", metavar="FILE", help="Default: tickets-FROM-TO.FORMAT."
    ),
    database: str | None = typer.Option(None, "--database", "-d", metavar="URL", help="Database URL."),
) -> None:
    """Every ticket opened from --from to --to (days in the configured time zone)."""
    settings = settings_of(ctx)
    if format_ is None:  # `--out tickets.csv` asks for CSV: not a workbook under a .csv name
        format_ = "csv" if out is not None and out.suffix.lower() == ".csv" else "xlsx"
    if format_ not in ("xlsx", "csv"):
        fail([f"xiaoer: --format {format_}: choose xlsx or csv"])
    first, last = _day("--from", since), _day("--to", until)
    if last < first:
        fail([f"xiaoer: --to {until} is before --from {since}"])
    path = out or Path(f"tickets-{first.isoformat()}-{last.isoformat()}.{format_}")
    zone = ZoneInfo(settings.timezone)
    period = (datetime.combine(first, time(), zone), datetime.combine(last + timedelta(days=1), time(), zone))
    chosen = cast(Literal["xlsx", "csv"], format_)
    count = run_work(_export(settings, database, period, path, chosen))
    typer.echo(f"xiaoer: {count} ticket(s) written to {path}")


def _day(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail([f"xiaoer: {option} {text}: write the day as YYYY-MM-DD"])


async def _export(
    settings: Settings,
    database: str | None,
    period: tuple[datetime, datetime],
    path: Path,
    format_: Literal["xlsx", "csv"],
) -> int:
    from bot.bootstrap import build_app

    app = await build_app(settings, database, load_nlu=False)
    rows: list[list[str | int | bool | None]] = []
    try:
        names = {e.id: e.name for e in await _enterprises(app)}
        directory = app.deps.directory
        zone = ZoneInfo(settings.timezone)
        after = 0
        while True:
            async with app.storage() as uow:
                page = await uow.ticket_export.opened_between(*period, after=after, limit=PAGE)
                comments = await uow.ticket_export.survey_comments([t.number for t in page if t.number])
            if not page:
                break
            for ticket in page:
                department = directory.departments.get(ticket.department_id or "")
                assignee = directory.officers.get(ticket.assignee_id or "")
                rows.append(
                    [_cell(getattr(ticket, name), zone) for name in FIELDS]
                    + [
                        names.get(ticket.enterprise_id or ""),
                        department.name(settings.language) if department else None,
                        assignee.name if assignee else None,
                        " | ".join(comments.get(ticket.number or 0, [])),
                    ]
                )
            after = page[-1].number or after
    finally:
        await app.close()
    header = [*FIELDS, *NAMES]
    with writing(path, "another --out") as out:
        if format_ == "csv":
            with out.open("w", encoding="utf-8-sig", newline="") as f:
                writer = csv.writer(f)
                writer.writerow(header)
                writer.writerows(csv_row(row) for row in rows)
        else:
            _write_xlsx(out, header, iter(rows), t(settings.language, "tickets_sheet.title"))
    return len(rows)


async def _enterprises(app: App) -> list[Enterprise]:
    async with app.storage() as uow:
        return await uow.enterprises.all()


def _cell(value: object, zone: ZoneInfo) -> str | int | bool | None:
    """Times in the configured zone (ISO 8601, with the offset); enums as their values."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, datetime):
        return value.astimezone(zone).isoformat(timespec="seconds")
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _write_xlsx(
    path: Path, header: list[str], rows: Iterator[list[str | int | bool | None]], title: str
) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append(header)
    for row in rows:
        sheet.append(xlsx_row(sheet, row))
    book.save(path)


def register(app: typer.Typer) -> None:
    app.add_typer(tickets_app, name="tickets")
