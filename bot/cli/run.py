"""`xiaoer run`: the bot on the channels enabled in the config, until it is stopped."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from bot.cli_common import DATABASE, fail, run_work, settings_of, training_shown

if TYPE_CHECKING:
    from bot.config import Settings


def register(app: typer.Typer) -> None:
    app.command()(run)


def run(ctx: typer.Context, database: str | None = DATABASE) -> None:
    """Run the bot on the channels enabled in the config (Telegram: long polling; WeCom: its callback)."""
    settings = settings_of(ctx)
    if not settings.channels.telegram.token and not settings.channels.wecom.enabled:
        fail(
            [
                "xiaoer: no channel to run: Telegram needs a bot token, or WeCom must be enabled.",
                "  Set XIAOER_CHANNELS__TELEGRAM__TOKEN=<token from @BotFather>"
                " (or channels.telegram.token in the config),",
                "  or channels.wecom.enabled: true with the app's credentials (see README, WeCom).",
            ]
        )
    try:
        run_work(_serve(settings, database))
    except KeyboardInterrupt:
        typer.echo("xiaoer: stopped", err=True)


async def _serve(settings: Settings, database: str | None) -> None:
    from bot.bootstrap import build_app
    from bot.runtime.assemble import assemble, run

    with training_shown() as on_build:
        app_ = await build_app(settings, database, on_nlu_build=on_build)
    try:
        await run(settings, assemble(settings, app_.deps), lambda line: typer.echo(line, err=True))
    finally:
        await app_.close()
