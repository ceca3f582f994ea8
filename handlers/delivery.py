"""What happened to what was sent: the outbox sender reports each outcome here, in the
transaction that records it, and this keeps what later messages need to know.

- A message about a ticket: its platform ids, so that a reply to any piece of it finds the ticket,
  and, for a group post, so that later news rewrites it.
- A post that opened a forum topic: the topic, where the ticket's news then goes.
- A person who blocked the bot: noted, so that officers are told rather than left waiting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.outbox import DeliveryStatus, MessageKind, OutboxMessage
from storage.protocols import SentRecord, UnitOfWork


@dataclass(frozen=True)
class Delivered:
    """A message the platform took: its ids there (every piece's), and the topic its send opened."""

    message: OutboxMessage
    platform_ids: Sequence[str]
    thread_id: str | None = None


async def delivered(
    uow: UnitOfWork, message: OutboxMessage, platform_ids: Sequence[str], thread_id: str | None = None
) -> None:
    await delivered_many(uow, [Delivered(message, platform_ids, thread_id)])


async def delivered_many(uow: UnitOfWork, sends: Sequence[Delivered]) -> None:
    """`delivered` for each (an outbox sender's round): their pieces recorded in one call."""
    about = [(send, send.message.ticket) for send in sends if send.message.kind is MessageKind.REPLY]
    records = [
        SentRecord(send.message.channel, send.message.chat_id, platform_id, ticket, send.message.post)
        for send, ticket in about
        if ticket is not None
        for platform_id in send.platform_ids
    ]
    if records:
        await uow.sent.record_many(records)
    for send, ticket in about:
        message = send.message
        if ticket is not None and message.post and send.thread_id is not None and message.thread_id is None:
            await uow.sent.record_topic(message.channel, message.chat_id, ticket, send.thread_id)


async def refused(uow: UnitOfWork, message: OutboxMessage, status: DeliveryStatus, at: datetime) -> None:
    if status is DeliveryStatus.BLOCKED:  # a group's id matches no contact: nothing happens
        await uow.contacts.set_unreachable(message.channel, message.chat_id, at)
