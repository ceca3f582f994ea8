"""Policy, group, outbox and response rows to domain objects and back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from bot.domain.messages import Attachment, Button
from bot.domain.outbox import DeliveryStatus, MessageKind, OutboxMessage
from bot.domain.policies import (
    DraftStep,
    MemberGroup,
    Policy,
    PolicyResponse,
    PolicyStatus,
    ResponseKind,
    Tags,
)
from storage.tables import MemberGroupRow, PolicyResponseRow, PolicyRow


def policy_from_row(row: PolicyRow) -> Policy:
    return Policy(
        id=row.id,
        title=row.title,
        body=row.body,
        department_id=row.department_id,
        created_by=row.created_by,
        created_at=row.created_at,
        category=row.category,
        eligibility=Tags.of(row.eligibility),
        effective_from=row.effective_from,
        effective_until=row.effective_until,
        deadline=row.deadline,
        links=tuple(row.links),
        how_to_apply=row.how_to_apply,
        status=PolicyStatus(row.status),
        published_at=row.published_at,
        withdrawn_at=row.withdrawn_at,
        published_via=row.published_via,
        draft_step=DraftStep(row.draft_step) if row.draft_step else None,
    )


def policy_values(policy: Policy) -> dict[str, Any]:
    """Column values of a policy, without its id."""
    return {
        "title": policy.title,
        "body": policy.body,
        "department_id": policy.department_id,
        "category": policy.category,
        "eligibility": policy.eligibility.as_dict(),
        "effective_from": policy.effective_from,
        "effective_until": policy.effective_until,
        "deadline": policy.deadline,
        "links": list(policy.links),
        "how_to_apply": policy.how_to_apply,
        "status": policy.status.value,
        "created_by": policy.created_by,
        "created_at": policy.created_at,
        "published_at": policy.published_at,
        "withdrawn_at": policy.withdrawn_at,
        "published_via": policy.published_via,
        "draft_step": policy.draft_step.value if policy.draft_step else None,
    }


def group_from_row(row: MemberGroupRow) -> MemberGroup:
    return MemberGroup(
        id=row.id,
        name=row.name,
        channel=row.channel,
        chat_id=row.chat_id,
        lang=row.lang,
        tags=Tags.of(row.tags),
    )


def group_row(group: MemberGroup) -> MemberGroupRow:
    return MemberGroupRow(
        id=group.id,
        name=group.name,
        channel=group.channel,
        chat_id=group.chat_id,
        lang=group.lang,
        tags=group.tags.as_dict(),
        active=True,
    )


def queued_values(message: OutboxMessage, at: datetime) -> dict[str, Any]:
    """Column values of a message queued at `at`: pending, due at once. The same as
    `outbox_values` of the message so replaced, without `dataclasses.replace`, which takes 11 us on
    an outbox message's thirty fields (three a new demand, on the intake's hot path)."""
    return {
        **outbox_values(message),
        "status": DeliveryStatus.PENDING.value,
        "next_attempt_at": at,
        "created_at": at,
    }


def outbox_values(message: OutboxMessage) -> dict[str, Any]:
    """Column values of a new outbox message (storage owns the id)."""
    return {
        "kind": message.kind.value,
        "policy_id": message.policy_id,
        "channel": message.channel,
        "chat_id": message.chat_id,
        "enterprise_id": message.enterprise_id,
        "group_id": message.group_id,
        "lang": message.lang,
        "text": message.text,
        "buttons": [[b.label, b.payload] for b in message.buttons],
        "status": message.status.value,
        "attempts": message.attempts,
        "next_attempt_at": message.next_attempt_at,
        "claimed_by": message.claimed_by,
        "claimed_at": message.claimed_at,
        "attempted_at": message.attempted_at,
        "message_id": message.message_id,
        "last_error": message.last_error,
        "sent_at": message.sent_at,
        "in_doubt": message.in_doubt,
        "created_at": message.created_at,
        "priority": message.kind.priority,
        "ticket": message.ticket,
        "post": message.post,
        "thread_id": message.thread_id,
        "edit_of": message.edit_of,
        "more_ids": [],
        **_attachment_values(message.attachment),
    }


def _attachment_values(attachment: Attachment | None) -> dict[str, Any]:
    if attachment is None:
        return {"attachment_name": None, "attachment_kind": None, "attachment": None}
    return {
        "attachment_name": attachment.name,
        "attachment_kind": attachment.kind,
        "attachment": attachment.data,
    }


def outbox_from_values(row: Mapping[Any, Any]) -> OutboxMessage:
    """From a row's columns (an ORM row's `__dict__`, or a RETURNING row's mapping)."""
    return OutboxMessage(
        id=row["id"],
        kind=MessageKind(row["kind"]),
        policy_id=row["policy_id"],
        channel=row["channel"],
        chat_id=row["chat_id"],
        enterprise_id=row["enterprise_id"],
        group_id=row["group_id"],
        lang=row["lang"],
        text=row["text"],
        buttons=tuple(Button(label, payload) for label, payload in row["buttons"]),
        status=DeliveryStatus(row["status"]),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        claimed_by=row["claimed_by"],
        claimed_at=row["claimed_at"],
        attempted_at=row["attempted_at"],
        message_id=row["message_id"],
        last_error=row["last_error"],
        sent_at=row["sent_at"],
        in_doubt=bool(row["in_doubt"]),
        created_at=row["created_at"],
        ticket=row["ticket"],
        post=bool(row["post"]),
        thread_id=row["thread_id"],
        edit_of=row["edit_of"],
        attachment=(
            Attachment(
                row["attachment_name"] or "file", row["attachment"], row["attachment_kind"] or "document"
            )
            if row["attachment"] is not None
            else None
        ),
    )


def response_from_row(row: PolicyResponseRow | Row[Any]) -> PolicyResponse:
    return PolicyResponse(
        policy_id=row.policy_id,
        kind=ResponseKind(row.kind),
        key=row.key,
        contact_id=row.contact_id,
        enterprise_id=row.enterprise_id,
        at=row.at,
        ticket_number=row.ticket_number,
    )
