"""`xiaoer rasa-actions`: the action server a Rasa assistant calls (rasa-sdk's /webhook protocol),
with the actions of bot/api/rasa_actions.py. Needs the optional extra: pip install 'xiaoer[rasa]'."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import typer

from bot.cli_common import DATABASE, fail, settings_of

if TYPE_CHECKING:
    from handlers.deps import Deps
    from handlers.outgoing import Outgoing


def rasa_actions(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", metavar="ADDRESS", help="Where to listen."),
    port: int | None = typer.Option(
        None, "--port", metavar="N", help="Default: api.rasa_actions_port (5055)."
    ),
    database: str | None = DATABASE,
) -> None:
    """Serve Xiaoer's custom actions to a Rasa assistant at http://HOST:PORT/webhook (point the
    assistant's endpoints.yml action_endpoint there): open a demand, a ticket's status, urge it,
    answer a policy question."""
    import importlib.util

    settings = settings_of(ctx)
    if importlib.util.find_spec("rasa_sdk") is None:
        fail(["xiaoer: rasa-actions needs rasa-sdk: install it with pip install 'xiaoer[rasa]'"])
    from bot.api.rasa_actions import serve

    async def setup() -> tuple[Deps, Outgoing, Callable[[], Awaitable[None]]]:
        from bot.bootstrap import build_app
        from bot.runtime.assemble import assemble

        app = await build_app(settings, database)
        # the channels' addressing, so that what officers are told is queued for them; `xiaoer run`
        # delivers it (this process sends nothing itself)
        assembled = assemble(settings, app.deps)

        async def close() -> None:
            await assembled.close()
            await app.close()

        return assembled.runtime.deps, assembled.runtime.outgoing, close

    serve(setup, host, port if port is not None else settings.api.rasa_actions_port)


def register(app: typer.Typer) -> None:
    app.command("rasa-actions")(rasa_actions)
