"""`xiaoer policy …`: publish a policy file, list, show the status of, withdraw; queue deadline
reminders; deliver the outbox."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

import typer

from bot.cli_common import DATABASE, fail, run_work, settings_of
from bot.i18n import t, tn

if TYPE_CHECKING:
    from rich.progress import Progress

    from bot.bootstrap import App
    from bot.config import Settings
    from bot.outbox import OutboxSender, SenderStats
    from bot.runtime.assemble import Assembled
    from handlers.deps import Deps

T = TypeVar("T")

policy_app = typer.Typer(
    help="Policy notices: publish, list, status, withdraw, remind, send.",
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help, as bot.cli says why
)

QUEUE_ONLY = typer.Option(False, "--queue-only", help="Only queue the messages; `xiaoer run` delivers them.")


def register(app: typer.Typer) -> None:
    app.add_typer(policy_app, name="policy")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a command's work; a policy refusal (no such policy, already withdrawn) ends it with 2."""
    from bot.domain.policies import PolicyRefused

    try:
        return run_work(coroutine)
    except PolicyRefused as refused:
        fail([f"xiaoer: {t('en', refused.key, **refused.params)}"])


async def _app(settings: Settings, database: str | None) -> App:
    from bot.bootstrap import build_app

    return await build_app(settings, database)


def _channels(settings: Settings, deps: Deps) -> Assembled:
    """The configured channels' ways out (their transports), as `xiaoer run` has them."""
    from bot.runtime.assemble import assemble

    return assemble(settings, deps)


def _today(settings: Settings) -> tuple[datetime, date]:
    now = datetime.now(UTC)
    return now, now.astimezone(ZoneInfo(settings.timezone)).date()


@policy_app.command("publish")
def publish(
    ctx: typer.Context,
    file: Path = typer.Argument(..., metavar="FILE.md", hidden=True),  # described in the docstring
    yes: bool = typer.Option(False, "--yes", "-y", help="Publish without asking for confirmation."),
    database: str | None = DATABASE,
    queue_only: bool = QUEUE_ONLY,
) -> None:
    """Publish a policy: show whom it reaches, ask, then queue one notice per chat and send them.

    FILE.md: a Markdown file with YAML front matter (title, department, ...); examples/policy.md
    is one to start from."""
    settings = settings_of(ctx)
    _run(_publish(settings, database, file, yes=yes, queue_only=queue_only))


async def _publish(
    settings: Settings, database: str | None, file: Path, *, yes: bool, queue_only: bool
) -> None:
    from bot.policy_file import PolicyFileError, read_policy
    from handlers.policy_audience import known_values, unknown_values
    from handlers.policy_publish import add_policy, preview
    from handlers.policy_publish import publish as publish_policy

    app = await _app(settings, database)
    try:
        now, today = _today(settings)
        try:  # the departments it may name are the database's
            policy = read_policy(file, app.deps.directory, today, now)
        except PolicyFileError as error:
            fail(
                [f"xiaoer: {error.path} cannot be published; fix these and run again:"]
                + [f"  {p}" for p in error.problems]
            )
        lang = settings.language
        reach = await preview(app.deps, policy)
        typer.echo(
            t(
                lang,
                "cli.reach",
                title=policy.title,
                groups=tn(lang, "cli.groups", len(reach.groups)),
                enterprises=tn(lang, "cli.enterprises", len(reach.enterprises)),
                reachable=reach.reachable_enterprises,
                chats=tn(lang, "cli.chats", reach.recipients),
            )
        )
        async with app.deps.storage() as uow:
            groups, enterprises = await uow.audience.groups(), await uow.enterprises.all()
        for dimension, values in unknown_values(policy, groups, enterprises).items():
            known = ", ".join(known_values(groups, enterprises, dimension)) or t(lang, "cli.none")
            typer.echo(
                t(lang, "cli.unknown_values", dimension=dimension, values=", ".join(values), known=known),
                err=True,
            )
        if not yes and not typer.confirm(t(lang, "cli.confirm_publish"), default=False):
            typer.echo(t(lang, "cli.not_published"))
            raise typer.Exit(1)
        stored = await add_policy(app.deps, policy)
        published = await publish_policy(app.deps, stored.id or 0, via=None)
        notices = tn(lang, "cli.notices", published.queued)
        typer.echo(t(lang, "cli.published", ref=published.policy.ref, notices=notices))
        await _deliver(app, settings, queue_only=queue_only, policy_id=stored.id)
    finally:
        await app.close()


