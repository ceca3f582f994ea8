"""What `xiaoer run` builds at start-up that handling the first updates would otherwise build, so
that the first people after a start are answered as fast as the ones after them
(benchmarks/first_answer.py). It moves that memory (a few MiB) into the idle figure: it saves none
(benchmarks/RESULTS.md)."""

from __future__ import annotations

import gc

from bot.config import Settings
from bot.i18n import load_catalogues
from bot.runtime.assemble import Assembled, assemble
from handlers.deps import Deps


async def assembled_and_warm(settings: Settings, deps: Deps) -> Assembled:
    """The running Xiaoer assembled, warmed, and with everything start-up made out of the garbage
    collector's sight. If the warm-up fails, what was assembled is closed (its channels' HTTP
    sessions) before the error goes on."""
    assembled = assemble(settings, deps)
    try:
        warm_up(assembled)
    except BaseException:
        await assembled.close()
        raise
    # What start-up made (the model, the catalogues, the libraries, the channels and what the
    # warm-up built) lives as long as the process: frozen, a full collection walks only what the
    # work allocates. The reminder sweep over 10,000 due tickets set off 3 full collections that
    # cost 435-613 ms with it all, 17-26 ms without (issue 22).
    gc.collect()
    gc.freeze()
    return assembled


def warm_up(assembled: Assembled) -> None:
    load_catalogues()  # ~8 ms of CPU each, for the first message said in each language
    for channel in assembled.channels:
        if channel.warm is not None:
            channel.warm()  # Telegram: ~110 ms, the model its updates are read with
