"""What `xiaoer run` tidies on its own: the hashes of expired links and sessions (which sign no one
in any more) are deleted a day after they expire, so the tables do not grow without end."""

from __future__ import annotations

from bot.domain.retention import EXPIRED_KEPT
from handlers.deps import Deps


async def forget_expired_secrets(deps: Deps) -> int:
    """How many expired links and sessions were deleted. Safe to run in several processes at once:
    each deletes what is there to delete."""
    async with deps.storage() as uow:
        gone = await uow.retention.forget_expired(deps.clock() - EXPIRED_KEPT)
        await uow.commit()
    return gone
