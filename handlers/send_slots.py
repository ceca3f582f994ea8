"""A bot's overall send rate kept by every process sending for it together, through the database
(storage/send_slots_sql.py): each send takes the bot's next slot, so the rate one process leaves
unused (it fell behind, or has nothing to send) goes to the others, where a fixed share per
process would be lost. GCRA: slots one interval apart, `burst` of them (less JITTER_SLOTS) at
once after a pause.

Slots are counted on the wall clock (`time.time`), which the processes on one host share and
NTP keeps within milliseconds across hosts."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from handlers.deps import Deps

# Slots of the burst kept back. A slot is taken on the sender's clock but counted by Telegram when
# the call arrives, and calls from several processes arrive a little out of step; with the whole
# burst spent, a call arriving a millisecond early meets a 429. Five slots absorb 1/6 s of such
# jitter, for 1/6 s more on a whole broadcast. They also cover slots taken but not yet sent on (at
# most two a process: the current one and the next, taken ahead by bot.channels.pacing), which
# matter only if Telegram's burst refilled meanwhile, i.e. every process stalled mid-send; a slot
# taken ahead and left unused for a second is dropped (pacing.STALE_SLOT).
JITTER_SLOTS = 5


def shared_overall(
    deps: Deps, bot: str, burst: float, per_second: float, clock: Callable[[], float] = time.time
) -> Callable[[], Awaitable[float]]:
    """For the pacer (bot.channels.pacing.Pacer.shared_overall): take the bot's next send slot,
    returning the seconds until it."""
    interval = 1.0 / per_second
    tolerance = max(burst - 1.0 - JITTER_SLOTS, 0.0) * interval

    async def take() -> float:
        async with deps.storage() as uow:
            after = await uow.send_slots.take(bot, clock(), interval)
            await uow.commit()
        return max(0.0, after - interval - tolerance - clock())

    return take
