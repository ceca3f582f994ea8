"""A bot's overall send rate shared by the processes sending for it, as one row per bot: GCRA
(the generic cell rate algorithm), whose whole state is the theoretical arrival time of the next
send. Taking a slot is one upsert that moves it on by an interval; the row lock orders concurrent
takers. On SQLite and PostgreSQL alike (ON CONFLICT, RETURNING)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# `next_at` is never behind the moment of asking: a bot idle for an hour does not bank an hour of
# sends (the burst allowance is the caller's tolerance, not credit)
_TAKE = text(
    """
    INSERT INTO send_slots (bot, next_at)
    VALUES (:bot, CAST(:now AS double precision) + CAST(:interval AS double precision))
    ON CONFLICT (bot) DO UPDATE SET next_at =
        CASE WHEN send_slots.next_at > CAST(:now AS double precision) THEN send_slots.next_at
        ELSE CAST(:now AS double precision) END + CAST(:interval AS double precision)
    RETURNING next_at
    """
)


class SqlSendSlots:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def take(self, bot: str, now: float, interval: float) -> float:
        """Take the bot's next send slot; returns the theoretical arrival time after it (the slot
        itself is that less one interval)."""
        if self._s.get_bind().dialect.name == "postgresql":
            # a lost slot (a crash before the disk has it) costs nothing: no wait for the fsync
            await self._s.execute(text("SET LOCAL synchronous_commit = off"))
        result = await self._s.execute(_TAKE, {"bot": bot, "now": now, "interval": interval})
        return float(result.scalar_one())
