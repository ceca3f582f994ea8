"""`xiaoer shell`: chat with Xiaoer in the terminal, or pipe a scripted conversation into it."""

from __future__ import annotations

import io
import sys
from typing import TYPE_CHECKING

import typer

from bot.cli_common import EXIT_USAGE, fail, run_work, settings_of, training_shown

if TYPE_CHECKING:
    from bot.config import Settings


def register(app: typer.Typer) -> None:
    app.command()(shell)


def shell(
    ctx: typer.Context,
    database: str | None = typer.Option(
        None, "--database", "-d", metavar="URL", help="Database URL (default: database.url from the config)."
    ),
    as_: str | None = typer.Option(
        None,
        "--as",
        metavar="enterprise:ID|officer:ID",
        help="Start as 'enterprise:<id>' or 'officer:<id>' (default: the first demo enterprise).",
    ),
) -> None:
    """Chat with Xiaoer in the terminal. Pipe lines into it to script a conversation."""
    settings = settings_of(ctx)
    start_as = _parse_as(as_, settings) if as_ is not None else None
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")  # a line in another encoding is shown, not fatal
    run_work(_shell(settings, database, start_as))


def _parse_as(value: str, settings: Settings) -> tuple[str, str]:
    """`enterprise:<id>` or `officer:<id>`, checked against the configuration before anything runs."""
    kind, _, wanted = value.partition(":")
    officers = [o.id for o in settings.officers]
    enterprises = [e.id for e in settings.demo.enterprises]
    if kind == "officer" and wanted in officers:
        return kind, wanted
    if kind == "enterprise" and wanted:
        return kind, wanted  # enterprises live in the database: checked once it is open
    fail(
        [
            f"xiaoer: --as {value!r}: expected officer:<id> or enterprise:<id>",
            f"  officers: {', '.join(officers)}",
            f"  demo enterprises: {', '.join(enterprises)}",
        ]
    )


async def _shell(settings: Settings, database: str | None, start_as: tuple[str, str] | None) -> None:
    from bot.bootstrap import build_app
    from bot.channels.console import ConsoleShell, enterprise_identity

    with training_shown() as on_build:
        app_ = await build_app(settings, database, on_nlu_build=on_build)
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
        await shell_.greet()
        if start_as is not None and not await shell_.switch_to(*start_as):
            raise typer.Exit(EXIT_USAGE)
        await shell_.run(sys.stdin)
    finally:
        await app_.close()
