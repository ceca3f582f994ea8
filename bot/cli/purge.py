"""`xiaoer purge`: what people wrote about tickets closed long ago is deleted (the message log, and
the inbox's handled entries); tickets, their audit events and every figure stay. The retention
period is `privacy.retain_messages_days`, or --older-than. Expired secrets (sign-in and binding
links, web sessions) go as well, as `xiaoer run` does every day (bot/scheduler.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import typer

from bot.cli_common import fail, run_work, settings_of
from bot.domain.retention import EXPIRED_KEPT

if TYPE_CHECKING:
    from bot.config import Settings

purge_app = typer.Typer(invoke_without_command=True, rich_markup_mode=None)


@purge_app.callback()
def purge(
    ctx: typer.Context,
    older_than: int | None = typer.Option(
        None,
        "--older-than",
        metavar="DAYS",
        min=1,
        help="Messages of tickets closed more than DAYS ago (default: privacy.retain_messages_days).",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Count what would be deleted; delete nothing."),
    database: str | None = typer.Option(None, "--database", "-d", metavar="URL", help="Database URL."),
) -> None:
    """Delete the message log of tickets closed more than DAYS ago; keep tickets, audit and figures."""
    settings = settings_of(ctx)
    days = older_than if older_than is not None else settings.privacy.retain_messages_days
    if days is None:
        fail(["xiaoer: say how old: --older-than DAYS, or privacy.retain_messages_days in the configuration"])
    before = datetime.now(UTC) - timedelta(days=days)
    messages, entries, secrets = run_work(_purge(settings, database, before, dry_run))
    verb = "would delete" if dry_run else "deleted"
    typer.echo(
        f"xiaoer: {verb} {messages} logged message(s) of tickets closed before {before:%Y-%m-%d}, "
        f"{entries} handled inbox entr{'y' if entries == 1 else 'ies'} and {secrets} expired link(s) "
        "or session(s); tickets, audit events and figures are kept"
    )


async def _purge(
    settings: Settings, database: str | None, before: datetime, dry_run: bool
) -> tuple[int, int, int]:
    from bot.bootstrap import build_app

    app = await build_app(settings, database, load_nlu=False)
    try:
        async with app.storage() as uow:
            purged = await uow.retention.purge(before, dry_run=dry_run)
            secrets = await uow.retention.forget_expired(datetime.now(UTC) - EXPIRED_KEPT, dry_run=dry_run)
            if not dry_run:
                await uow.commit()
        return purged.messages, purged.inbox_entries, secrets
    finally:
        await app.close()


def register(app: typer.Typer) -> None:
    app.add_typer(purge_app, name="purge", help="Delete old message logs of closed tickets (privacy).")
