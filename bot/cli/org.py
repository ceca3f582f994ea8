"""`xiaoer import KIND FILE` and `xiaoer export KIND FILE`: the organisation (enterprises, their
contacts, officers, departments, member-unit groups, liaison assignments) from and to the
spreadsheets a centre keeps; `xiaoer import --template KIND FILE` writes an empty, annotated one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bot.cli_common import DATABASE, fail, progress_bar, run_work, settings_of, writing
from bot.i18n import t

if TYPE_CHECKING:
    from collections.abc import Iterator

    from bot.config import Settings
    from handlers.roster.importing import Plan

KINDS = ("enterprises", "contacts", "officers", "departments", "groups", "liaisons")
_ACTOR = "import"  # who the audit log says made an import's changes


def register(app: typer.Typer) -> None:
    app.command("import")(import_sheet)
    app.command("export")(export_sheet)


def _kind(kind: str) -> str:
    if kind not in KINDS:
        fail([f"xiaoer: {kind!r} is not a kind of sheet: use one of {', '.join(KINDS)}"])
    return kind


def _channels(settings: Settings) -> tuple[str, ...]:
    """The channels whose identities and group chats the sheets have columns for."""
    return tuple(settings.channel_sections())


def import_sheet(
    ctx: typer.Context,
    kind: str = typer.Argument(..., metavar="KIND", hidden=True),  # described in the docstring
    file: Path = typer.Argument(..., metavar="FILE", hidden=True),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would change; write nothing."),
    skip_bad: bool = typer.Option(False, "--skip-bad", help="Import the good rows even if some are bad."),
    template: bool = typer.Option(
        False, "--template", help="Write an empty, annotated FILE for KIND instead."
    ),
    database: str | None = DATABASE,
) -> None:
    """Import enterprises, contacts, officers, departments, member-unit groups or liaison
    assignments from FILE (headers in Chinese or English). Rows are matched by credit code
    (enterprises, liaisons), phone (contacts) or id; a changed row is updated in place, the same
    row again changes nothing. Nothing is written unless every row is valid (or --skip-bad).

    KIND: enterprises, contacts, officers, departments, groups or liaisons. FILE: a .xlsx or .csv
    file (UTF-8, with or without BOM, or GB18030)."""
    settings = settings_of(ctx)
    _kind(kind)
    if template:
        _write_template(settings, kind, file)
        return
    code = run_work(_import(settings, database, kind, file, dry_run=dry_run, skip_bad=skip_bad))
    if code:
        raise typer.Exit(code)


def _write_template(settings: Settings, kind: str, file: Path) -> None:
    from bot.org_sheets import SUFFIXES, write_sheet
    from handlers.roster import exporting

    if file.suffix.lower() not in SUFFIXES:
        fail([f"xiaoer: {file.name}: write the template as .xlsx or .csv"])
    lang, channels = settings.language, _channels(settings)
    with writing(file, "another FILE") as out:
        write_sheet(
            out, kind, exporting.headers(kind, channels, lang), [], exporting.notes(kind, channels, lang)
        )
    typer.echo(t(lang, "org_import.template_written", kind=kind, file=str(file)))


async def _import(
    settings: Settings, database: str | None, kind: str, file: Path, *, dry_run: bool, skip_bad: bool
) -> int:
    from bot.bootstrap import build_app
    from bot.org_sheets import SheetError, read_sheet
    from handlers.roster.columns import columns_of, match_headers
    from handlers.roster.importing import apply_import, plan_import
    from handlers.roster.records import Known, read_records

    lang, channels = settings.language, _channels(settings)
    try:
        sheet = read_sheet(file)
    except SheetError as error:
        fail([f"xiaoer: {error}"])
    columns, unknown = match_headers(kind, sheet.headers, channels)
    named = {c.field for c in columns.values()}
    missing = [
        c.zh if lang.startswith("zh") else c.en
        for c in columns_of(kind, channels)
        if c.required and c.field not in named
    ]
    if missing:
        fail([t(lang, "org_import.missing_columns", file=file.name, columns="、".join(missing))])
    if unknown:
        typer.echo(t(lang, "org_import.unknown_columns", columns="、".join(unknown)), err=True)
    app = await build_app(settings, database, load_nlu=False)
    try:
        async with app.storage() as uow:
            officers = {o.id: o.name for o in await uow.org.officers(inactive=True)}
            departments = {d.id: d.name_zh for d in await uow.org.departments()}
            enterprises = await uow.org_sheets.enterprise_ids() if kind in ("contacts", "liaisons") else {}
        known = Known(officers, departments, enterprises)
        with progress_bar() as progress:
            task = progress.add_task(t(lang, "org_import.reading"), total=sheet.size or None)

            def counted() -> Iterator[tuple[int, list[object]]]:
                for row in sheet.rows:
                    progress.advance(task)
                    yield row

            try:
                records = read_records(kind, columns, counted(), known, lang)
            except SheetError as error:  # damaged part-way through: nothing was written
                fail([f"xiaoer: {error}"])
        plan = await plan_import(app.storage, records, _ACTOR, lang)
        typer.echo(_summary(lang, file, plan, len(records.rows) + len(records.problems)))
        for problem in plan.problems:  # the first few hundred, by row
            typer.echo(t(lang, "org_import.problem", row=problem.row, text=problem.text))
        if plan.problems.not_shown:
            typer.echo(t(lang, "org_import.more_problems", count=plan.problems.not_shown))
        if plan.problems and not skip_bad:
            typer.echo(t(lang, "org_import.nothing_written"), err=True)
            return 2
        if dry_run:
            typer.echo(t(lang, "org_import.dry_run"))
            return 0
        if plan.added or plan.changed:
            with progress_bar() as progress:
                task = progress.add_task(
                    t(lang, "org_import.writing"), total=len(plan.added) + len(plan.changed)
                )
                await apply_import(app.storage, plan, datetime.now(UTC), lambda n: progress.advance(task, n))
        typer.echo(t(lang, "org_import.written", added=len(plan.added), changed=len(plan.changed)))
        return 0
    finally:
        await app.close()


def _summary(lang: str, file: Path, plan: Plan, rows: int) -> str:
    return t(
        lang,
        "org_import.summary",
        file=file.name,
        rows=rows,
        added=len(plan.added),
        changed=len(plan.changed),
        unchanged=plan.unchanged,
        bad=len(plan.problems),
    )


def export_sheet(
    ctx: typer.Context,
    kind: str = typer.Argument(..., metavar="KIND", hidden=True),  # described in the docstring
    file: Path = typer.Argument(..., metavar="FILE", hidden=True),
    database: str | None = DATABASE,
) -> None:
    """Export enterprises, contacts, officers, departments, member-unit groups or liaison
    assignments to FILE, in the columns `xiaoer import` reads (a round trip changes nothing).

    KIND: enterprises, contacts, officers, departments, groups or liaisons. FILE: the .xlsx or
    .csv file to write."""
    from bot.org_sheets import SUFFIXES

    settings = settings_of(ctx)
    _kind(kind)
    if file.suffix.lower() not in SUFFIXES:
        fail([f"xiaoer: {file.name}: export to a .xlsx or .csv file"])
    count = run_work(_export(settings, database, kind, file))
    typer.echo(t(settings.language, "org_import.exported", count=count, kind=kind, file=str(file)))


async def _export(settings: Settings, database: str | None, kind: str, file: Path) -> int:
    from bot.bootstrap import build_app
    from bot.org_sheets import write_sheet
    from handlers.roster import exporting

    lang, channels = settings.language, _channels(settings)
    app = await build_app(settings, database, load_nlu=False)
    try:
        count, rows = await exporting.export_rows(app.storage, kind, channels)
        with writing(file, "another FILE") as out:
            write_sheet(out, kind, exporting.headers(kind, channels, lang), rows)
        return count
    finally:
        await app.close()
