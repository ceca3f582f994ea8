"""Demand tickets and their lifecycle.

Every state change goes through one function here that checks who acts and from which status,
and returns the new ticket together with the audit event that records it. The allowed moves live
in one table (`_MOVES`), so the full closed loop can extend it without touching the handlers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from bot.domain.errors import AlreadyTaken, EmptyText, IllegalTransition, NotAllowed
from bot.domain.messages import Actor, Role
from bot.domain.routing import Routing
from bot.domain.sla import Deadlines


class Status(StrEnum):
    ACCEPTED = "accepted"
    DISPATCHED = "dispatched"
    IN_PROGRESS = "in_progress"
    REPLIED = "replied"
    CLOSED = "closed"

    @property
    def is_open(self) -> bool:
        return self is not Status.CLOSED


class Action(StrEnum):
    CREATE = "create"
    DISPATCH = "dispatch"
    TAKE = "take"
    REPLY = "reply"
    RESOLVE = "resolve"
    CONFIRM = "confirm"
    REJECT_RESOLUTION = "reject_resolution"
    URGE = "urge"
    WITHDRAW = "withdraw"
    FEEDBACK = "feedback"


class ClosingReason(StrEnum):
    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"


_OPEN = frozenset(s for s in Status if s.is_open)


# action -> (statuses it applies to, status it leads to; None keeps the status)
_MOVES: dict[Action, tuple[frozenset[Status], Status | None]] = {
    Action.DISPATCH: (frozenset({Status.ACCEPTED}), Status.DISPATCHED),
    Action.TAKE: (frozenset({Status.DISPATCHED}), Status.IN_PROGRESS),
    Action.REPLY: (frozenset({Status.IN_PROGRESS}), None),
    Action.RESOLVE: (frozenset({Status.IN_PROGRESS}), Status.REPLIED),
    Action.CONFIRM: (frozenset({Status.REPLIED}), Status.CLOSED),
    Action.REJECT_RESOLUTION: (frozenset({Status.REPLIED}), Status.IN_PROGRESS),
    Action.URGE: (_OPEN, None),
    Action.WITHDRAW: (_OPEN, Status.CLOSED),
    Action.FEEDBACK: (frozenset(Status), None),
}


@dataclass(frozen=True, slots=True)
class Ticket:
    number: int | None  # public number, shown as #N; assigned by storage
    enterprise_id: str | None
    contact_id: int
    channel: str
    chat_id: str
    text: str
    lang: str
    intent: str
    category: str | None
    urgent: bool
    status: Status
    department_id: str | None
    assignee_id: str | None
    respond_by: datetime
    resolve_by: datetime
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    closing_reason: ClosingReason | None = None
    version: int = 0  # optimistic concurrency: storage refuses a stale write

    @property
    def ref(self) -> str:
        return f"#{self.number}"


@dataclass(frozen=True, slots=True)
class TicketEvent:
    """One line of the append-only audit log."""

    ticket_number: int | None
    at: datetime
    actor_id: str
    actor_role: Role
    action: Action
    from_status: Status | None
    to_status: Status
    note: str = ""


@dataclass(frozen=True, slots=True)
class Change:
    ticket: Ticket
    event: TicketEvent


def open_ticket(
    *,
    actor: Actor,
    contact_id: int,
    channel: str,
    chat_id: str,
    text: str,
    intent: str,
    category: str | None,
    urgent: bool,
    deadlines: Deadlines,
    at: datetime,
) -> Change:
    if not text.strip():
        raise EmptyText()
    ticket = Ticket(
        number=None,
        enterprise_id=actor.enterprise_id,
        contact_id=contact_id,
        channel=channel,
        chat_id=chat_id,
        text=text,
        lang=actor.lang,
        intent=intent,
        category=category,
        urgent=urgent,
        status=Status.ACCEPTED,
        department_id=None,
        assignee_id=None,
        respond_by=deadlines.respond_by,
        resolve_by=deadlines.resolve_by,
        created_at=at,
        updated_at=at,
    )
    return Change(ticket, _event(ticket, actor, Action.CREATE, None, Status.ACCEPTED, at, ""))


def dispatch(ticket: Ticket, routing: Routing, actor: Actor, at: datetime) -> Change:
    _require_staff(actor)
    note = f"{routing.department_id}/{routing.assignee_id}" if routing.assignee_id else routing.department_id
    return _move(
        ticket,
        actor,
        Action.DISPATCH,
        at,
        note,
        department_id=routing.department_id,
        assignee_id=routing.assignee_id,
    )


def take(ticket: Ticket, actor: Actor, at: datetime) -> Change:
    """An officer signs for a ticket and starts work on it."""
    if not may_take(actor, ticket):
        assigned_elsewhere = ticket.assignee_id is not None and ticket.assignee_id != actor.officer_id
        if actor.is_staff and assigned_elsewhere and actor.department_id == ticket.department_id:
            raise AlreadyTaken(ticket=ticket.ref, officer=ticket.assignee_id)
        raise NotAllowed(action=Action.TAKE.value, ticket=ticket.ref)
    if ticket.status is Status.IN_PROGRESS and ticket.assignee_id != actor.officer_id:
        raise AlreadyTaken(ticket=ticket.ref, officer=ticket.assignee_id)
    return _move(ticket, actor, Action.TAKE, at, "", assignee_id=actor.officer_id)


def reply(ticket: Ticket, actor: Actor, text: str, at: datetime) -> Change:
    """A message from the handling officer to the enterprise; the ticket stays in progress."""
    _require_handler(actor, ticket, Action.REPLY)
    if not text.strip():
        raise EmptyText()
    return _move(ticket, actor, Action.REPLY, at, text.strip())


def resolve(ticket: Ticket, actor: Actor, note: str, at: datetime) -> Change:
    """The officer's answer; the enterprise is then asked whether it really is resolved."""
    _require_handler(actor, ticket, Action.RESOLVE)
    if not note.strip():
        raise EmptyText()
    return _move(ticket, actor, Action.RESOLVE, at, note.strip())


