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
from bisect import bisect_right, insort
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
        self._stamps: dict[Hashable, list[float]] = {}  # sorted send times per key
        self._lock = asyncio.Lock()

    async def wait(self, *limits: Limit) -> float:
        """Wait until one more send fits under every limit (key, windows); returns the wait.

        The first limit is the recipient's own: its sends keep their order (first come, first
        served). The others are shared (an app's per-minute total): a send only needs room in
        them, so one recipient waiting for its own window never holds up sends to anyone else."""
        async with self._lock:
            now = self.clock()
            at = self._earliest(now, limits)
            for key, _ in limits:
                insort(self._stamps.setdefault(key, []), at)
        pause = at - now
        if pause > 0:
            await self.sleep(pause)
        return pause

    def ready_in(self, *limits: Limit) -> float:
        """Seconds until one more send would fit under every limit (taking no place)."""
        now = self.clock()
        return self._earliest(now, limits) - now

    def _earliest(self, now: float, limits: Sequence[Limit]) -> float:
        at = now
        for index, (key, windows) in enumerate(limits):
            stamps = self._stamps.setdefault(key, [])
            longest = max((w.seconds for w in windows), default=0.0)
            del stamps[: bisect_right(stamps, now - longest)]  # gone out of every window
            if index == 0 and stamps:
                at = max(at, stamps[-1])  # the recipient's sends keep their order
        moved = True
        while moved:  # push `at` until every window ending at it has room
            moved = False
            for key, windows in limits:
                stamps = self._stamps[key]
                for window in windows:
                    first = bisect_right(stamps, at - window.seconds)
                    last = bisect_right(stamps, at)
                    if last - first >= window.count:
                        at = stamps[last - window.count] + window.seconds
                        moved = True
        return at

    def forget(self, key: Hashable) -> None:
        self._stamps.pop(key, None)
