"""What handlers said, turned into outbox messages: one per chat that each channel names for its
recipient, plus a rewrite of every group post of a ticket the replies touched.

Called inside the transaction that made the change (the conversation's, or a scheduled job's), so
the messages commit with it or not at all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from bot.domain.messages import Reply
from bot.domain.outbox import Addressing, MessageKind, Origin, OutboxMessage
from handlers.deps import Deps
from handlers.posts import current_post
from storage.protocols import UnitOfWork


async def messages_for(
    uow: UnitOfWork,
    replies: Sequence[Reply],
    addressings: Sequence[Addressing],
    origin: Origin | None,
    lang: str,
) -> list[OutboxMessage]:
    messages = []
    for reply in replies:
        for addressing in addressings:
            for address in addressing.addresses(reply.to, origin):
                message = OutboxMessage(
                    kind=MessageKind.REPLY,
                    channel=addressing.channel,
                    chat_id=address.chat_id,
                    thread_id=address.thread_id,
                    text=reply.text,
                    buttons=reply.buttons,
                    lang=lang,
                    ticket=reply.ticket,
                    post=reply.post,
                    attachment=reply.attachment,
                )
                messages.append(await _in_topic(uow, message) if address.topics else message)
    return messages


async def queue_replies(
    uow: UnitOfWork,
    deps: Deps,
    replies: Sequence[Reply],
    addressings: Sequence[Addressing],
    origin: Origin | None = None,
) -> int:
    """Queue the replies in `uow`'s transaction; returns how many messages that makes."""
    with uow.shared():
        messages = await messages_for(uow, replies, addressings, origin, deps.default_lang)
        messages += await _post_edits(uow, deps, replies, addressings)
    await uow.outbox.add(messages, deps.clock())
    return len(messages)


@dataclass
class Outgoing:
    """The way out for everything said: the channels' addressing, and a wake-up for the sender."""

    deps: Deps
    addressings: list[Addressing]
    on_queued: Callable[[], None] = lambda: None

    async def queue(self, uow: UnitOfWork, replies: Sequence[Reply], origin: Origin | None = None) -> int:
        return await queue_replies(uow, self.deps, replies, self.addressings, origin)

    async def say(self, replies: Sequence[Reply], origin: Origin | None = None) -> None:
        """Queue messages in a transaction of their own (they answer no change)."""
        async with self.deps.storage() as uow:
            await self.queue(uow, replies, origin)
            await uow.commit()
        self.on_queued()

    async def run(self, work: Callable[[], Awaitable[Sequence[Reply]]], origin: Origin | None = None) -> int:
        """Do a job's work and queue what it says in one transaction: a job that claims its work
        (the sweep's nudges, a digest's day) can never have claimed it and said nothing."""
        async with self.deps.storage() as uow:
            with uow.shared():
                replies = await work()
                count = await self.queue(uow, replies, origin)
            await uow.commit()
        if count:
            self.on_queued()
        return count


async def _in_topic(uow: UnitOfWork, message: OutboxMessage) -> OutboxMessage:
    """News of a ticket goes to the ticket's topic where its group keeps one (forum groups: only
    for those is the topic looked up, so the common case costs no query)."""
    if message.ticket is None or message.thread_id is not None or message.post:
        return message
    topic = await uow.sent.topic(message.channel, message.chat_id, message.ticket)
    if topic is None:
        return message
    return replace(message, thread_id=topic)


async def _post_edits(
    uow: UnitOfWork, deps: Deps, replies: Sequence[Reply], addressings: Sequence[Addressing]
) -> list[OutboxMessage]:
    """Each group post of a ticket these replies are news of, rewritten to how it stands now."""
    touched = sorted({r.ticket for r in replies if r.ticket is not None and not r.post})
    edits = []
    for number in touched:
        post = None
        for addressing in addressings:
            for chat_id, message_id in await uow.sent.posts(addressing.channel, number):
                post = post or await current_post(deps, number)
                if post is None:
                    break
                edits.append(
                    OutboxMessage(
                        kind=MessageKind.EDIT,
                        channel=addressing.channel,
                        chat_id=chat_id,
                        text=post.text,
                        buttons=post.buttons,
                        lang=deps.default_lang,
                        ticket=number,
                        edit_of=message_id,
                    )
                )
    return edits
