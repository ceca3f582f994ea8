"""`xiaoer db …`: the database's schema."""

from __future__ import annotations

import typer

from bot.cli_common import DATABASE, run_work, settings_of

db_app = typer.Typer(help="Database schema management.", no_args_is_help=True, rich_markup_mode=None)


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
