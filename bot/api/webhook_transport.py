"""The outbox's way out to webhook subscribers: one signed POST per delivery.

Each subscription is one chat of the `webhook` channel (its id is the chat id), so its deliveries
go one at a time in the order they were written, and a subscriber that is down holds back only its
own. What the subscriber answers decides the outcome: 2xx delivered; 429 wait (Retry-After);
5xx, a refused connection or a timeout tried again with backoff (a timeout or a broken connection
may have delivered: the outbox marks the retry in doubt; the X-Xiaoer-Delivery header lets the
subscriber drop a second copy); another 4xx, or a subscription removed, failed for good.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

import aiohttp

from bot.domain.outbox import DeliveryStatus, OutboxMessage
from bot.domain.webhooks import CHANNEL, signature
from bot.outbox import Outcome, Refused, RetryAfter, Sent, Transient
from storage.protocols import UnitOfWorkFactory

TIMEOUT_SECONDS = 10.0
DEFAULT_RETRY_AFTER = 30.0


class WebhookTransport:
    def __init__(
        self,
        storage: UnitOfWorkFactory,
        timeout: float = TIMEOUT_SECONDS,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.storage = storage
        self.timeout = timeout
        self.now = now
        self._session: aiohttp.ClientSession | None = None

    @property
    def channel(self) -> str:
        return CHANNEL

    def ready_in(self, chat_id: str) -> float:
        return 0.0  # subscribers set no limit of ours; a 429 from one is honoured as it comes

    async def wait_turn(self, chat_id: str) -> None:
        return None

    async def send(self, message: OutboxMessage) -> Outcome:
        async with self.storage() as uow:
            subscription = await uow.webhooks.get(int(message.chat_id))
        if subscription is None or not subscription.active:
            return Refused(DeliveryStatus.FAILED, "the subscription was removed")
        body = message.text.encode()
        timestamp = str(int(self.now()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "xiaoer-webhooks/1",
            "X-Xiaoer-Timestamp": timestamp,
            "X-Xiaoer-Signature": signature(subscription.secret, timestamp, body),
            "X-Xiaoer-Event": _event_of(message.text),
            "X-Xiaoer-Delivery": str(message.id),
        }
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        try:
            async with self._session.post(subscription.url, data=body, headers=headers) as response:
                status = response.status
                retry_after = response.headers.get("Retry-After", "")
                await response.read()
        except (aiohttp.ClientConnectorError, aiohttp.InvalidURL) as exc:
            # nothing reached the subscriber (refused, no route, a bad URL)
            return Transient(f"{type(exc).__name__}: {exc}"[:300])
        except (TimeoutError, aiohttp.ClientError) as exc:
            return Transient(f"{type(exc).__name__}: {exc}"[:300], maybe_delivered=True)
        if 200 <= status < 300:
            return Sent(str(message.id), trackable=False)
        if status == 429:
            return RetryAfter(_seconds(retry_after), f"HTTP 429 from {subscription.url}")
        if status >= 500 or status == 408:
            return Transient(f"HTTP {status} from {subscription.url}")
        return Refused(DeliveryStatus.FAILED, f"HTTP {status} from {subscription.url}")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
            await asyncio.sleep(0)  # let the connector close its sockets


def _seconds(header: str) -> float:
    try:
        return max(float(header), 0.0)
    except ValueError:
        return DEFAULT_RETRY_AFTER


def _event_of(body: str) -> str:
    try:
        return str(json.loads(body).get("event", ""))
    except ValueError:
        return ""
