"""A chat that became another: a Telegram group upgraded to a supergroup gets a new id, says so
in a service message in each (the old group's `migrate_to_chat_id`, the supergroup's
`migrate_from_chat_id`), and answers every send to the old id with the new one. Whichever signal
comes first moves the chat's id everywhere Xiaoer keeps it (storage/chat_moves_sql); the next is
a no-op. A message refused that way is sent again to the new id by the outbox sender."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.domain.messages import Inbound, Reply
from bot.domain.org import ChatMove
from handlers.deps import Deps
from handlers.roster.directory import refresh_directory
from storage.protocols import UnitOfWork

log = logging.getLogger(__name__)

ACTOR = "platform"  # who the audit log says moved a chat: the platform announced the move


async def follow(uow: UnitOfWork, channel: str, old: str, new: str, at: datetime) -> ChatMove:
    """Move the chat in the caller's transaction."""
    moved = await uow.chats.move(channel, old, new, ACTOR, at)
    if moved.known:
        log.warning(
            "%s chat %s moved to %s: departments %s, member-unit groups %s (merged %s), %s tickets, "
            "%s messages to send (%s already there)",
            channel,
            old,
            new,
            list(moved.departments),
            list(moved.groups),
            list(moved.merged),
            moved.tickets,
            moved.outbox,
            moved.cancelled,
        )
    return moved


async def loops(uow: UnitOfWork, channel: str, old: str, new: str) -> bool:
    """Following `old` to `new` would go round: `new` is `old`, or a chat already moved away."""
    return new == old or bool(await uow.org.changes("chat", f"{channel}:{new}"))


async def announced(inbound: Inbound, deps: Deps) -> list[Reply]:
    """The platform's announcement (`inbound.moved_to`): the chat moved; nobody is answered."""
    assert inbound.moved_to is not None
    async with deps.storage() as uow:
        moved = await follow(uow, inbound.sender.channel, inbound.chat_id, inbound.moved_to, deps.clock())
        await uow.commit()
    if moved.departments:
        await adopt(deps)
    return []


async def adopt(deps: Deps) -> None:
    """The departments' groups read again after a move: this process posts to the new id at once
    (the others when they notice the organisation's new version)."""
    await refresh_directory(deps)
