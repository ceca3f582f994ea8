"""What happened to what was sent: the outbox sender reports each outcome here, in the
transaction that records it, and this keeps what later messages need to know.

- A message about a ticket: its platform ids, so that a reply to any piece of it finds the ticket,
  and, for a group post, so that later news rewrites it.
- A post that opened a forum topic: the topic, where the ticket's news then goes.
- A person who blocked the bot: noted, so that officers are told rather than left waiting.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.domain.outbox import DeliveryStatus, MessageKind, OutboxMessage
from storage.protocols import UnitOfWork


async def delivered(
    uow: UnitOfWork, message: OutboxMessage, platform_ids: Sequence[str], thread_id: str | None = None
) -> None:
    if message.ticket is None or message.kind is not MessageKind.REPLY:
        return
    for platform_id in platform_ids:
        await uow.sent.record(
            message.channel, message.chat_id, platform_id, message.ticket, is_post=message.post
        )
    if message.post and thread_id is not None and message.thread_id is None:
        await uow.sent.record_topic(message.channel, message.chat_id, message.ticket, thread_id)


async def refused(uow: UnitOfWork, message: OutboxMessage, status: DeliveryStatus, at: datetime) -> None:
    if status is DeliveryStatus.BLOCKED:  # a group's id matches no contact: nothing happens
        await uow.contacts.set_unreachable(message.channel, message.chat_id, at)
