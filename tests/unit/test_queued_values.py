"""A message queued is written as the message made pending and due at once: `queued_values`
gives the columns `outbox_values` gives for the message so replaced (it skips the replace)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.domain.messages import Attachment, Button
from bot.domain.outbox import DeliveryStatus, MessageKind, OutboxMessage
from storage.policy_mapping import outbox_values, queued_values

AT = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
EARLIER = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)

MESSAGES = [
    OutboxMessage(MessageKind.REPLY, "telegram", "42", "已收到", buttons=(Button("补充", "ent:info:7"),)),
    # what a replayed or copied message may carry: none of it survives being queued anew but these
    OutboxMessage(
        MessageKind.NOTICE,
        "wecom",
        "-100",
        "新工单",
        policy_id=3,
        status=DeliveryStatus.FAILED,
        attempts=2,
        next_attempt_at=EARLIER,
        created_at=EARLIER,
        sent_at=EARLIER,
        in_doubt=True,
        ticket=7,
        post=True,
        thread_id="9",
        attachment=Attachment("a.jpg", b"\xff\xd8", "photo"),
    ),
]


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: m.kind.value)
def test_queued_values_are_the_pending_messages_values(message: OutboxMessage) -> None:
    pending = replace(message, status=DeliveryStatus.PENDING, next_attempt_at=AT, created_at=AT)
    assert queued_values(message, AT) == outbox_values(pending)