async def _deliver(app: App, settings: Settings, *, queue_only: bool, policy_id: int | None) -> None:
    """Send what is queued with a progress bar, or leave it to a running `xiaoer run`."""
    from bot.outbox import LEASE_SECONDS, OutboxSender

    channels = _channels(settings, app.deps)
    transports = channels.runtime.sender.transports
    if queue_only or not transports:
        if not queue_only:
            typer.echo(t(settings.language, "cli.no_channel"))
        await channels.close()
        return
    async with app.deps.storage() as uow:
        live = [
            s
            for s in await uow.outbox.senders()
            if (app.deps.clock() - s.heartbeat_at).total_seconds() < LEASE_SECONDS
        ]
    try:
        if live:
            typer.echo(t(settings.language, "cli.running_sender", id=live[0].id))
            await _watch(app, policy_id, settings.language)
        else:
            sender = OutboxSender(app.deps, transports)
            await _send_with_progress(app, sender, policy_id, settings.language)
    finally:
        await channels.close()
    if policy_id is not None:
        from handlers.policy_status import delivery_line, policy_report

        report = await policy_report(app.deps, policy_id)
        typer.echo(f"{report.policy.ref}: {delivery_line(report.notices, settings.language)}")


async def _pending(app: App, policy_id: int | None) -> tuple[int, int]:
    """(done, total) notices of the policy, or of the whole outbox."""
    from bot.domain.outbox import MessageKind

    if policy_id is None:
        return 0, 0
    async with app.deps.storage() as uow:
        counts = await uow.outbox.counts(policy_id, MessageKind.NOTICE)
    total = sum(counts.values())
    return total - sum(n for status, n in counts.items() if not status.is_final), total


def _progress() -> Progress:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )


async def _send_with_progress(
    app: App, sender: OutboxSender, policy_id: int | None, lang: str
) -> SenderStats:
    done, total = await _pending(app, policy_id)
    with _progress() as progress:
        task = progress.add_task(t(lang, "cli.sending"), total=total or None, completed=done, detail="")

        def show(stats: SenderStats) -> None:
            progress.update(
                task,
                completed=done + stats.sent + stats.failed + stats.blocked,
                detail=t(lang, "cli.progress", sent=stats.sent, failed=stats.failed, blocked=stats.blocked),
            )

        sender.on_progress = show
        return await sender.run(until_idle=True)


async def _watch(app: App, policy_id: int | None, lang: str) -> None:
    with _progress() as progress:
        task = progress.add_task(t(lang, "cli.delivering"), total=None, detail="")
        while True:
            done, total = await _pending(app, policy_id)
            progress.update(task, total=total, completed=done)
            if done >= total:
                return
            await asyncio.sleep(1)


@policy_app.command("list")
def listing(ctx: typer.Context, database: str | None = DATABASE) -> None:
    """The policies, newest first: number, status, title, deadline."""
    settings = settings_of(ctx)

    async def show() -> None:
        from handlers.policy_render import line

        app = await _app(settings, database)
        try:
            async with app.deps.storage() as uow:
                policies = await uow.policies.listing()
        finally:
            await app.close()
        for policy in policies:
            typer.echo(line(policy, settings.language))
        if not policies:
            typer.echo(t(settings.language, "cli.no_policies"))

    _run(show())


def _policy_id(text: str) -> int:
    from handlers.numbers import small_number

    number = small_number(text.upper().removeprefix("P"))
    if number is None:
        fail(
            [
                f"xiaoer: {text!r} is not a policy number "
                "(write it as 3 or P3; `xiaoer policy list` shows them)"
            ]
        )
    return number


