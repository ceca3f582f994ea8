"""Each API key's rate: `rate` calls a minute on average, bursts of up to `rate`, kept in the
database (storage/send_slots_sql.py, GCRA) so that every `xiaoer run` process serving the API
counts against one allowance. A limit kept in each process's memory would let a client behind a
load balancer make its rate once per process."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from handlers.deps import Deps


def slot_name(key: str) -> str:
    """The key's row among the send slots: fixed length whatever the key's name (up to 64
    characters, the column's width too), and apart from the bots' own rows."""
    return "api:" + hashlib.sha256(key.encode()).hexdigest()[:32]


@dataclass
class RateLimiter:
    deps: Deps
    # the wall clock, which processes on one host share (a monotonic clock is per process)
    now: Callable[[], float] = time.time

    async def take(self, key: str, per_minute: int) -> float:
        """Take a turn for the key: 0 if it may go now, else the seconds until it may."""
        if per_minute <= 0:
            return 60.0
        interval = 60.0 / per_minute
        async with self.deps.storage() as uow:
            wait = await uow.send_slots.take_within(
                slot_name(key), self.now(), interval, (per_minute - 1) * interval
            )
            await uow.commit()
        return wait
