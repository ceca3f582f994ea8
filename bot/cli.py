"""The `xiaoer` command."""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from bot import __version__
from bot.cli_common import EXIT_USAGE, announce_training, fail, run_work, settings_of
from bot.config import Settings
from bot.domain.messages import Reply, ToDepartment, ToOfficer
from bot.i18n import t, tn
from bot.policy_cli import policy_app
from nlu.types import NluBackend

if TYPE_CHECKING:
    from handlers.report_files import Rendered


# Plain help pages (click's): rich's would show every flag as `<bool>` and every value as `<str>`;
# options taking a value say what it is with a metavar (URL, ISO-TIME, FILE …).
app = typer.Typer(
    name="xiaoer",
    help="Xiaoer (小二): a chat bot for enterprise service hotlines.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
db_app = typer.Typer(help="Database schema management.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(db_app, name="db")
nlu_app = typer.Typer(
    help="Message understanding: parse, evaluate, train.", no_args_is_help=True, rich_markup_mode=None
)
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
        None,
        "--config",
        "-c",
        metavar="FILE",
        help="Config file (default: $XIAOER_CONFIG, else ./config.yaml).",
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
) -> None:
    ctx.obj = config


@app.command()
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

    app_ = await build_app(settings, database, on_nlu_build=announce_training)
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
        None, "--database", "-d", metavar="URL", help="Database URL (default: from the config)."
    ),
    log_level: str | None = typer.Option(
        None, "--log-level", metavar="DEBUG|INFO|WARNING|ERROR", help="Log level (default: logging.level)."
    ),
) -> None:
    """Run the bot on the channels enabled in the config (Telegram: long polling or webhook; WeCom:
    its callback) until SIGTERM or Ctrl-C, which finish the work in hand first."""
    from bot.runtime.serve import serve, start_logging

    settings = settings_of(ctx)
    if log_level is not None and log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        fail([f"xiaoer: --log-level {log_level!r} is not known: use DEBUG, INFO, WARNING or ERROR"])
    if not settings.channels.telegram.token and not settings.channels.wecom.enabled:
        fail(
            [
                "xiaoer: no channel to run: Telegram needs a bot token, or WeCom must be enabled.",
                "  Set XIAOER_CHANNELS__TELEGRAM__TOKEN=<token from @BotFather>"
                " (or channels.telegram.token in the config),",
                "  or channels.wecom.enabled: true with the app's credentials (see README, WeCom).",
            ]
        )
    start_logging(settings, log_level)
    run_work(serve(settings, database, on_nlu_build=announce_training))


@app.command()
def sweep(
    ctx: typer.Context,
    now: str = typer.Option(
        ...,
        "--now",
        metavar="ISO-TIME",
        help="Sweep as if at this time: ISO 8601, e.g. 2026-11-24T09:30 (config time zone).",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print what would be sent; send and record nothing."
    ),
    database: str | None = typer.Option(
        None, "--database", "-d", metavar="URL", help="Database URL (default: from the config)."
    ),
) -> None:
    """Run one reminder sweep as if at --now and print what it sends (through Telegram when a
    token is configured, else printed only)."""
    settings = settings_of(ctx)
    at = _parse_now(now, settings.timezone)
    run_work(_sweep(settings, database, at, dry_run))


def _parse_now(value: str, timezone: str) -> datetime:
    from zoneinfo import ZoneInfo

    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        fail(
            [
                f"xiaoer: --now {value!r} is not a date and time.",
                f"  Write it as ISO 8601: 2026-11-24T09:30 (read in {timezone}) or 2026-11-24T09:30+08:00.",
            ]
        )
    return at if at.tzinfo is not None else at.replace(tzinfo=ZoneInfo(timezone))


async def _sweep(settings: Settings, database: str | None, now: datetime, dry_run: bool) -> None:
    from bot.bootstrap import build_app
    from bot.runtime.assemble import assemble
    from handlers import reminders

    app_ = await build_app(settings, database, on_nlu_build=announce_training)
    assembled = assemble(settings, app_.deps)
    try:
        swept: list[reminders.SweepResult] = []

        async def work() -> Sequence[Reply]:
            swept.append(await reminders.sweep(app_.deps, now, dry_run=dry_run))
            return [] if dry_run else swept[-1].replies

        # the nudges are claimed in the transaction that queues what they say
        await assembled.runtime.outgoing.run(work)
        result = swept[-1]
        lang = settings.language
        local = now.astimezone(app_.deps.sla.calendar.timezone)
        if result.held_until is not None:
            held = result.held_until.astimezone(app_.deps.sla.calendar.timezone)
            typer.echo(t(lang, "cli.held", at=f"{local:%Y-%m-%d %H:%M}", held=f"{held:%Y-%m-%d %H:%M}"))
            return
        for reply in result.replies:
            typer.echo(f"→ {_recipient(reply)}:\n{reply.text}")
        for number in result.reported:
            typer.echo(t(lang, "cli.leadership", number=number))
        typer.echo(
            t(
                lang,
                "cli.swept_dry" if dry_run else "cli.swept",
                messages=tn(lang, "cli.messages", len(result.replies)),
                tickets=tn(lang, "cli.tickets", result.looked_at),
                at=f"{local:%Y-%m-%d %H:%M}",
            )
        )
        # sent now where a channel is configured, else by the next `xiaoer run`
        if not dry_run and result.replies and assembled.runtime.sender.transports:
            await assembled.runtime.sender.run(until_idle=True)
    finally:
        await assembled.close()
        await app_.close()


