"""The test's own load balancer in front of several `xiaoer run` processes in webhook mode, and
Telegram's side of a webhook: an update is posted until some process acknowledges it.

The balancer spreads webhook posts over the processes in turn; a process that refuses the
connection or drops it mid-request (killed) is skipped and the post goes to the next, as nginx's
`proxy_next_upstream error timeout` does. Telegram itself repeats an update that got no 2xx
answer (here: after a short pause instead of Telegram's minutes), so an update a dying process
had already kept may arrive twice: the inbox must take it once.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter

import aiohttp
from aiohttp import web

from tests.loopback import serve

HOOK = "/telegram/hook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class Balancer:
    def __init__(self, ports: list[int], upstream_timeout: float = 30.0) -> None:
        self.ports = ports
        self.answered_by: Counter[int] = Counter()
        self.failovers = 0  # posts that went on to another process after a connection failure
        self._turns = itertools.count()
        self._timeout = aiohttp.ClientTimeout(total=upstream_timeout)
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self.base = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post(HOOK, self._forward)
        self._http = aiohttp.ClientSession(timeout=self._timeout)
        self._runner, self.base = await serve(app)
        return self.base

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._http is not None:
            await self._http.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._http is not None
        body = await request.read()
        headers = {"Content-Type": "application/json", SECRET_HEADER: request.headers.get(SECRET_HEADER, "")}
        first = next(self._turns)
        for step in range(len(self.ports)):
            port = self.ports[(first + step) % len(self.ports)]
            try:
                async with self._http.post(
                    f"http://127.0.0.1:{port}{HOOK}", data=body, headers=headers
                ) as answer:
                    text = await answer.read()
            except (aiohttp.ClientConnectionError, TimeoutError):
                self.failovers += 1
                continue
            self.answered_by[port] += 1
            return web.Response(status=answer.status, body=text)
        return web.Response(status=502, text="no process answered")


class WebhookSender:
    """Telegram posting updates to the webhook: each until it is acknowledged with 200."""

    def __init__(self, url: str, secret: str, pause: float = 1.0) -> None:
        self.url = url
        self.secret = secret
        self.pause = pause
        self.redelivered = 0  # posts repeated after an answer other than 200, or none
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))

    async def deliver(self, update: dict[str, object]) -> None:
        while True:
            try:
                async with self._http.post(
                    self.url, json=update, headers={SECRET_HEADER: self.secret}
                ) as answer:
                    if answer.status == 200:
                        return
            except (aiohttp.ClientConnectionError, TimeoutError):
                pass
            self.redelivered += 1
            await asyncio.sleep(self.pause)

    async def close(self) -> None:
        await self._http.close()
