"""Send limits as sliding windows: at most `count` sends in any `seconds`, per key.

Platforms state their limits as "N a minute" per recipient (WeCom: 20 a minute for each group
robot, 30 a minute for each member of an app), and count them over a rolling window, so a token
bucket's burst-then-refill could still overshoot. Here a send waits until every window it falls
under has room, and takes its place at once, so that concurrent senders queue in order instead of
all waking at the same moment. The clock and the sleep are parameters: tests run minutes of
platform time in an instant, with the fake platform counting on the same clock.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    count: int
    seconds: float


Limit = tuple[Hashable, Sequence[Window]]


class SendLimits:
    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self._stamps: dict[Hashable, deque[float]] = {}
        self._lock = asyncio.Lock()

    async def wait(self, *limits: Limit) -> float:
        """Wait until one more send fits under every limit (key, windows); returns the wait."""
        async with self._lock:
            now = self.clock()
            at = now
            for key, windows in limits:
                stamps = self._stamps.setdefault(key, deque())
                longest = max((w.seconds for w in windows), default=0.0)
                while stamps and stamps[0] <= now - longest:
                    stamps.popleft()
                if stamps:
                    at = max(at, stamps[-1])  # first come, first served under each key
                for window in windows:
                    if len(stamps) >= window.count:
                        at = max(at, stamps[-window.count] + window.seconds)
            for key, _ in limits:
                self._stamps[key].append(at)
        pause = at - now
        if pause > 0:
            await self.sleep(pause)
        return pause

    def ready_in(self, *limits: Limit) -> float:
        """Seconds until one more send would fit under every limit (taking no place)."""
        now = self.clock()
        at = now
        for key, windows in limits:
            stamps = [
                s
                for s in self._stamps.get(key, ())
                if s > now - max((w.seconds for w in windows), default=0.0)
            ]
            if stamps:
                at = max(at, stamps[-1])
            for window in windows:
                if len(stamps) >= window.count:
                    at = max(at, stamps[-window.count] + window.seconds)
        return at - now

    def forget(self, key: Hashable) -> None:
        self._stamps.pop(key, None)
