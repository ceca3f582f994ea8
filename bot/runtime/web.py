"""The runtime's one web server: every channel's routes (webhooks, callbacks) and `/healthz`."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiohttp import web

from bot.channels.plugin import Routes

MAX_BODY = 1024 * 1024  # no platform posts more than this in one update


def web_app(routes: Sequence[Routes]) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY)
    for add in routes:
        add(app)

    async def health(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    app.router.add_get("/healthz", health)
    return app


async def serve(app: web.Application, host: str, port: int) -> None:
    """Serve until cancelled."""
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
