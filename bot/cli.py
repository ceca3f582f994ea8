"""The `xiaoer` command."""

from __future__ import annotations

import asyncio
import contextlib
import io
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console

from bot import __version__
from bot.config import ConfigError, Settings, load_settings
from bot.policy_cli import policy_app
from nlu.types import NluBackend
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
nlu_app = typer.Typer(help="Message understanding: parse, evaluate, train.", no_args_is_help=True)
app.add_typer(nlu_app, name="nlu")
app.add_typer(policy_app, name="policy")


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
    start_as = _parse_as(as_, settings) if as_ is not None else None
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")  # a line in another encoding is shown, not fatal
    _run(_shell(settings, database, start_as))


def _parse_as(value: str, settings: Settings) -> tuple[str, str]:
    """`enterprise:<id>` or `officer:<id>`, checked against the configuration before anything runs."""
    kind, _, wanted = value.partition(":")
    officers = [o.id for o in settings.officers]
    enterprises = [e.id for e in settings.demo.enterprises]
    if kind == "officer" and wanted in officers:
        return kind, wanted
    if kind == "enterprise" and wanted:
        return kind, wanted  # enterprises live in the database: checked once it is open
    _fail(
        [
            f"xiaoer: --as {value!r}: expected officer:<id> or enterprise:<id>",
            f"  officers: {', '.join(officers)}",
            f"  demo enterprises: {', '.join(enterprises)}",
        ]
    )


async def _shell(settings: Settings, database: str | None, start_as: tuple[str, str] | None) -> None:
    from bot.bootstrap import build_app
    from bot.channels.console import ConsoleShell, enterprise_identity

    app_ = await build_app(settings, database, on_nlu_build=_announce_training)
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


@app.command()
def run(
    ctx: typer.Context,
    database: str | None = typer.Option(
        None, "--database", "-d", help="Database URL (default: from the config)."
    ),
) -> None:
    """Run the bot on the channels enabled in the config (Telegram: long polling)."""
    settings = _settings(ctx)
    if not settings.telegram.token:
        _fail(
            [
                "xiaoer: no channel to run: Telegram needs a bot token.",
                "  Set XIAOER_TELEGRAM__TOKEN=<token from @BotFather> (or telegram.token in the config).",
            ]
        )
    try:
        _run(_serve(settings, database))
    except KeyboardInterrupt:
        typer.echo("xiaoer: stopped", err=True)


async def _serve(settings: Settings, database: str | None) -> None:
    from bot.bootstrap import build_app
    from bot.channels.telegram import TelegramChannel
    from bot.channels.telegram_outbox import TelegramTransport
    from bot.outbox import OutboxSender

    app_ = await build_app(settings, database, on_nlu_build=_announce_training)
    groups = {d.id: d.telegram_chat_id for d in settings.departments if d.telegram_chat_id is not None}
    assert settings.telegram.token is not None
    topics = {d.telegram_chat_id for d in settings.departments if d.telegram_topics and d.telegram_chat_id}
    channel = TelegramChannel(
        settings.telegram.token, settings.telegram.api_base, app_.deps, groups, topic_chats=topics
    )
    telegram = settings.telegram
    # The outbox (policy notices, reminders, reports) goes out beside the chat, through the same
    # bot and pacer, so both together stay under Telegram's limits.
    outbox = OutboxSender(app_.deps, {"telegram": TelegramTransport(channel.bot, channel.pacer)})
    sending = asyncio.create_task(outbox.run())
    try:
        if telegram.mode == "webhook" and telegram.webhook_url and telegram.webhook_secret:
            typer.echo(
                f"xiaoer: Telegram webhook {telegram.webhook_url} on {telegram.host}:{telegram.port}",
                err=True,
            )
            await channel.run_webhook(
                telegram.webhook_url, telegram.webhook_secret, telegram.host, telegram.port
            )
        else:
            typer.echo(f"xiaoer: Telegram polling via {telegram.api_base}; Ctrl-C stops", err=True)
            await channel.run_polling()
    finally:
        sending.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sending
        await channel.close()
        await app_.close()


@app.command("close-surveys")
def close_surveys(
    ctx: typer.Context,
    database: str | None = typer.Option(
        None, "--database", "-d", help="Database URL (default: from the config)."
    ),
) -> None:
    """Close surveys left unanswered for sla.survey_days as "not rated" (for cron until the scheduler)."""
    settings = _settings(ctx)
    count = _run(_close_surveys(settings, database))
    typer.echo(f"closed {count} unanswered survey(s)")


async def _close_surveys(settings: Settings, database: str | None) -> int:
    from datetime import timedelta

    from bot.bootstrap import build_app
    from handlers.survey import close_unanswered

    app_ = await build_app(settings, database, on_nlu_build=_announce_training)
    try:
        closed, _notices = await close_unanswered(app_.deps, timedelta(days=settings.sla.survey_days))
        return closed
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


def _announce_training(path: Path) -> None:
    typer.echo(f"xiaoer: training the NLU model (first use; a few seconds) into {path}", err=True)


def _backend(settings: Settings) -> NluBackend:
    from bot.bootstrap import build_nlu

    return build_nlu(settings, on_build=_announce_training)


@nlu_app.command("parse")
def nlu_parse(ctx: typer.Context) -> None:
    """Read messages from stdin (plain lines, or JSON objects with a "text" field) and write one
    JSON object per line: text, lang, intent, confidence, category, urgent, entities."""
    from bot.nlu_cli import run_parse

    status = run_parse(_backend(_settings(ctx)))
    raise typer.Exit(status)


@nlu_app.command("eval")
def nlu_eval(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="JSON lines with text, intent, category, urgent, entities."),
) -> None:
    """Score the configured backend on labelled messages: accuracy, macro-F1, entities, latency."""
    from bot.nlu_cli import evaluate_rows, read_labelled
    from nlu.evaluate import format_report
    from nlu.types import NluUnavailable

    try:
        rows = read_labelled(file)
    except (OSError, ValueError) as exc:
        _fail([f"xiaoer: cannot evaluate: {exc}"])
    backend = _backend(_settings(ctx))
    try:
        report = asyncio.run(evaluate_rows(backend, rows))
    except NluUnavailable as exc:
        _fail([f"xiaoer: the NLU backend did not answer: {exc}"])
    typer.echo(format_report(report))


@nlu_app.command("train")
def nlu_train(
    ctx: typer.Context,
    out: Path | None = typer.Option(
        None, "--out", help="Where to write the model (default: the cache path)."
    ),
) -> None:
    """Rebuild the builtin model from nlu/data."""
    import time

    from nlu.builtin import build_model, default_model_path
    from nlu.training_data import load_examples

    settings = _settings(ctx)
    target = out or (Path(settings.nlu.model_path) if settings.nlu.model_path else default_model_path())
    start = time.perf_counter()
    with Console(stderr=True).status("training the NLU model"):
        build_model(target)
    typer.echo(f"trained on {len(load_examples())} examples in {time.perf_counter() - start:.1f} s: {target}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
