"""A running Xiaoer for the API tests: the shipped configuration on a fresh SQLite file, the toy
chat channel (tests/channels/test_toy_channel.py) for the enterprise and the officers, the webhook
transport on the outbox sender, and the API served over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema
from aiohttp import web

from bot.api.app import api_app
from bot.api.openapi import DOCUMENT
from bot.api.ratelimit import RateLimiter
from bot.bootstrap import App, build_app
from bot.config import ApiConfig, load_settings
from bot.domain.api_keys import TOKEN_PREFIX, ApiKey, token_hash
from bot.domain.enterprise import Contact
from bot.domain.webhooks import EVENTS, Subscription
from bot.runtime.integrations import plug_webhooks
from bot.runtime.runtime import Runtime
from tests.channels.test_toy_channel import CHANNEL, ToyAddressing, ToyPlatform, ToyTransport
from tests.conftest import ROOT
from tests.fakes import FakeNlu
from tests.world import UNDERSTOOD

BOSS = "boss-chen"  # 陈总 of 厦门鑫源 (xinyuan, liaison 王磊) on the toy channel
WANG = "officer-wang"
LIN = "head-lin"


@dataclass
class Api:
    app: App
    runtime: Runtime
    platform: ToyPlatform
    base: str
    http: aiohttp.ClientSession
    limiter: RateLimiter

    async def key(
        self, name: str, scopes: tuple[str, ...] = ("read", "write", "publish"), rate: int = 600
    ) -> str:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        key = ApiKey(name, scopes, rate, self.app.deps.clock())
        async with self.app.storage() as uow:
            await uow.api_keys.add(key, token_hash(token))
            await uow.commit()
        return token

    async def subscribe(
        self, url: str, secret: str, events: tuple[str, ...] = EVENTS, platform: str | None = None
    ) -> int:
        async with self.app.storage() as uow:
            stored = await uow.webhooks.add(
                Subscription(None, url, secret, events, platform=platform, created_at=self.app.deps.clock())
            )
            await uow.commit()
        assert stored.id is not None
        return stored.id

    async def call(
        self, method: str, path: str, token: str | None, body: object = None, raw: str | None = None
    ) -> tuple[int, Any, Mapping[str, str]]:
        """One call; its answer checked against the OpenAPI document (status documented, body valid)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        data = raw if raw is not None else (None if body is None else json.dumps(body))
        if data is not None:
            headers["Content-Type"] = "application/json"
        async with self.http.request(method, self.base + path, data=data, headers=headers) as response:
            payload = await response.json()
            conforms(method, path, response.status, payload)
            return response.status, payload, response.headers


def _template(path: str) -> str:
    path = path.split("?", 1)[0]
    parts = path.strip("/").split("/")
    for template in DOCUMENT["paths"]:
        candidate = template.strip("/").split("/")
        if len(candidate) == len(parts) and all(
            c.startswith("{") or c == p for c, p in zip(candidate, parts, strict=True)
        ):
            return str(template)
    raise AssertionError(f"{path} is not in the OpenAPI document")


def conforms(method: str, path: str, status: int, payload: object) -> None:
    operation = DOCUMENT["paths"][_template(path)][method.lower()]
    documented = operation["responses"]
    assert str(status) in documented, f"{method} {path} answered {status}, not documented: {payload}"
    schema = documented[str(status)]["content"]["application/json"]["schema"]
    jsonschema.validate(
        payload,
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": DOCUMENT["components"],
            **schema,
        },
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


def _config(tmp_path: Path) -> Path:
    config = (ROOT / "config.yaml").read_text(encoding="utf-8")
    for officer, toy_id in (("lin_hui", LIN), ("wang_lei", WANG)):
        line = next(line for line in config.splitlines() if line.startswith(f"  - {{id: {officer},"))
        config = config.replace(line, line.rstrip("}") + f", identities: {{toy: {toy_id}}}}}")
    path = tmp_path / "config.yaml"
    path.write_text(config, encoding="utf-8")
    return path


@asynccontextmanager
async def running_api(
    tmp_path: Path,
    backoff_seconds: float = 0.05,
    clock: Callable[[], datetime] | None = None,
    database_url: str | None = None,
) -> AsyncIterator[Api]:
    """`clock`: the app's clock (default the wall clock), for what depends on the day or hour;
    `database_url`: a migrated database (default a fresh SQLite file)."""
    settings = load_settings(_config(tmp_path))
    url = database_url or f"sqlite+aiosqlite:///{tmp_path / 'api.db'}"
    app = await build_app(settings, url, load_nlu=False)
    app = replace(app, deps=replace(app.deps, nlu=FakeNlu(dict(UNDERSTOOD)), clock=clock or app.deps.clock))
    async with app.storage() as uow:
        await uow.contacts.add(Contact(None, CHANNEL, BOSS, "陈总", "zh-CN", "xinyuan"))
        await uow.commit()
    platform = ToyPlatform()
    runtime = Runtime.build(app.deps)
    runtime.plug(ToyAddressing(app.deps.directory), ToyTransport(platform))
    plug_webhooks(
        runtime, ApiConfig(webhook_backoff_seconds=backoff_seconds, webhook_backoff_max_seconds=0.5)
    )
    limiter = RateLimiter(runtime.deps)
    server = web.Application()
    server.add_subapp("/api/v1", api_app(runtime.deps, runtime.outgoing, [CHANNEL], limiter))
    runner = web.AppRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    stop = asyncio.Event()
    running = asyncio.create_task(runtime.run(stop))
    try:
        async with aiohttp.ClientSession() as http:
            yield Api(app, runtime, platform, f"http://127.0.0.1:{port}/api/v1", http, limiter)
    finally:
        stop.set()
        await running
        await runner.cleanup()
        await runtime.close()
        await app.close()
