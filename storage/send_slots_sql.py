"""A bot's overall send rate shared by the processes sending for it, as one row per bot: GCRA
(the generic cell rate algorithm), whose whole state is the theoretical arrival time of the next
send. Taking a slot is one upsert that moves it on by an interval; the row lock orders concurrent
takers. On SQLite and PostgreSQL alike (ON CONFLICT, RETURNING). The HTTP API's per-key rates
live in the same rows (bot.api.ratelimit), under names of their own."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# `next_at` is never behind the moment of asking: a bot idle for an hour does not bank an hour of
# sends (the burst allowance is the caller's tolerance, not credit)
_MOVE_ON = """
    INSERT INTO send_slots (bot, next_at)
    VALUES (:bot, CAST(:now AS double precision) + CAST(:interval AS double precision))
    ON CONFLICT (bot) DO UPDATE SET next_at =
        CASE WHEN send_slots.next_at > CAST(:now AS double precision) THEN send_slots.next_at
        ELSE CAST(:now AS double precision) END + CAST(:interval AS double precision)
"""
_TAKE = text(_MOVE_ON + " RETURNING next_at")
# The same row taken only when the slot lies within `tolerance` of now: a refused call takes nothing
# (an API client hammering a spent key does not push its own next turn further away). No row comes
# back when refused; the row is then read for how long to wait.
_TAKE_WITHIN = text(
    _MOVE_ON
    + " WHERE send_slots.next_at - CAST(:now AS double precision) <= CAST(:tolerance AS double precision)"
    + " RETURNING next_at"
)
_NEXT_AT = text("SELECT next_at FROM send_slots WHERE bot = :bot")


class SqlSendSlots:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def take(self, bot: str, now: float, interval: float) -> float:
        """Take the bot's next send slot; returns the theoretical arrival time after it (the slot
        itself is that less one interval)."""
        await self._relax_durability()
        result = await self._s.execute(_TAKE, {"bot": bot, "now": now, "interval": interval})
        return float(result.scalar_one())

    async def take_within(self, name: str, now: float, interval: float, tolerance: float) -> float:
        """Take the next slot of `name` if it is at most `tolerance` seconds ahead of `now` (GCRA
        with a burst of tolerance / interval + 1): 0.0 when taken, else the seconds until it would
        be, and nothing taken."""
        await self._relax_durability()
        parameters = {"bot": name, "now": now, "interval": interval, "tolerance": tolerance}
        if (await self._s.execute(_TAKE_WITHIN, parameters)).first() is not None:
            return 0.0
        next_at = float((await self._s.execute(_NEXT_AT, {"bot": name})).scalar_one())
        return max(next_at - tolerance - now, 0.0)

    async def _relax_durability(self) -> None:
        if self._s.get_bind().dialect.name == "postgresql":
            # a lost slot (a crash before the disk has it) costs nothing: no wait for the fsync
            await self._s.execute(text("SET LOCAL synchronous_commit = off"))
