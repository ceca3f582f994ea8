"""Pacing sends to a platform's limits: token buckets per chat, per group and overall.

Telegram's documented limits are about one message per second in a chat (short bursts pass),
twenty per minute in a group, thirty per second overall. A bucket lets a burst through and then
makes later sends wait, instead of provoking 429s (which are still honoured when they come).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import ClassVar

# A shared slot taken ahead but left unused this long (the bot fell quiet) is dropped for a fresh
# one: the shared limit has refilled its burst meanwhile, and the old slot on top of it would be
# one send more than the burst allows.
STALE_SLOT = 1.0


def _retrieved(task: asyncio.Task[float]) -> None:
    """A slot taken ahead that nobody awaits (the sender stopped) has its failure noted here, not
    reported as never retrieved; one awaited raises it to the sender."""
    if not task.cancelled():
        task.exception()


def _usable(slot: asyncio.Task[float], now: float) -> bool:
    """A slot taken ahead may be used: it was taken, and not so long ago that it is stale."""
    return not slot.cancelled() and slot.exception() is None and slot.result() >= now - STALE_SLOT


@dataclass
class Bucket:
    capacity: float
    per_second: float
    tokens: float = 0.0  # below zero: sends already promised to future tokens
    stamp: float | None = None  # None: never used, so full

    def delay(self, now: float) -> float:
        """Seconds until a token is free, taking it (the caller waits that long)."""
        if self.stamp is None:
            self.tokens, self.stamp = self.capacity, now
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.per_second)
        self.stamp = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.per_second

    def is_full(self, now: float) -> bool:
        """Refilled to capacity by now: no different from a bucket never used."""
        return self.stamp is None or self.tokens + (now - self.stamp) * self.per_second >= self.capacity

    def wait_time(self, now: float) -> float:
        """Seconds until a token would be free, without taking one."""
        if self.stamp is None:
            return 0.0
        tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.per_second)
        return 0.0 if tokens >= 1 else (1 - tokens) / self.per_second


@dataclass
class Pacer:
    per_chat: tuple[float, float] = (3, 1.0)  # burst, then one a second
    per_group: tuple[float, float] = (20, 20 / 60)  # twenty a minute
    overall: tuple[float, float] = (30, 30.0)  # thirty a second
    clock: Callable[[], float] = time.monotonic
    # Buckets are forgotten once full again (they hold nothing then), when this many have gathered:
    # a bot that has written to a million chats keeps only those it wrote to in the last seconds.
    KEEP_IDLE: ClassVar[int] = 1024
    _buckets: dict[object, Bucket] = field(default_factory=dict)
    _prune_at: int = 2 * 1024
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # The overall limit kept with the other processes sending for the bot: takes the bot's next
    # send slot and says how many seconds until it (handlers/send_slots.py). None: kept here.
    shared_overall: Callable[[], Awaitable[float]] | None = None
    # The next shared slot, being taken while the current send is under way (see _shared_slot)
    _next_slot: asyncio.Task[float] | None = None

    @classmethod
    def shared_by(cls, senders: int) -> Pacer:
        """The pacer of one of `senders` processes sending for one bot, each keeping a fixed share
        of the bot's overall limit. (`xiaoer run` shares the whole limit through the database
        instead, `shared_overall`, so that a process falling behind leaves its share to the others.)
        The per-chat and per-group buckets stay whole: the outbox hands out a chat's messages one at
        a time, whichever process sends them, but two processes may each send to one group within a
        minute; a 429 that follows is waited out."""
        burst, rate = cls.overall
        return cls(overall=(max(burst / senders, 1.0), rate / senders))

    async def wait(self, chat_id: int, is_group: bool) -> float:
        """Wait until a message to that chat may go; returns how long it waited."""
        async with self._lock:
            now = self.clock()
            delays = [self._bucket(chat_id, self.per_chat).delay(now)]
            if self.shared_overall is None:
                delays.append(self._bucket("all", self.overall).delay(now))
            if is_group:
                delays.append(self._bucket(("group", chat_id), self.per_group).delay(now))
            pause = max(delays)
        if self.shared_overall is not None:
            # taken now whatever the chat's own wait, which is short (the outbox sender puts aside
            # a chat not ready within a quarter of a second): the longer of the two is waited
            pause = max(now + pause, await self._shared_slot()) - self.clock()
        if pause > 0:
            await asyncio.sleep(pause)
        return max(pause, 0.0)

    async def _shared_slot(self) -> float:
        """The moment (on self.clock) of this send's overall slot. The slot of the send after it is
        taken at once, in the background: its round trip to the database runs while this send
        waits and goes, not before the next one (a slow database would otherwise slow each
        process's own pace). So each process holds at most two slots not yet sent on, and leaves
        one unused when it stops; the slots kept back (handlers/send_slots.py) cover both."""
        taken, self._next_slot = self._next_slot, asyncio.create_task(self._take_slot())
        self._next_slot.add_done_callback(_retrieved)
        if taken is None or (taken.done() and not _usable(taken, self.clock())):
            return await self._take_slot()
        return await taken

    async def _take_slot(self) -> float:
        assert self.shared_overall is not None
        seconds = await self.shared_overall()
        return self.clock() + seconds

    def ready_in(self, chat_id: int, is_group: bool) -> float:
        """Seconds until a message to that chat could go, taking no turn (a bulk sender uses it to
        put a busy chat's message aside instead of waiting for it). A shared overall limit is not
        asked: its wait is a fraction of a second, and asking would take a slot."""
        now = self.clock()
        waits = [self._bucket(chat_id, self.per_chat).wait_time(now)]
        if self.shared_overall is None:
            waits.append(self._bucket("all", self.overall).wait_time(now))
        if is_group:
            waits.append(self._bucket(("group", chat_id), self.per_group).wait_time(now))
        return max(waits)

    def hold(self, chat_id: int, seconds: float) -> None:
        """Telegram said 429 for this chat: its next sends wait at least that long."""
        bucket = self._bucket(chat_id, self.per_chat)
        now = self.clock()
        bucket.delay(now)  # bring the bucket up to now, then empty it for `seconds`
        bucket.tokens = min(bucket.tokens, 0.0) - seconds * bucket.per_second

    def _bucket(self, key: object, limits: tuple[float, float]) -> Bucket:
        if key not in self._buckets:
            if len(self._buckets) >= self._prune_at:
                self._forget_full()
            self._buckets[key] = Bucket(*limits)
        return self._buckets[key]

    def _forget_full(self) -> None:
        now = self.clock()
        self._buckets = {key: bucket for key, bucket in self._buckets.items() if not bucket.is_full(now)}
        # many chats busy at once: prune again only when as many more have come (amortised cost)
        self._prune_at = max(2 * self.KEEP_IDLE, 2 * len(self._buckets))
