"""What every `xiaoer` subcommand shares: reading the configuration, running its work, and
ending with a message and exit status 2 when the operator has something to fix. Subcommand
modules import this, never each other, so the command has no import cycle."""

from __future__ import annotations

import asyncio
import errno
import os
import secrets
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer

if TYPE_CHECKING:  # imported when a command runs, not for `xiaoer --help` (pydantic, SQLAlchemy)
    from rich.progress import Progress

    from bot.config import Settings
    from storage.protocols import UnitOfWork

T = TypeVar("T")

EXIT_USAGE = 2  # bad configuration or an unusable database: the operator must fix something

DATABASE = typer.Option(
    None, "--database", "-d", metavar="URL", help="Database URL (default: from the config)."
)


def fail(lines: list[str]) -> NoReturn:
    for line in lines:
        typer.echo(line, err=True)
    raise typer.Exit(EXIT_USAGE)


@contextmanager
def writing(path: Path, choose: str, *, directory: bool = False) -> Iterator[Path]:
    """Writing the command's output: the block writes the file at the path it is given, a new file
    beside `path` (same suffix), which becomes `path` only when the block ends well. A command that
    fails half-way (a cell openpyxl refuses, the database lost) leaves no empty or partial file, and
    a file that was there is as it was. A place that cannot be written (no such directory, no
    permission, a full disk) ends the command with what to fix, not a traceback; the new file is
    made first, so that this comes before a writer (openpyxl's) is left half-way. With `directory`,
    the block gets `path` itself to make."""
    if directory:
        try:
            yield path
        except OSError as error:
            _cannot_write(path, choose, error)
        return
    if path.is_dir():  # what the rename at the end would meet: said before the block does its work
        _cannot_write(path, choose, IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR)))
    partial = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.partial{path.suffix}")
    try:
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))  # the umask applies
    except OSError as error:
        _cannot_write(path, choose, error)
    try:
        yield partial
        os.replace(partial, path)
    except BaseException as error:
        partial.unlink(missing_ok=True)
        if isinstance(error, OSError):
            _cannot_write(path, choose, error)
        raise


def _cannot_write(path: Path, choose: str, error: OSError) -> NoReturn:
    fail([f"xiaoer: cannot write {path}: {error.strerror or error}; choose {choose}"])


def settings_of(ctx: typer.Context) -> Settings:
    """The configuration the command was given (`--config`, $XIAOER_CONFIG, ./config.yaml)."""
    from bot.config import ConfigError, config_warnings, load_settings

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
    from storage.engine import DatabaseUnavailable

    try:
        return asyncio.run(coroutine)
    except DatabaseUnavailable as error:
        fail([f"xiaoer: cannot use the database {error.url}: {error.problem}. {error.hint}"])
    except ChannelUnusable as error:
        fail([str(error)])


async def in_database(
    settings: Settings, database: str | None, work: Callable[[UnitOfWork], Awaitable[T]]
) -> T:
    """Do `work` in one committed transaction on the configured (or given) database, no NLU loaded."""
    from bot.bootstrap import build_app

    app = await build_app(settings, database, load_nlu=False)
    try:
        async with app.storage() as uow:
            answer = await work(uow)
            await uow.commit()
        return answer
    finally:
        await app.close()


@contextmanager
def training_shown() -> Iterator[Callable[[Path], None]]:
    """The callback to hand build_app / build_nlu: on a cold model cache they call it just before
    training the NLU model (seconds of work before the first answer). It says so on stderr, shows a
    spinner with the time elapsed on a terminal until the block ends, then says how long it took."""
    shown: list[Progress] = []  # the progress display, once training started
    started: list[float] = []

    def on_build(path: Path) -> None:
        started.append(time.monotonic())
        typer.echo(
            f"xiaoer: training the message-understanding model, once (up to half a minute) into {path}",
            err=True,
        )
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            progress = Progress(
                SpinnerColumn(),
                TextColumn("training the model"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            progress.add_task("training", total=None)
            progress.start()
            shown.append(progress)

    try:
        yield on_build
    finally:
        for progress in shown:
            progress.stop()
    if started:  # and the block did not fail
        typer.echo(f"xiaoer: the model is ready ({time.monotonic() - started[0]:.1f} s)", err=True)


def progress_bar(*, transient: bool = False) -> Progress:
    """A progress bar on stderr for long work (bulk invites, imports): what, how far, how long."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=transient,
    )
