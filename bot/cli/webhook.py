"""`xiaoer webhook add|list|deliveries`: URLs told of ticket and policy events (signed with their
own secret), external platforms tickets can be transferred to, and what was delivered to them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from bot.cli_common import DATABASE, fail, in_database, run_work, settings_of

if TYPE_CHECKING:
    from bot.domain.outbox import OutboxMessage
    from bot.domain.webhooks import Subscription
    from storage.protocols import UnitOfWork

webhook_app = typer.Typer(
    help="Outbound webhooks: add, list, deliveries.", no_args_is_help=True, rich_markup_mode=None
)


@webhook_app.command("add")
def add(
    ctx: typer.Context,
    url: str = typer.Argument(..., metavar="URL", hidden=True),  # described in the docstring
    events: str = typer.Option(
        "", "--events", metavar="E1,E2", help="ticket.opened,ticket.closed,… or * for all (see the README)."
    ),
    platform: str | None = typer.Option(
        None, "--external-platform", metavar="NAME", help="Tickets can be transferred to it under this name."
    ),
    database: str | None = DATABASE,
) -> None:
    """Subscribe URL (http or https) to events; prints the secret its deliveries are signed with
    (once)."""
    import secrets

    from bot.domain.webhooks import EVENTS, Subscription
    from storage.protocols import Duplicate

    settings = settings_of(ctx)
    chosen = tuple(dict.fromkeys(e.strip() for e in events.split(",") if e.strip()))
    unknown = [e for e in chosen if e not in EVENTS and e != "*"]
    if unknown:
        fail([f"xiaoer: --events: unknown {', '.join(unknown)}; choose from {', '.join(EVENTS)} or *"])
    if not chosen and platform is None:
        fail(["xiaoer: give --events (what to be told of), --external-platform NAME, or both"])
    if not url.startswith(("http://", "https://")) or len(url) > 500:
        fail([f"xiaoer: {url}: give an http:// or https:// URL of at most 500 characters"])
    secret = secrets.token_hex(32)

    async def subscribe(uow: UnitOfWork) -> Subscription:
        from handlers.deps import utc_now

        return await uow.webhooks.add(
            Subscription(None, url, secret, chosen, platform=platform, created_at=utc_now())
        )

    try:
        stored = run_work(in_database(settings, database, subscribe))
    except Duplicate:
        fail([f"xiaoer: an external platform named {platform} is registered already; choose another name"])
    as_platform = f" as external platform {platform}" if platform else ""
    typer.echo(
        f"xiaoer: webhook {stored.id} added{as_platform}: {url} ({', '.join(chosen) or 'transfers only'})"
    )
    typer.echo("Its signing secret (shown only now; see the README for checking X-Xiaoer-Signature):")
    typer.echo(secret)


@webhook_app.command("list")
def listing(ctx: typer.Context, database: str | None = DATABASE) -> None:
    """Every subscription: id, URL, events, platform, active."""
    settings = settings_of(ctx)

    async def subscriptions(uow: UnitOfWork) -> list[Subscription]:
        return await uow.webhooks.all()

    found = run_work(in_database(settings, database, subscriptions))
    for s in found:
        platform = f"\tplatform {s.platform}" if s.platform else ""
        typer.echo(
            f"{s.id}\t{s.url}\t{','.join(s.events) or '-'}{platform}\t{'active' if s.active else 'inactive'}"
        )
    if not found:
        typer.echo("xiaoer: no webhooks yet (add one with `xiaoer webhook add URL --events …`)")


@webhook_app.command("deliveries")
def deliveries(
    ctx: typer.Context,
    failed: bool = typer.Option(
        False, "--failed", help="Only those failed, or failing and waiting to retry."
    ),
    limit: int = typer.Option(50, "--limit", metavar="N", help="The newest N."),
    database: str | None = DATABASE,
) -> None:
    """The newest deliveries: id, subscription, event, status, attempts, last error."""
    settings = settings_of(ctx)

    async def newest(uow: UnitOfWork) -> list[OutboxMessage]:
        return await uow.webhooks.deliveries(failed_only=failed, limit=limit)

    found = run_work(in_database(settings, database, newest))
    for message in found:
        typer.echo(_line(message))
    if not found:
        typer.echo("xiaoer: no failed deliveries" if failed else "xiaoer: nothing delivered yet")


def _line(message: OutboxMessage) -> str:
    import json

    event = json.loads(message.text).get("event", "?")
    doubt = " (in doubt)" if message.in_doubt else ""
    error = f"\t{message.last_error}" if message.last_error else ""
    ticket = f"#{message.ticket}" if message.ticket else "-"
    return (
        f"{message.id}\tsubscription {message.chat_id}\t{event}\t{ticket}\t{message.status.value}{doubt}"
        f"\tattempts {message.attempts}{error}"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(webhook_app, name="webhook")
