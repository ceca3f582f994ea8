"""Outbound webhooks: which audit events a subscriber hears of, what it is sent, how it is signed.

A subscriber registers a URL, a secret and the events it wants; every ticket event that maps to
one of those names (and every policy published) becomes an outbox row on the `webhook` channel,
written in the same transaction as the change, so the outbox's retries, in-doubt marking and
survival across restarts carry it. Each subscription is one "chat" of that channel: its deliveries
go in the order they were written (so in order per ticket), one at a time.

The signature is HMAC-SHA256, keyed by the subscription's secret, over `timestamp + "." + body`
(the timestamp is the X-Xiaoer-Timestamp header, Unix seconds): a receiver recomputes it from the
raw body, compares in constant time, and refuses timestamps far from its clock (replays).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.tickets import Action, Status, Ticket, TicketEvent

CHANNEL = "webhook"  # the outbox channel deliveries travel on

TICKET_EVENTS = (
    "ticket.opened",
    "ticket.dispatched",
    "ticket.signed",
    "ticket.replied",
    "ticket.resolved",
    "ticket.reopened",
    "ticket.closed",
    "ticket.overdue",
    "ticket.transferred",  # handed to an external platform: sent only to that platform's subscription
)
POLICY_EVENTS = ("policy.published",)
EVENTS = TICKET_EVENTS + POLICY_EVENTS

# An audit action that hands a ticket to an external platform (the API's transfer) is recorded
# with this prefix in its note: `external:<platform>`.
EXTERNAL_PREFIX = "external:"

_BY_ACTION = {
    Action.CREATE: "ticket.opened",
    Action.DISPATCH: "ticket.dispatched",
    Action.ASSIGN: "ticket.dispatched",
    Action.TRANSFER: "ticket.dispatched",
    Action.TAKE: "ticket.signed",
    Action.REPLY: "ticket.replied",
    Action.RESOLVE: "ticket.resolved",
}


def event_name(event: TicketEvent) -> str | None:
    """The webhook event an audit event is, if subscribers hear of it."""
    if event.action is Action.TRANSFER and event.note.startswith(EXTERNAL_PREFIX):
        return "ticket.transferred"
    if event.to_status is Status.CLOSED and event.from_status is not Status.CLOSED:
        return "ticket.closed"
    if event.to_status is Status.REOPENED and event.from_status is not Status.REOPENED:
        return "ticket.reopened"
    return _BY_ACTION.get(event.action)


def external_platform(event: TicketEvent) -> str | None:
    """The platform a transfer event hands the ticket to (only its subscription hears of it)."""
    if event.action is Action.TRANSFER and event.note.startswith(EXTERNAL_PREFIX):
        return event.note[len(EXTERNAL_PREFIX) :].split(" ", 1)[0]
    return None


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def ticket_snapshot(ticket: Ticket) -> dict[str, Any]:
    """What a subscriber (and the API) is told of a ticket."""
    return {
        "number": ticket.number,
        "status": ticket.status.value,
        "enterprise_id": ticket.enterprise_id,
        "category": ticket.category,
        "intent": ticket.intent,
        "urgent": ticket.urgent,
        "department_id": ticket.department_id,
        "assignee_id": ticket.assignee_id,
        "text": ticket.text,
        "lang": ticket.lang,
        "created_at": _iso(ticket.created_at),
        "updated_at": _iso(ticket.updated_at),
        "respond_by": _iso(ticket.respond_by),
        "resolve_by": _iso(ticket.resolve_by),
        "closed_at": _iso(ticket.closed_at),
        "closing_reason": ticket.closing_reason.value if ticket.closing_reason else None,
    }


def event_snapshot(event: TicketEvent) -> dict[str, Any]:
    return {
        "at": event.at.isoformat(),
        "actor": event.actor_id,
        "role": event.actor_role.value,
        "action": event.action.value,
        "from_status": event.from_status.value if event.from_status else None,
        "to_status": event.to_status.value,
        "note": event.note,
    }


def ticket_payload(name: str, event: TicketEvent, ticket: Ticket | None) -> dict[str, Any]:
    return {
        "event": name,
        "ticket_number": event.ticket_number,
        "ticket": ticket_snapshot(ticket) if ticket is not None else None,
        "change": event_snapshot(event),
    }


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int | None
    url: str
    secret: str
    events: tuple[str, ...]
    active: bool = True
    platform: str | None = None  # set: an external platform tickets can be transferred to
    created_at: datetime | None = None

    def wants(self, name: str) -> bool:
        if name == "ticket.transferred":
            return False  # only the platform the ticket is handed to, chosen by the caller
        return name in self.events or "*" in self.events


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Xiaoer-Signature header: `sha256=` and the hex HMAC of `timestamp.body`."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    return hmac.compare_digest(signature(secret, timestamp, body), header)
