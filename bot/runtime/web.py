"""The runtime's one web server: every channel's routes (webhooks, callbacks), `/healthz` and
`/metrics` (Prometheus; restrict it at the reverse proxy)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from aiohttp import web

from bot.channels.plugin import Routes

if TYPE_CHECKING:
    from bot.runtime.metrics import Metrics

SHUTDOWN_SECONDS = 10.0  # at a stop, how long requests in hand may take to finish

MAX_BODY = 1024 * 1024  # no platform posts more than this in one update


def web_app(routes: Sequence[Routes], metrics: Metrics | None = None) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY)
    for add in routes:
        add(app)

    async def health(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    app.router.add_get("/healthz", health)
    if metrics is not None:
        app.router.add_get("/metrics", metrics.handler())
    return app


async def serve(app: web.Application, host: str, port: int, stop: asyncio.Event | None = None) -> None:
    """Serve until `stop` is set (or until cancelled); then refuse new connections and let the
    requests in hand finish (an update being kept is acknowledged, not cut off)."""
    runner = web.AppRunner(app, shutdown_timeout=SHUTDOWN_SECONDS)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    try:
        await (stop or asyncio.Event()).wait()
    finally:
        await runner.cleanup()
