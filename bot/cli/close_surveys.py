"""`xiaoer close-surveys`: close the surveys left unanswered for their window."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import typer

from bot.cli_common import DATABASE, run_work, settings_of, training_shown

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.domain.messages import Reply


def register(app: typer.Typer) -> None:
    app.command("close-surveys")(close_surveys)


def close_surveys(ctx: typer.Context, database: str | None = DATABASE) -> None:
    """Close surveys left unanswered for their survey window (sla.survey_days) as "not rated"
    (`xiaoer run` does it every hour)."""
    from bot.i18n import t, tn

    settings = settings_of(ctx)
    count = run_work(_close_surveys(settings, database))
    typer.echo(
        t(settings.language, "cli.closed_surveys", surveys=tn(settings.language, "cli.surveys", count))
    )


async def _close_surveys(settings: Settings, database: str | None) -> int:
    from bot.bootstrap import build_app
    from bot.runtime.assemble import assemble
    from handlers.survey import close_unanswered

    with training_shown() as on_build:
        app_ = await build_app(settings, database, on_nlu_build=on_build)
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
