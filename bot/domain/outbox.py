"""Messages waiting in the persistent outbox, one per recipient, and the rules for retrying them.

A message moves `pending → sending → sent`; a sender claims a few at a time (`sending`), notes the
moment it calls the platform (`attempted_at`), and records the outcome at once. Permanent refusals
end in `blocked` (the person blocked the bot) or `failed` (chat not found, a request the platform
rejects, too many transient failures); a withdrawn policy's undelivered messages end `cancelled`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.messages import Button


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


MAX_ATTEMPTS = 8  # transient failures before a message is given up as failed
FIRST_BACKOFF = timedelta(seconds=2)
LONGEST_BACKOFF = timedelta(minutes=10)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th transient failure: doubling, capped."""
    return min(FIRST_BACKOFF * (1 << min(max(attempts - 1, 0), 20)), LONGEST_BACKOFF)
