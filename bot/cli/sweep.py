"""`xiaoer sweep`: one reminder sweep as if at a given time, printing what it sends."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import typer

from bot.cli_common import DATABASE, fail, run_work, settings_of, training_shown

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.domain.messages import Reply


def register(app: typer.Typer) -> None:
    app.command()(sweep)


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
    database: str | None = DATABASE,
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
    from bot.i18n import t, tn
    from bot.runtime.assemble import assemble
    from handlers import reminders

    with training_shown() as on_build:
        app_ = await build_app(settings, database, on_nlu_build=on_build)
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
        if not dry_run and assembled.runtime.sender.transports:
            # Also when this sweep claimed nothing new: what an earlier one claimed and queued but
            # did not get to send (it was killed) is delivered now, not left to the next `xiaoer run`.
            await assembled.runtime.sender.run(until_idle=True)
    finally:
        await assembled.close()
        await app_.close()


def _recipient(reply: Reply) -> str:
    from bot.domain.messages import ToDepartment, ToOfficer

    match reply.to:
        case ToOfficer(officer_id=officer_id):
            return f"officer {officer_id}"
        case ToDepartment(department_id=department_id):
            return f"department {department_id}"
    return str(reply.to)
