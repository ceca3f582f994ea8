"""A fake "city enterprise-service platform" on 127.0.0.1: it receives Xiaoer's webhooks as a
real subscriber would (checks the signature over `timestamp.body` with its own HMAC code, refuses
stale timestamps, drops a delivery id it has seen), and can close a transferred ticket back
through Xiaoer's API. It can be taken down (the port closed: connections refused) and brought
back on the same port."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

MAX_SKEW_SECONDS = 300


@dataclass
class Delivery:
    id: str
    event: str
    body: dict[str, Any]


@dataclass
class CityPlatform:
    secret: str
    port: int = 0
    deliveries: list[Delivery] = field(default_factory=list)  # each delivery id once, in arrival order
    received: int = 0  # requests that passed the signature check, repeats included
    refused: int = 0  # bad signatures
    on_transfer: Callable[[dict[str, Any]], Coroutine[Any, Any, None]] | None = None
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)
    _runner: web.AppRunner | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/xiaoer/events"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/xiaoer/events", self._receive)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        timestamp = request.headers.get("X-Xiaoer-Timestamp", "")
        expected = (
            "sha256="
            + hmac.new(self.secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        )
        fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < MAX_SKEW_SECONDS
        if not fresh or not hmac.compare_digest(expected, request.headers.get("X-Xiaoer-Signature", "")):
            self.refused += 1
            return web.json_response({"error": "bad signature"}, status=401)
        payload = json.loads(body)
        assert request.headers["X-Xiaoer-Event"] == payload["event"]
        delivery = Delivery(request.headers["X-Xiaoer-Delivery"], payload["event"], payload)
        async with self.arrived:
            self.received += 1
            if all(d.id != delivery.id for d in self.deliveries):  # the idempotency key
                self.deliveries.append(delivery)
                if delivery.event == "ticket.transferred" and self.on_transfer is not None:
                    task = asyncio.create_task(self.on_transfer(payload))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
            self.arrived.notify_all()
        return web.json_response({"ok": True})

    def events(self, ticket: int | None = None) -> list[str]:
        return [d.event for d in self.deliveries if ticket is None or d.body.get("ticket_number") == ticket]

    async def wait_for(self, found: Callable[[], bool], seconds: float = 20) -> None:
        async with asyncio.timeout(seconds), self.arrived:
            await self.arrived.wait_for(found)
