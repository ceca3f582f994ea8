"""`xiaoer run`: the bot on the channels enabled in the config, until it is stopped."""

from __future__ import annotations

import typer

from bot.cli_common import DATABASE, fail, run_work, settings_of, training_shown


def register(app: typer.Typer) -> None:
    app.command()(run)


def run(
    ctx: typer.Context,
    database: str | None = DATABASE,
    log_level: str | None = typer.Option(
        None, "--log-level", metavar="DEBUG|INFO|WARNING|ERROR", help="Log level (default: logging.level)."
    ),
    allow_unreachable: bool = typer.Option(
        False,
        "--allow-unreachable",
        help="Start even if some department has no group chat and no officer on the channels in use "
        "(its tickets go to the dispatchers).",
    ),
) -> None:
    """Run the bot on the channels enabled in the config (Telegram: long polling or webhook; WeCom:
    its callback) until SIGTERM or Ctrl-C, which finish the work in hand first."""
    from bot.runtime.channels import channels_in_use
    from bot.runtime.serve import serve, start_logging

    settings = settings_of(ctx)
    if log_level is not None and log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        fail([f"xiaoer: --log-level {log_level!r} is not known: use DEBUG, INFO, WARNING or ERROR"])
    if not channels_in_use(settings):
        sections = ", ".join(f"channels.{name}" for name in settings.channel_sections())
        fail(
            [
                f"xiaoer: no channel to run: set one up ({sections}; Telegram needs only"
                " XIAOER_CHANNELS__TELEGRAM__TOKEN=<token from @BotFather>; see README)"
            ]
        )
    start_logging(settings, log_level)
    run_work(serve(settings, database, training_shown, allow_unreachable=allow_unreachable))
