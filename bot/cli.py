"""The `xiaoer` command."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any, NoReturn, TypeVar

import typer

from bot import __version__
from bot.config import ConfigError, Settings, load_settings
from storage.engine import DatabaseUnavailable

T = TypeVar("T")

EXIT_USAGE = 2  # bad configuration or an unusable database: the operator must fix something

app = typer.Typer(
    name="xiaoer",
    help="Xiaoer (小二): a chat bot for enterprise service hotlines.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema management.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"xiaoer {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    config: str | None = typer.Option(
        None, "--config", "-c", help="Config file (default: $XIAOER_CONFIG, else ./config.yaml)."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
) -> None:
    ctx.obj = config


def _fail(lines: list[str]) -> NoReturn:
    for line in lines:
        typer.echo(line, err=True)
    raise typer.Exit(EXIT_USAGE)


def _settings(ctx: typer.Context) -> Settings:
    try:
        return load_settings(ctx.obj)
    except ConfigError as error:
        _fail(
            [f"xiaoer: the configuration in {error.source} cannot be used:"]
            + [f"  {p}" for p in error.problems]
        )


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(coroutine)
    except DatabaseUnavailable as error:
        _fail([f"xiaoer: cannot use the database {error.url}: {error.problem}", f"  {error.hint}"])


@app.command()
def shell(
    ctx: typer.Context,
    database: str | None = typer.Option(
        None, "--database", "-d", help="Database URL (default: database.url from the config)."
    ),
    as_: str | None = typer.Option(
        None,
        "--as",
        help="Start as 'enterprise:<id>' or 'officer:<id>' (default: the first demo enterprise).",
    ),
) -> None:
    """Chat with Xiaoer in the terminal. Pipe lines into it to script a conversation."""
    settings = _settings(ctx)
    _run(_shell(settings, database, as_))


async def _shell(settings: Settings, database: str | None, as_: str | None) -> None:
    from bot.bootstrap import build_app
    from bot.channels.console import ConsoleShell, enterprise_identity

    app_ = await build_app(settings, database)
    try:
        first = settings.demo.enterprises[0].id if settings.demo.enterprises else None
        shell_ = ConsoleShell(
            deps=app_.deps,
            out=sys.stdout,
            interactive=sys.stdin.isatty(),
            storage_failure=app_.storage_failure,
            identity=enterprise_identity(first) if first else "guest",
            lang=settings.language,
        )
        if as_ is not None:
            await shell_.say("/as " + as_.replace(":", " ", 1))
        await shell_.run(sys.stdin)
    finally:
        await app_.close()


@db_app.command("upgrade")
def db_upgrade(
    ctx: typer.Context,
    database: str | None = typer.Option(
        None, "--database", "-d", help="Database URL (default: from the config)."
    ),
) -> None:
    """Bring the database schema to the newest revision."""
    from bot.bootstrap import upgrade_database
    from storage.engine import mask_url

    settings = _settings(ctx)
    url = database or settings.database.url
    revision = _run(upgrade_database(url, echo=settings.database.echo))
    typer.echo(f"{mask_url(url)} is at revision {revision}")


def main() -> None:
    app()
