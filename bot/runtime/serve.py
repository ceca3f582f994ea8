"""`xiaoer run` from start to stop: logging configured first, the application built, the channels
checked and served, and one line when it is ready and one when it has stopped (after a drain)."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from bot.config import Settings
from bot.runtime.logs import configure_logging
from bot.runtime.redaction import configured_secrets

OnBuild = Callable[[Path], None]

# the ready and stopped lines: shown whatever the level, so an operator always sees them
log = logging.getLogger("xiaoer")


def start_logging(settings: Settings, level: str | None) -> None:
    configure_logging(level or settings.logging.level, settings.logging.format, configured_secrets(settings))
    log.setLevel(logging.INFO)


def say(line: str) -> None:
    log.info(line.removeprefix("xiaoer: "))


async def serve(
    settings: Settings,
    database: str | None,
    training: Callable[[], AbstractContextManager[Callable[[Path], None]]] = lambda: nullcontext(
        lambda _: None
    ),
    *,
    allow_unreachable: bool = False,
) -> None:
    """`training()` shows the model being trained on a cold cache while the application is built."""
    from bot.bootstrap import build_app
    from bot.runtime.assemble import run
    from bot.runtime.warm import assembled_and_warm
    from storage.engine import mask_url

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):  # from the start: a stop while loading is clean too
        loop.add_signal_handler(signal_number, stop.set)
    try:
        with training() as on_nlu_build:
            app = await build_app(settings, database, on_nlu_build=on_nlu_build)
        try:
            if not stop.is_set():
                await run(
                    settings,
                    await assembled_and_warm(settings, app.deps),
                    say,
                    mask_url(app.engine.url),
                    stop,
                    allow_unreachable=allow_unreachable,
                )
        finally:
            await app.close()  # the database, last: the drain above may still have written to it
    finally:
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signal_number)
    say("xiaoer: stopped")
