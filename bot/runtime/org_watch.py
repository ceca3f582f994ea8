"""Changes to the organisation made by another process (`xiaoer import`, an admin in chat on
another instance) reach a running Xiaoer without a restart: it polls the organisation's version
(one index-only read) and reads the directory again when it moved."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from handlers.deps import Deps
from handlers.roster.directory import refresh_directory

log = logging.getLogger("xiaoer")
POLL_SECONDS = 5.0


async def watch_organisation(deps: Deps, stop: asyncio.Event, every: float = POLL_SECONDS) -> None:
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
        if stop.is_set():
            return
        try:
            if await refresh_directory(deps):
                log.info("organisation changed: directory read again (version %s)", deps.directory.version)
        except Exception:  # the database may be away a moment: the next poll tries again
            log.warning("could not read the organisation's version", exc_info=True)
