"""Messages waiting in the persistent outbox, one per recipient, and the rules for retrying them.

Everything the bot says goes this way: a handler's replies, a scheduler's nudges and digests,
edits of a ticket's group post, policy notices. Each is written in the same transaction as the
change that caused it, so a platform outage or a restart delays a message and never loses it.
A chat's messages go out in the order they were written (the sender never lets a later message
of a chat overtake an earlier one that is still waiting or being sent).

A message moves `pending → sending → sent`; a sender claims a few at a time (`sending`), notes the
moment it calls the platform (`attempted_at`), and records the outcome at once. Permanent refusals
end in `blocked` (the person blocked the bot) or `failed` (chat not found, a request the platform
rejects, too many transient failures); a withdrawn policy's undelivered messages end `cancelled`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from bot.domain.messages import Attachment, Button, Recipient, ToChat, ToOfficer, ToSender
from bot.domain.org import Directory


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self not in (DeliveryStatus.PENDING, DeliveryStatus.SENDING)


class MessageKind(StrEnum):
    NOTICE = "notice"  # a policy to a group or an enterprise's chat
    REMINDER = "reminder"  # a policy's deadline is near and the enterprise has not applied
    REPORT = "report"  # the delivery report to the officer who published from chat
    REPLY = "reply"  # anything a handler or a scheduled job says to a person or a group
    EDIT = "edit"  # a ticket's group post rewritten to how the ticket stands now
    WEBHOOK = "webhook"  # an event posted to a webhook subscriber (bot.domain.webhooks), JSON as text

    @property
    def priority(self) -> int:
        """Lower goes first: a conversation's answers never wait behind a broadcast of notices."""
        return 1 if self in (MessageKind.NOTICE, MessageKind.REMINDER) else 0


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    kind: MessageKind
    channel: str
    chat_id: str
    text: str
    buttons: tuple[Button, ...] = ()
    lang: str = "zh-CN"
    policy_id: int | None = None
    enterprise_id: str | None = None
    group_id: str | None = None
    id: int | None = None
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0  # calls to the platform that came to an end (a 429 is not counted)
    next_attempt_at: datetime | None = None
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    attempted_at: datetime | None = None  # set just before the platform is called
    message_id: str | None = None  # the platform's id of the sent message
    last_error: str | None = None
    sent_at: datetime | None = None
    # Sent again after an attempt whose outcome is unknown (the sender died during the call, or
    # the connection broke after the request left): the recipient may have it twice.
    in_doubt: bool = False
    created_at: datetime | None = None
    # What a reply carries besides its text (see bot.domain.messages.Reply):
    ticket: int | None = None  # the ticket it is about: a reply to the sent message finds it
    post: bool = False  # the ticket's post in an officer group (kept current by EDIT messages)
    thread_id: str | None = None  # a thread or forum topic within the chat
    edit_of: str | None = None  # EDIT: the platform's id of the message to rewrite
    attachment: Attachment | None = None


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an inbound came from: the chat a `ToSender` reply goes back to."""

    channel: str
    chat_id: str
    thread_id: str | None = None


@dataclass(frozen=True, slots=True)
class Address:
    """One chat on one channel that a reply is for."""

    chat_id: str
    thread_id: str | None = None
    topics: bool = False  # a forum group: each ticket's news goes to the ticket's own topic


class Addressing(Protocol):
    """How one channel reaches a recipient: its chats for an officer, a department, the sender.
    Each channel plug-in provides one; the outbox gets one message per chat it names."""

    @property
    def channel(self) -> str: ...

    def addresses(self, to: Recipient, origin: Origin | None) -> list[Address]: ...


def personal_addresses(
    channel: str, to: Recipient, origin: Origin | None, directory: Directory
) -> list[Address]:
    """A channel's chats for a recipient that is one person or one chat (the sender, a known
    chat, an officer); a department's chats are each channel's own rule."""
    match to:
        case ToSender():
            if origin is not None and origin.channel == channel:
                return [Address(origin.chat_id, origin.thread_id)]
        case ToChat(channel=chat_channel, chat_id=chat_id) if chat_channel == channel:
            return [Address(chat_id)]
        case ToOfficer(officer_id=officer_id):
            officer = directory.officers.get(officer_id)
            identity = officer.identities.get(channel) if officer else None
            return [Address(str(identity))] if identity else []
    return []


FIRST_BACKOFF = timedelta(seconds=2)
LONGEST_BACKOFF = timedelta(minutes=10)
# A platform outage delays a message, it does not lose it: transient failures are retried for a
# day (an outage longer than that is an incident for people, and the message is recorded failed).
RETRY_FOR = timedelta(days=1)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th transient failure: doubling, capped."""
    return min(FIRST_BACKOFF * (1 << min(max(attempts - 1, 0), 20)), LONGEST_BACKOFF)


def _attempts_within(span: timedelta) -> int:
    waited, attempts = timedelta(0), 0
    while waited < span:
        attempts += 1
        waited += backoff(attempts)
    return attempts


MAX_ATTEMPTS = _attempts_within(RETRY_FOR)  # transient failures before a message is given up
