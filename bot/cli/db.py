"""`xiaoer db …`: the database's schema, and backing it up and restoring it."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.cli_common import DATABASE, fail, run_work, settings_of

db_app = typer.Typer(
    help="Database schema management, backup and restore.", no_args_is_help=True, rich_markup_mode=None
)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context, database: str | None = DATABASE) -> None:
    """Bring the database schema to the newest revision."""
    from bot.bootstrap import upgrade_database
    from storage.engine import mask_url

    settings = settings_of(ctx)
    url = database or settings.database.url
    revision = run_work(upgrade_database(url, echo=settings.database.echo))
    typer.echo(f"{mask_url(url)} is at revision {revision}")


@db_app.command("backup")
def db_backup(
    ctx: typer.Context,
    file: Path = typer.Argument(..., metavar="FILE", hidden=True),  # described in the docstring
    database: str | None = DATABASE,
) -> None:
    """Back the database up to FILE, safely while the bot runs: SQLite with its online backup API,
    PostgreSQL with pg_dump (custom format; pg_dump must be installed).

    FILE: where to write the backup; replaced only once the new backup is complete."""
    from storage.backup import BackupRefused, backup, describe
    from storage.engine import mask_url

    url = database or settings_of(ctx).database.url
    typer.echo(f"xiaoer: {describe(url)}", err=True)
    try:
        backup(url, file)
    except BackupRefused as refused:
        fail([f"xiaoer: cannot back up {mask_url(url)}: {refused}"])
    typer.echo(f"xiaoer: backed up {mask_url(url)} to {file} ({file.stat().st_size} bytes)")


@db_app.command("restore")
def db_restore(
    ctx: typer.Context,
    file: Path = typer.Argument(..., metavar="FILE", hidden=True),  # described in the docstring
    force: bool = typer.Option(
        False, "--force", help="Restore even into a database in use or holding data (it is replaced)."
    ),
    database: str | None = DATABASE,
) -> None:
    """Replace the database's contents with a backup made by `xiaoer db backup`. Refuses a
    database that a running `xiaoer run` uses or that holds tickets, policies or messages, unless
    --force. Stop the bot first.

    FILE: the backup (a SQLite file, or a pg_dump custom-format file for PostgreSQL)."""
    from datetime import UTC, datetime

    from bot.outbox import LEASE_SECONDS
    from storage.backup import BackupRefused, check_backup, occupancy, restore, revision_of
    from storage.engine import mask_url
    from storage.migrate import head_revision

    url = database or settings_of(ctx).database.url
    shown = mask_url(url)
    try:
        check_backup(url, file)
        found = run_work(occupancy(url, now=datetime.now(UTC), lease_seconds=LEASE_SECONDS))
        if found.in_use and not force:
            fail(
                [
                    f"xiaoer: {shown} is in use by a running bot ({', '.join(found.live_senders)}): "
                    "stop it first, or add --force (what it writes meanwhile is lost)"
                ]
            )
        if found.holds_data and not force:
            held = ", ".join(f"{name}: {count}" for name, count in found.rows.items())
            fail(
                [
                    f"xiaoer: {shown} holds data ({held}) that the restore would replace: "
                    "back it up first (xiaoer db backup), then add --force"
                ]
            )
        restore(url, file)
    except BackupRefused as refused:
        fail([f"xiaoer: cannot restore {file} into {shown}: {refused}"])
    revision = run_work(revision_of(url))
    typer.echo(f"xiaoer: restored {file} into {shown} (schema revision {revision})")
    head = head_revision()
    if revision != head:
        typer.echo(f"xiaoer: this Xiaoer needs revision {head}: run `xiaoer db upgrade` first", err=True)
