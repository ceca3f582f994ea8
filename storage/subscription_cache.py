"""The active webhook subscriptions, remembered for a second by each storage (one engine, one
process) instead of read again for every audit event (two per new demand).

How fresh: a subscription added or changed **in this process** is heard by every event recorded
after its transaction commits (the commit forgets what was remembered); one added by **another
process** (`xiaoer webhook add` is one) is heard by the events recorded at most `TTL` seconds
after it was committed. A removed or deactivated subscription loses nothing to the memory: the
webhook sender reads the subscription again before each delivery and refuses one it no longer
finds active (bot/api/webhook_transport.py).

Why a time-to-live rather than a version read from the database: asking the database whether
anything changed is itself a statement per event, the same round trip as reading the (small)
table it would save; and a version row would need a schema change. A second bounds the delay an
operator can see after adding a subscription, while the bot at a hundred events a second reads the
table once a second instead of a hundred times.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.domain.webhooks import Subscription

TTL = 1.0  # seconds another process's change may take to be heard here
CACHE = "xiaoer_subscription_cache"  # session.info: the storage's cache, for the repositories
CHANGED = "xiaoer_subscriptions_changed"  # session.info: this transaction wrote subscriptions

Read = Callable[[], Awaitable[list[Subscription]]]


class SubscriptionCache:
    def __init__(self, ttl: float = TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._generation = 0  # bumped by every forget: a read begun before it is not kept
        self._kept: tuple[float, list[Subscription]] | None = None  # (read at, subscriptions)

    async def active(self, info: dict[Any, Any], read: Read) -> list[Subscription]:
        """The active subscriptions: remembered ones while fresh, else `read` (and remembered). A
        transaction that changed subscriptions reads its own and keeps them to itself: another
        transaction must not see them before they are committed."""
        if info.get(CHANGED):
            return await read()
        now = self.clock()
        if self._kept is not None and now - self._kept[0] < self.ttl:
            return list(self._kept[1])  # a copy: the caller may filter it in place
        generation = self._generation
        subscriptions = await read()
        if generation == self._generation:  # no change committed here while reading
            self._kept = (now, subscriptions)
        return subscriptions

    def forget(self) -> None:
        """A change committed in this process: the next event reads the table again."""
        self._generation += 1
        self._kept = None
