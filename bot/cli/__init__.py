"""The `xiaoer` command: the root app, its global options, and the list of subcommands.

Each subcommand (or group of them) is a module in this package with a `register(app)` function;
adding one is that module plus its name in SUBCOMMANDS. The modules never import each other nor
this package, so there is no import cycle, and they import nothing heavy (SQLAlchemy, aiogram,
aiohttp, matplotlib, the NLU model …) until a command runs: `xiaoer --help` stays quick
(tests/e2e/test_cli_startup.py holds it to that, benchmarks/cli_startup.py measures it)."""

from __future__ import annotations

from importlib import import_module

import typer

# In the order `xiaoer --help` lists them.
SUBCOMMANDS = (
    "shell",
    "run",
    "sweep",
    "close_surveys",
    "report",
    "db",
    "nlu",
    "policy",
    "org",
    "invites",
    "tickets",
    "purge",
    "apikey",
    "webhook",
    "rasa_actions",
    "campaign",
    "bulletin",
)

# Plain help pages (click's): rich's would show every flag as `<bool>` and every value as `<str>`;
# options taking a value say what it is with a metavar (URL, ISO-TIME, FILE …).
app = typer.Typer(
    name="xiaoer",
    help="Xiaoer (小二): a chat bot for enterprise service hotlines.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        from bot import __version__

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
    ctx.obj = config  # what bot.cli_common.settings_of reads


for _name in SUBCOMMANDS:
    import_module(f"{__name__}.{_name}").register(app)


def main() -> None:
    app()