def confirm_resolved(ticket: Ticket, actor: Actor, at: datetime) -> Change:
    _require_owner(actor, ticket, Action.CONFIRM)
    return _move(
        ticket,
        actor,
        Action.CONFIRM,
        at,
        "",
        closed_at=at,
        closing_reason=ClosingReason.RESOLVED,
    )


def reject_resolution(ticket: Ticket, actor: Actor, reason: str, at: datetime) -> Change:
    """The enterprise says it is not resolved: the ticket goes back to the same officer."""
    _require_owner(actor, ticket, Action.REJECT_RESOLUTION)
    return _move(ticket, actor, Action.REJECT_RESOLUTION, at, reason.strip())


def urge(ticket: Ticket, actor: Actor, text: str, at: datetime) -> Change:
    """The enterprise presses for faster handling; recorded, the status stays."""
    _require_owner(actor, ticket, Action.URGE)
    return _move(ticket, actor, Action.URGE, at, text.strip())


def withdraw(ticket: Ticket, actor: Actor, text: str, at: datetime) -> Change:
    """The enterprise takes its demand back; the ticket closes as withdrawn."""
    _require_owner(actor, ticket, Action.WITHDRAW)
    return _move(
        ticket, actor, Action.WITHDRAW, at, text.strip(), closed_at=at, closing_reason=ClosingReason.WITHDRAWN
    )


def give_feedback(ticket: Ticket, actor: Actor, text: str, at: datetime) -> Change:
    """Thanks or a complaint about how a ticket was handled, kept in its audit log."""
    _require_owner(actor, ticket, Action.FEEDBACK)
    return _move(ticket, actor, Action.FEEDBACK, at, text.strip())


def is_owner(actor: Actor, ticket: Ticket) -> bool:
    """The enterprise's people own its tickets; an unverified contact owns only its own."""
    if actor.is_staff:
        return False
    if ticket.enterprise_id is not None:
        return actor.enterprise_id == ticket.enterprise_id
    return actor.contact_id == ticket.contact_id


def may_take(actor: Actor, ticket: Ticket) -> bool:
    """Admins anywhere; the assignee; the department's head or dispatcher; any officer of the
    department when nobody is assigned yet."""
    if not actor.is_staff:
        return False
    if actor.role is Role.ADMIN:
        return True
    if ticket.assignee_id is not None:
        if ticket.assignee_id == actor.officer_id:
            return True
        return _leads_department(actor, ticket)
    return actor.department_id == ticket.department_id


def may_handle(actor: Actor, ticket: Ticket) -> bool:
    """Who may answer the enterprise: the assignee, the department's head or dispatcher, admins."""
    if not actor.is_staff:
        return False
    if actor.role is Role.ADMIN:
        return True
    if ticket.assignee_id is not None and ticket.assignee_id == actor.officer_id:
        return True
    return _leads_department(actor, ticket)


def may_view(actor: Actor, ticket: Ticket) -> bool:
    if actor.is_staff:
        return (
            actor.role is Role.ADMIN
            or actor.department_id == ticket.department_id
            or actor.officer_id == ticket.assignee_id
        )
    return is_owner(actor, ticket)


def _leads_department(actor: Actor, ticket: Ticket) -> bool:
    return actor.role in (Role.HEAD, Role.DISPATCHER) and actor.department_id == ticket.department_id


def _require_staff(actor: Actor) -> None:
    if not actor.is_staff:
        raise NotAllowed(action=Action.DISPATCH.value, ticket="")


def _require_handler(actor: Actor, ticket: Ticket, action: Action) -> None:
    if not may_handle(actor, ticket):
        raise NotAllowed(action=action.value, ticket=ticket.ref)


def _require_owner(actor: Actor, ticket: Ticket, action: Action) -> None:
    if not is_owner(actor, ticket):
        raise NotAllowed(action=action.value, ticket=ticket.ref)


def _move(ticket: Ticket, actor: Actor, action: Action, at: datetime, note: str, **changes: object) -> Change:
    allowed_from, to = _MOVES[action]
    if ticket.status not in allowed_from:
        raise IllegalTransition(action=action.value, ticket=ticket.ref, status=ticket.status.value)
    new_status = to if to is not None else ticket.status
    updated = replace(ticket, status=new_status, updated_at=at, **changes)  # type: ignore[arg-type]
    return Change(updated, _event(ticket, actor, action, ticket.status, new_status, at, note))


def _event(
    ticket: Ticket,
    actor: Actor,
    action: Action,
    from_status: Status | None,
    to: Status,
    at: datetime,
    note: str,
) -> TicketEvent:
    return TicketEvent(
        ticket_number=ticket.number,
        at=at,
        actor_id=actor.audit_id,
        actor_role=actor.role,
        action=action,
        from_status=from_status,
        to_status=to,
        note=note,
    )