@policy_app.command("status")
def status(
    ctx: typer.Context,
    policy: str = typer.Argument(..., metavar="ID", hidden=True),  # described in the docstring
    database: str | None = DATABASE,
) -> None:
    """Reach (sent / failed / blocked, groups and enterprises), acknowledgements, applications.

    ID: the policy's number (3 or P3)."""
    settings = settings_of(ctx)
    policy_id = _policy_id(policy)

    async def show() -> None:
        from handlers.policy_status import policy_report, status_text

        app = await _app(settings, database)
        try:
            report = await policy_report(app.deps, policy_id)
            typer.echo(status_text(report, settings.language, app.deps))
        finally:
            await app.close()

    _run(show())


@policy_app.command("withdraw")
def withdraw(
    ctx: typer.Context,
    policy: str = typer.Argument(..., metavar="ID", hidden=True),  # described in the docstring
    yes: bool = typer.Option(False, "--yes", "-y", help="Withdraw without asking for confirmation."),
    database: str | None = DATABASE,
) -> None:
    """Withdraw a policy: notices not yet sent are cancelled, its buttons stop taking applications.

    ID: the policy's number (3 or P3)."""
    settings = settings_of(ctx)
    policy_id = _policy_id(policy)

    async def act() -> None:
        from handlers.policy_publish import get_policy
        from handlers.policy_publish import withdraw as withdraw_policy

        app = await _app(settings, database)
        try:
            lang = settings.language
            found = await get_policy(app.deps, policy_id)
            asked = t(lang, "cli.confirm_withdraw", ref=found.ref, title=found.title)
            if not yes and not typer.confirm(asked, default=False):
                typer.echo(t(lang, "cli.not_withdrawn"))
                raise typer.Exit(1)
            withdrawn = await withdraw_policy(app.deps, policy_id)
            unsent = tn(lang, "cli.unsent", withdrawn.cancelled)
            typer.echo(t(lang, "cli.withdrew", ref=withdrawn.policy.ref, unsent=unsent))
        finally:
            await app.close()

    _run(act())


@policy_app.command("remind")
def remind(ctx: typer.Context, database: str | None = DATABASE, queue_only: bool = QUEUE_ONLY) -> None:
    """Queue deadline reminders (policies.remind_days_before) for enterprises that have not applied,
    each chat once per policy, and send them. Run it daily (cron) until the scheduler does."""
    settings = settings_of(ctx)

    async def act() -> None:
        from handlers.policy_reminders import policy_reminders

        app = await _app(settings, database)
        try:
            done = await policy_reminders(app.deps, app.deps.clock())
            lang = settings.language
            reminders = tn(lang, "cli.reminders", done.queued)
            policies = tn(lang, "cli.policies", done.policies)
            typer.echo(t(lang, "cli.reminders_queued", reminders=reminders, policies=policies))
            await _deliver(app, settings, queue_only=queue_only, policy_id=None)
        finally:
            await app.close()

    _run(act())


@policy_app.command("send")
def send(
    ctx: typer.Context,
    database: str | None = DATABASE,
    follow: bool = typer.Option(False, "--follow", help="Keep running and send new messages as they come."),
) -> None:
    """Deliver the queued messages (notices, reminders, reports) until none is left."""
    settings = settings_of(ctx)
    if not any(section.in_use for section in settings.channel_sections().values()):
        sections = ", ".join(f"channels.{name}" for name in settings.channel_sections())
        fail([f"xiaoer: nothing to send with: no channel is in use; set one up ({sections}: see README)"])

    async def act() -> None:
        from bot.outbox import OutboxSender

        app = await _app(settings, database)
        channels = _channels(settings, app.deps)
        try:
            sender = OutboxSender(app.deps, channels.runtime.sender.transports)
            lang = settings.language
            stats = await (sender.run() if follow else _send_with_progress(app, sender, None, lang))
            typer.echo(
                t(lang, "cli.sent", sent=stats.sent, failed=stats.failed, blocked=stats.blocked)
                + (t(lang, "cli.in_doubt", count=stats.in_doubt) if stats.in_doubt else "")
            )
        finally:
            await channels.close()
            await app.close()

    _run(act())
