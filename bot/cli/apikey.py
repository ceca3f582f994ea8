"""`xiaoer apikey create|list|revoke`: the keys the HTTP API (/api/v1) accepts. A key's token is
printed once, at creation; only its SHA-256 is kept."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import typer

from bot.cli_common import DATABASE, fail, in_database, run_work, settings_of

if TYPE_CHECKING:
    from bot.domain.api_keys import ApiKey
    from storage.protocols import UnitOfWork

apikey_app = typer.Typer(
    help="HTTP API keys: create, list, revoke.", no_args_is_help=True, rich_markup_mode=None
)


@apikey_app.command("create")
def create(
    ctx: typer.Context,
    name: str = typer.Option(..., "--name", metavar="NAME", help="Who uses it (shown in the audit)."),
    scopes: str = typer.Option("read", "--scopes", metavar="read,write,publish", help="What it may do."),
    rate: int = typer.Option(60, "--rate", metavar="N", help="Calls a minute (bursts up to N)."),
    database: str | None = DATABASE,
) -> None:
    """Create a key and print its token (once: keep it, it cannot be shown again)."""
    import secrets

    from bot.domain.api_keys import SCOPES, TOKEN_PREFIX, ApiKey, bad_scopes, token_hash
    from storage.protocols import Duplicate

    settings = settings_of(ctx)
    chosen = tuple(dict.fromkeys(s.strip() for s in scopes.split(",") if s.strip()))
    if not chosen or bad_scopes(chosen):
        fail([f"xiaoer: --scopes {scopes}: give some of {', '.join(SCOPES)}, separated by commas"])
    if not name.strip() or len(name) > 64:
        fail(["xiaoer: --name: give the key a name of 1 to 64 characters"])
    if not 1 <= rate <= 100_000:
        fail([f"xiaoer: --rate {rate}: give a number of calls a minute from 1 to 100000"])
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)

    async def add(uow: UnitOfWork) -> None:
        from handlers.deps import utc_now

        await uow.api_keys.add(ApiKey(name.strip(), chosen, rate, utc_now()), token_hash(token))

    try:
        run_work(in_database(settings, database, add))
    except Duplicate:
        fail([f"xiaoer: a key named {name} exists; choose another name, or revoke that one first"])
    typer.echo(f"xiaoer: key {name} created with scopes {','.join(chosen)}, {rate} calls a minute.")
    typer.echo("Its token (shown only now; send it as `Authorization: Bearer <token>`):")
    typer.echo(token)


@apikey_app.command("list")
def listing(ctx: typer.Context, database: str | None = DATABASE) -> None:
    """Every key: name, scopes, rate, created, last used, revoked (on the office's clock)."""
    settings = settings_of(ctx)
    zone = ZoneInfo(settings.timezone)

    async def keys(uow: UnitOfWork) -> list[str]:
        return [_line(key, zone) for key in await uow.api_keys.all()]

    lines = run_work(in_database(settings, database, keys))
    typer.echo(
        "\n".join(lines) if lines else "xiaoer: no API keys yet (create one with `xiaoer apikey create`)"
    )


@apikey_app.command("revoke")
def revoke(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", hidden=True),  # described in the docstring
    database: str | None = DATABASE,
) -> None:
    """Revoke the key named NAME: calls with it are refused from now on (its audit stays)."""
    settings = settings_of(ctx)

    async def revoked(uow: UnitOfWork) -> bool:
        from handlers.deps import utc_now

        return await uow.api_keys.revoke(name, utc_now())

    if not run_work(in_database(settings, database, revoked)):
        fail([f"xiaoer: no active key is named {name} (see `xiaoer apikey list`)"])
    typer.echo(f"xiaoer: key {name} revoked")


def _line(key: ApiKey, zone: tzinfo) -> str:
    def when(moment: datetime) -> str:  # stored in UTC, read by the office: its time and offset
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %z")

    used = when(key.last_used_at) if key.last_used_at else "never"
    revoked = f"\trevoked {when(key.revoked_at)}" if key.revoked_at else ""
    return (
        f"{key.name}\t{','.join(key.scopes)}\t{key.rate_per_minute}/min"
        f"\tcreated {when(key.created_at)}\tlast used {used}{revoked}"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(apikey_app, name="apikey")
