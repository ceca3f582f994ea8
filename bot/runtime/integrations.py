"""Wiring the integrations into a runtime: the webhook transport on the outbox sender of
`xiaoer run` (whether the API is enabled or not: subscriptions are added from the CLI, and their
deliveries wait in the outbox for it), and the HTTP API's routes on the one web server (when
`api.enabled`)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.config import ApiConfig
from bot.domain.webhooks import CHANNEL
from bot.runtime.runtime import Runtime
from handlers.deps import Deps
from handlers.outgoing import Outgoing

if TYPE_CHECKING:
    from aiohttp import web


def webhook_backoff(config: ApiConfig) -> Callable[[int], timedelta]:
    first, longest = config.webhook_backoff_seconds, config.webhook_backoff_max_seconds

    def wait(attempts: int) -> timedelta:
        return timedelta(seconds=min(first * (1 << min(max(attempts - 1, 0), 20)), longest))

    return wait


def plug_webhooks(runtime: Runtime, config: ApiConfig) -> None:
    from bot.api.webhook_transport import WebhookTransport

    transport = WebhookTransport(runtime.deps.storage, timeout=config.webhook_timeout_seconds)
    runtime.sender.transports[CHANNEL] = transport
    runtime.sender.backoffs[CHANNEL] = webhook_backoff(config)


def api_routes(
    deps: Deps, outgoing: Outgoing, channels: Collection[str]
) -> Callable[[web.Application], None]:
    from bot.api.app import api_routes as routes

    return routes(deps, outgoing, channels)
