"""Serving a fake platform's aiohttp application on 127.0.0.1, on a free port."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

from aiohttp import web

T = TypeVar("T")


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    """Start the application; returns its runner (to clean up) and its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


class LoopbackServer:
    """A fake platform served on 127.0.0.1 on a free port: a subclass adds its routes."""

    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self.base = ""  # http://127.0.0.1:<port>, once started

    def add_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> str:
        app = web.Application()
        self.add_routes(app)
        self._runner, self.base = await serve(app)
        return self.base

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


async def wait_for_sent(sent: Callable[[], list[T]], describe: Callable[[], str], within: float) -> T:
    """The last of what `sent` finds, once it finds anything; an AssertionError with `describe()`
    (what the bot did send) if nothing comes within `within` seconds."""
    deadline = time.monotonic() + within
    while not (found := sent()):
        if time.monotonic() > deadline:
            raise AssertionError(describe())
        await asyncio.sleep(0.02)
    return found[-1]