def _recipient(reply: Reply) -> str:
    match reply.to:
        case ToOfficer(officer_id=officer_id):
            return f"officer {officer_id}"
        case ToDepartment(department_id=department_id):
            return f"department {department_id}"
    return str(reply.to)


@app.command("close-surveys")
def close_surveys(
    ctx: typer.Context,
    database: str | None = typer.Option(
        None, "--database", "-d", metavar="URL", help="Database URL (default: from the config)."
    ),
) -> None:
    """Close surveys left unanswered for their survey window (sla.survey_days) as "not rated"
    (`xiaoer run` does it every hour)."""
    settings = settings_of(ctx)
    count = run_work(_close_surveys(settings, database))
    typer.echo(
        t(settings.language, "cli.closed_surveys", surveys=tn(settings.language, "cli.surveys", count))
    )


async def _close_surveys(settings: Settings, database: str | None) -> int:
    from bot.bootstrap import build_app
    from bot.runtime.assemble import assemble
    from handlers.survey import close_unanswered

    app_ = await build_app(settings, database, on_nlu_build=announce_training)
    assembled = assemble(settings, app_.deps)
    try:
        closed: list[int] = []

        async def work() -> Sequence[Reply]:
            count, notices = await close_unanswered(app_.deps)
            closed.append(count)
            return notices

        if await assembled.runtime.outgoing.run(work) and assembled.runtime.sender.transports:
            await assembled.runtime.sender.run(until_idle=True)
        return closed[-1]
    finally:
        await assembled.close()
        await app_.close()


@app.command()
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
    database: str | None = typer.Option(
        None, "--database", "-d", metavar="URL", help="Database URL (default: from the config)."
    ),
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


@db_app.command("upgrade")
def db_upgrade(
    ctx: typer.Context,
    database: str | None = typer.Option(
        None, "--database", "-d", metavar="URL", help="Database URL (default: from the config)."
    ),
) -> None:
    """Bring the database schema to the newest revision."""
    from bot.bootstrap import upgrade_database
    from storage.engine import mask_url

    settings = settings_of(ctx)
    url = database or settings.database.url
    revision = run_work(upgrade_database(url, echo=settings.database.echo))
    typer.echo(f"{mask_url(url)} is at revision {revision}")


def _backend(settings: Settings) -> NluBackend:
    from bot.bootstrap import build_nlu

    return build_nlu(settings, on_build=announce_training)


@nlu_app.command("parse")
def nlu_parse(ctx: typer.Context) -> None:
    """Read messages from stdin (plain lines, or JSON objects with a "text" field) and write one
    JSON object per line: text, lang, intent, confidence, category, urgent, entities."""
    from bot.nlu_cli import run_parse

    status = run_parse(_backend(settings_of(ctx)))
    raise typer.Exit(status)


@nlu_app.command("eval")
def nlu_eval(
    ctx: typer.Context,
    file: Path = typer.Argument(..., metavar="FILE.jsonl", hidden=True),  # described below
) -> None:
    """Score the configured backend on labelled messages: accuracy, macro-F1, entities, latency.

    FILE.jsonl: JSON lines with text, intent, category, urgent, entities."""
    from bot.nlu_cli import evaluate_rows, read_labelled
    from nlu.evaluate import format_report
    from nlu.types import NluUnavailable

    try:
        rows = read_labelled(file)
    except (OSError, ValueError) as exc:
        fail([f"xiaoer: cannot evaluate: {exc}"])
    backend = _backend(settings_of(ctx))
    try:
        report = asyncio.run(evaluate_rows(backend, rows))
    except NluUnavailable as exc:
        fail([f"xiaoer: the NLU backend did not answer: {exc}"])
    typer.echo(format_report(report))


@nlu_app.command("train")
def nlu_train(
    ctx: typer.Context,
    out: Path | None = typer.Option(
        None, "--out", metavar="PATH", help="Where to write the model (default: the cache path)."
    ),
) -> None:
    """Rebuild the builtin model from nlu/data."""
    import time

    from nlu.builtin import build_model, default_model_path
    from nlu.training_data import load_examples

    settings = settings_of(ctx)
    target = out or (Path(settings.nlu.model_path) if settings.nlu.model_path else default_model_path())
    start = time.perf_counter()
    with Console(stderr=True).status("training the NLU model"):
        build_model(target)
    typer.echo(f"trained on {len(load_examples())} examples in {time.perf_counter() - start:.1f} s: {target}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
