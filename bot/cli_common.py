"""What every `xiaoer` subcommand shares: reading the configuration, running its work, and
ending with a message and exit status 2 when the operator has something to fix. Subcommand
modules import this, never each other, so the command has no import cycle."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer

from bot.config import ConfigError, Settings, config_warnings, load_settings
from storage.engine import DatabaseUnavailable

T = TypeVar("T")

EXIT_USAGE = 2  # bad configuration or an unusable database: the operator must fix something


def fail(lines: list[str]) -> NoReturn:
    for line in lines:
        typer.echo(line, err=True)
    raise typer.Exit(EXIT_USAGE)


def settings_of(ctx: typer.Context) -> Settings:
    """The configuration the command was given (`--config`, $XIAOER_CONFIG, ./config.yaml)."""
    try:
        settings = load_settings(ctx.obj)
    except ConfigError as error:
        if len(error.problems) == 1:  # the usual case: one line says what to fix
            fail([f"xiaoer: the configuration in {error.source} cannot be used: {error.problems[0]}"])
        fail(
            [f"xiaoer: the configuration in {error.source} cannot be used:"]
            + [f"  {p}" for p in error.problems]
        )
    for warning in config_warnings(settings):
        typer.echo(f"xiaoer: warning: {warning}", err=True)
    return settings


def run_work(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run the command's work; a problem the operator must fix ends it with one line and status 2."""
    from bot.channels.unusable import ChannelUnusable

    try:
        return asyncio.run(coroutine)
    except DatabaseUnavailable as error:
        fail([f"xiaoer: cannot use the database {error.url}: {error.problem}. {error.hint}"])
    except ChannelUnusable as error:
        fail([str(error)])


def announce_training(path: Path) -> None:
    typer.echo(
        f"xiaoer: training the message-understanding model, once (up to half a minute) into {path}", err=True
    )
