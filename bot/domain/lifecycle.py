"""The closed loop: one function per transition.

Each checks who acts (permissions) and from which status (`MOVES`), and returns the new ticket
with the one audit event that records it; a refusal raises a DomainError that says why, and
changes nothing. `MOVES` is the whole state machine in one table.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TypedDict

from bot.domain.enterprise import VISIT, Contact
from bot.domain.errors import AlreadyTaken, EmptyText, IllegalTransition, NoExtensionPending, NotAllowed
from bot.domain.messages import Actor, Role
from bot.domain.permissions import is_owner, may_dispatch, may_handle, may_manage, may_take, may_view
from bot.domain.routing import Routing
from bot.domain.sla import Deadlines, SlaPolicy
from bot.domain.tickets import (
    Action,
    Change,
    ClosingReason,
    Outcome,
    Resolution,
    Satisfaction,
    Status,
    Ticket,
    TicketEvent,
)

S = Status
WORKING = frozenset({S.SIGNED, S.IN_PROGRESS, S.REOPENED})
HELD = frozenset({S.DISPATCHED, S.SIGNED, S.IN_PROGRESS, S.WAITING_ENTERPRISE, S.REOPENED})

# action -> (statuses it applies to, the status it leads to; None keeps the status, and a few
# transitions choose their target themselves where the table says None)
MOVES: dict[Action, tuple[frozenset[Status], Status | None]] = {
    Action.DISPATCH: (frozenset({S.ACCEPTED, S.RETURNED}), S.DISPATCHED),
    Action.ASSIGN: (frozenset({S.DISPATCHED}), None),
    Action.TAKE: (frozenset({S.DISPATCHED, S.REOPENED}), S.SIGNED),
    Action.REPLY: (WORKING, S.IN_PROGRESS),
    Action.ASK: (WORKING, S.WAITING_ENTERPRISE),
    Action.INFO: (S.OPEN, None),  # waiting_enterprise -> in_progress; else unchanged
    Action.NOTE: (frozenset(Status), None),
    Action.TRANSFER: (HELD, S.DISPATCHED),
    Action.CO_HANDLE: (S.OPEN, None),
    Action.RETURN: (frozenset({S.DISPATCHED, S.SIGNED, S.IN_PROGRESS}), S.RETURNED),
    Action.REQUEST_EXTENSION: (HELD - {S.DISPATCHED}, S.EXTENSION),
    Action.APPROVE_EXTENSION: (frozenset({S.EXTENSION}), None),  # back where it was
    Action.REJECT_EXTENSION: (frozenset({S.EXTENSION}), None),
    Action.RESOLVE: (WORKING | {S.WAITING_ENTERPRISE}, S.REPLIED),
    Action.START_SURVEY: (frozenset({S.REPLIED}), S.SURVEY),
    Action.ANSWER_RESOLUTION: (frozenset({S.SURVEY}), None),  # not resolved -> reopened
    Action.ANSWER_SATISFACTION: (frozenset({S.SURVEY}), None),  # -> closed, or reopened
    Action.CLOSE_UNRATED: (frozenset({S.SURVEY}), S.CLOSED),
    Action.COMMENT: (frozenset(Status), None),
    Action.URGE: (S.OPEN, None),
    Action.WITHDRAW: (S.OPEN, S.CLOSED),
    Action.MERGE: (S.OPEN, S.CLOSED),
    Action.FEEDBACK: (frozenset(Status), None),
    Action.CONFIDENTIAL: (frozenset(Status), None),
    Action.CLUSTER: (S.OPEN, None),
    Action.HAND_OVER: (S.OPEN, None),
}


def applies(action: Action, status: Status) -> bool:
    """Whether the state machine lets the action apply to a ticket in that status, whoever acts."""
    return status in MOVES[action][0]


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
        status=S.ACCEPTED,
        department_id=None,
        assignee_id=None,
        respond_by=deadlines.respond_by,
        resolve_by=deadlines.resolve_by,
        sign_by=deadlines.sign_by,
        created_at=at,
        updated_at=at,
    )
    return Change(ticket, _event(ticket, actor, Action.CREATE, None, S.ACCEPTED, at, ""))


# --- dispatching ------------------------------------------------------------------------------


def dispatch(ticket: Ticket, routing: Routing, actor: Actor, at: datetime) -> Change:
    if ticket.status is S.RETURNED and not may_dispatch(actor, ticket):
        raise NotAllowed(action=Action.DISPATCH.value, ticket=ticket.ref)
    if not actor.is_staff:
        raise NotAllowed(action=Action.DISPATCH.value, ticket=ticket.ref)
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


def assign(ticket: Ticket, actor: Actor, officer_id: str, officer_department: str, at: datetime) -> Change:
    """The department's head or dispatcher gives a queued ticket to one of its officers."""
    _require(may_manage(actor, ticket), Action.ASSIGN, ticket)
    if officer_department != ticket.department_id:
        raise NotAllowed(action="assign_elsewhere", ticket=ticket.ref)
    return _move(ticket, actor, Action.ASSIGN, at, officer_id, assignee_id=officer_id)


def take(ticket: Ticket, actor: Actor, at: datetime) -> Change:
    """An officer signs for a ticket (签收)."""
    if not may_take(actor, ticket):
        if actor.is_staff and ticket.confidential and not may_view(actor, ticket):
            raise NotAllowed(action="confidential_ticket", ticket=ticket.ref)
        assigned_elsewhere = ticket.assignee_id is not None and ticket.assignee_id != actor.officer_id
        if actor.is_staff and assigned_elsewhere and actor.department_id == ticket.department_id:
            raise AlreadyTaken(ticket=ticket.ref, officer=ticket.assignee_id)
        raise NotAllowed(action=Action.TAKE.value, ticket=ticket.ref)
    return _move(
        ticket, actor, Action.TAKE, at, "", assignee_id=actor.officer_id, signed_at=ticket.signed_at or at
    )


class _ClockMoves(TypedDict, total=False):
    paused_at: datetime | None
    resolve_by: datetime


def _clock_running(ticket: Ticket, at: datetime, sla: SlaPolicy | None) -> _ClockMoves:
    """Leaving "waiting for the enterprise" other than by its answer (a transfer, a return): the
    resolution clock runs again, its deadline moved on by the working time it stood."""
    if ticket.paused_at is None or sla is None:
        return {}
    return {"paused_at": None, "resolve_by": sla.resumed(ticket.resolve_by, ticket.paused_at, at)}


def transfer(
    ticket: Ticket, actor: Actor, department_id: str, reason: str, at: datetime, sla: SlaPolicy | None = None
) -> Change:
    """To another department, with the reason; it queues there unassigned."""
    _require(may_handle(actor, ticket), Action.TRANSFER, ticket)
    _text(reason)
    return _move(
        ticket,
        actor,
        Action.TRANSFER,
        at,
        f"{department_id}: {reason.strip()}",
        department_id=department_id,
        assignee_id=None,
        co_departments=tuple(d for d in ticket.co_departments if d != department_id),
        **_clock_running(ticket, at, sla),
    )


def hand_to_platform(ticket: Ticket, actor: Actor, platform: str, reason: str, at: datetime) -> Change:
    """To an external platform (a city's enterprise-service platform, another hotline) that works
    it from now on and answers through the API: a kind of routing, recorded as a transfer whose
    note names the platform (`external:<name> <reason>`). The ticket is in progress there."""
    _require(may_handle(actor, ticket), Action.TRANSFER, ticket)
    _text(reason)
    return _move(
        ticket,
        actor,
        Action.TRANSFER,
        at,
        f"external:{platform} {reason.strip()}",
        to=S.IN_PROGRESS,
        assignee_id=None,
    )


def add_co_handler(ticket: Ticket, actor: Actor, department_id: str, at: datetime) -> Change:
    _require(may_handle(actor, ticket), Action.CO_HANDLE, ticket)
    if department_id == ticket.department_id or department_id in ticket.co_departments:
        raise NotAllowed(action="co_handle_again", ticket=ticket.ref)
    return _move(
        ticket,
        actor,
        Action.CO_HANDLE,
        at,
        department_id,
        co_departments=(*ticket.co_departments, department_id),
    )


def return_ticket(
    ticket: Ticket, actor: Actor, reason: str, at: datetime, sla: SlaPolicy | None = None
) -> Change:
    """Back to dispatch with the reason (wrong department, not a government matter, ...)."""
    _require(may_take(actor, ticket) or may_handle(actor, ticket), Action.RETURN, ticket)
    _text(reason)
    return _move(
        ticket, actor, Action.RETURN, at, reason.strip(), assignee_id=None, **_clock_running(ticket, at, sla)
    )


# --- working ----------------------------------------------------------------------------------


def reply(ticket: Ticket, actor: Actor, text: str, at: datetime) -> Change:
    """A message from the handling officer to the enterprise."""
    _require(may_handle(actor, ticket), Action.REPLY, ticket)
    _text(text)
    return _move(
        ticket, actor, Action.REPLY, at, text.strip(), first_contact_at=ticket.first_contact_at or at
    )


def ask_information(ticket: Ticket, actor: Actor, question: str, at: datetime) -> Change:
    """Ask the enterprise for something; the resolution clock stops until it answers."""
    _require(may_handle(actor, ticket), Action.ASK, ticket)
    _text(question)
    return _move(
        ticket,
        actor,
        Action.ASK,
        at,
        question.strip(),
        paused_at=at,
        first_contact_at=ticket.first_contact_at or at,
    )


def provide_information(ticket: Ticket, actor: Actor, text: str, at: datetime, sla: SlaPolicy) -> Change:
    """The enterprise adds information; an answer to a question restarts the clock, and the
    deadline moves on by the working time it stood."""
    _require(is_owner(actor, ticket), Action.INFO, ticket)
    _text(text)
    resumed = sla.resumed(ticket.resolve_by, ticket.paused_at, at) if ticket.paused_at else ticket.resolve_by
    if ticket.status is S.WAITING_ENTERPRISE:
        return _move(
            ticket,
            actor,
            Action.INFO,
            at,
            text.strip(),
            to=S.IN_PROGRESS,
            paused_at=None,
            resolve_by=resumed,
        )
    if ticket.status is S.EXTENSION and ticket.resume_status is S.WAITING_ENTERPRISE:
        # the answer came while the head decides on more time: the ticket goes on from there
        return _move(
            ticket,
            actor,
            Action.INFO,
            at,
            text.strip(),
            resume_status=S.IN_PROGRESS,
            paused_at=None,
            resolve_by=resumed,
        )
    return _move(ticket, actor, Action.INFO, at, text.strip())


def add_note(ticket: Ticket, actor: Actor, text: str, at: datetime) -> Change:
    """An internal note: officers see it in the history, the enterprise never does."""
    _require(actor.is_staff and may_view(actor, ticket), Action.NOTE, ticket)
    _text(text)
    return _move(ticket, actor, Action.NOTE, at, text.strip())


def request_extension(ticket: Ticket, actor: Actor, days: int, reason: str, at: datetime) -> Change:
    _require(may_handle(actor, ticket), Action.REQUEST_EXTENSION, ticket)
    _text(reason)
    if days < 1:
        raise EmptyText()
    return _move(
        ticket,
        actor,
        Action.REQUEST_EXTENSION,
        at,
        f"+{days}d: {reason.strip()}",
        resume_status=ticket.status,
        extension_days=days,
    )


def approve_extension(ticket: Ticket, actor: Actor, at: datetime, sla: SlaPolicy) -> Change:
    """The resolution deadline moves by the days asked for, in working days."""
    _decider(actor, ticket, Action.APPROVE_EXTENSION)
    days = ticket.extension_days or 0
    return _move(
        ticket,
        actor,
        Action.APPROVE_EXTENSION,
        at,
        f"+{days}d",
        to=ticket.resume_status or S.IN_PROGRESS,
        resolve_by=sla.extended(ticket.resolve_by, days),
        resume_status=None,
        extension_days=None,
    )


def reject_extension(ticket: Ticket, actor: Actor, reason: str, at: datetime) -> Change:
    _decider(actor, ticket, Action.REJECT_EXTENSION)
    _text(reason)
    return _move(
        ticket,
        actor,
        Action.REJECT_EXTENSION,
        at,
        reason.strip(),
        to=ticket.resume_status or S.IN_PROGRESS,
        resume_status=None,
        extension_days=None,
    )


def resolve(ticket: Ticket, actor: Actor, outcome: Outcome, note: str, at: datetime) -> Change:
    """The officer's answer with its outcome; the enterprise is then surveyed."""
    _require(may_handle(actor, ticket), Action.RESOLVE, ticket)
    _text(note)
    return _move(
        ticket,
        actor,
        Action.RESOLVE,
        at,
        f"{outcome.value}: {note.strip()}",
        outcome=outcome,
        paused_at=None,
        first_contact_at=ticket.first_contact_at or at,
    )


# --- the enterprise's verdict -------------------------------------------------------------------


def start_survey(ticket: Ticket, actor: Actor, at: datetime) -> Change:
    _require(actor.is_staff, Action.START_SURVEY, ticket)
    return _move(ticket, actor, Action.START_SURVEY, at, "", resolution=None, satisfaction=None)


def _fresh_deadline(ticket: Ticket, at: datetime, sla: SlaPolicy | None) -> _ClockMoves:
    """A reopened ticket is worked again: it gets its kind's full resolution time from now, so it
    is not overdue (and escalated) the moment it comes back."""
    if sla is None:
        return {}
    limits = sla.limits(category=ticket.category, intent=ticket.intent, urgent=ticket.urgent)
    return {"resolve_by": sla.calendar.add_working_days(at, limits.resolve_days)}


def answer_resolution(
    ticket: Ticket,
    actor: Actor,
    answer: Resolution,
    comment: str,
    at: datetime,
    sla: SlaPolicy | None = None,
) -> Change:
    """Resolved? "Not resolved" reopens the ticket at once, back to the same officer."""
    _require(is_owner(actor, ticket), Action.ANSWER_RESOLUTION, ticket)
    if ticket.resolution is not None:
        raise IllegalTransition(
            action=Action.ANSWER_RESOLUTION.value, ticket=ticket.ref, status=ticket.status.value
        )
    note = answer.value + (f": {comment.strip()}" if comment.strip() else "")
    if answer is Resolution.NOT_RESOLVED:
        return _move(
            ticket,
            actor,
            Action.ANSWER_RESOLUTION,
            at,
            note,
            to=S.REOPENED,
            resolution=None,
            **_fresh_deadline(ticket, at, sla),
        )
    return _move(ticket, actor, Action.ANSWER_RESOLUTION, at, note, resolution=answer)


def answer_satisfaction(
    ticket: Ticket,
    actor: Actor,
    answer: Satisfaction,
    comment: str,
    at: datetime,
    sla: SlaPolicy | None = None,
) -> Change:
    """Satisfied? Closes the ticket, or, if dissatisfied, reopens it with the reason."""
    _require(is_owner(actor, ticket), Action.ANSWER_SATISFACTION, ticket)
    if ticket.resolution is None:
        raise IllegalTransition(
            action=Action.ANSWER_SATISFACTION.value, ticket=ticket.ref, status=ticket.status.value
        )
    note = answer.value + (f": {comment.strip()}" if comment.strip() else "")
    if answer is Satisfaction.DISSATISFIED:
        return _move(
            ticket,
            actor,
            Action.ANSWER_SATISFACTION,
            at,
            note,
            to=S.REOPENED,
            satisfaction=answer,
            **_fresh_deadline(ticket, at, sla),
        )
    reason = (
        ClosingReason.RESOLVED if ticket.resolution is Resolution.RESOLVED else ClosingReason.PARTLY_RESOLVED
    )
    if ticket.outcome in (Outcome.NO_FURTHER_ACTION, Outcome.NOT_OUR_RESPONSIBILITY):
        reason = ClosingReason(ticket.outcome.value)
    return _move(
        ticket,
        actor,
        Action.ANSWER_SATISFACTION,
        at,
        note,
        to=S.CLOSED,
        satisfaction=answer,
        closed_at=at,
        closing_reason=reason,
    )


def close_unrated(ticket: Ticket, actor: Actor, at: datetime) -> Change:
    """The survey window passed without an answer: closed as the officer reported, not rated."""
    _require(actor.is_staff, Action.CLOSE_UNRATED, ticket)
    reason = ClosingReason((ticket.outcome or Outcome.RESOLVED).value)
    return _move(
        ticket,
        actor,
        Action.CLOSE_UNRATED,
        at,
        "not rated",
        closed_at=at,
        closing_reason=reason,
        resolution=None,
        satisfaction=None,
    )


def comment(ticket: Ticket, actor: Actor, text: str, at: datetime) -> Change:
    _require(is_owner(actor, ticket), Action.COMMENT, ticket)
    _text(text)
    return _move(ticket, actor, Action.COMMENT, at, text.strip())


def urge(ticket: Ticket, actor: Actor, text: str, at: datetime) -> Change:
    """The enterprise presses for faster handling: recorded, counted; the ticket becomes urgent."""
    _require(is_owner(actor, ticket), Action.URGE, ticket)
    return _move(ticket, actor, Action.URGE, at, text.strip(), urge_count=ticket.urge_count + 1, urgent=True)


def withdraw(ticket: Ticket, actor: Actor, text: str, at: datetime) -> Change:
    """The enterprise takes its demand back; the ticket stays, closed as withdrawn."""
    _require(is_owner(actor, ticket), Action.WITHDRAW, ticket)
    return _move(
        ticket, actor, Action.WITHDRAW, at, text.strip(), closed_at=at, closing_reason=ClosingReason.WITHDRAWN
    )


def merge_into(ticket: Ticket, kept: Ticket, actor: Actor, at: datetime) -> Change:
    """A duplicate closes, linked to the ticket that is kept (same enterprise, still open)."""
    _require(may_handle(actor, ticket), Action.MERGE, ticket)
    if kept.number == ticket.number or kept.enterprise_id != ticket.enterprise_id or not kept.status.is_open:
        raise NotAllowed(action="merge_into", ticket=kept.ref)
    return _move(
        ticket,
        actor,
        Action.MERGE,
        at,
        kept.ref,
        closed_at=at,
        closing_reason=ClosingReason.DUPLICATE,
        duplicate_of=kept.number,
    )


def give_feedback(ticket: Ticket, actor: Actor, text: str, at: datetime) -> Change:
    """Thanks or a complaint about how a ticket was handled, kept in its audit log."""
    _require(is_owner(actor, ticket), Action.FEEDBACK, ticket)
    return _move(ticket, actor, Action.FEEDBACK, at, text.strip())


def set_confidential(ticket: Ticket, actor: Actor, confidential: bool, at: datetime) -> Change:
    _require(may_handle(actor, ticket), Action.CONFIDENTIAL, ticket)
    return _move(
        ticket, actor, Action.CONFIDENTIAL, at, "on" if confidential else "off", confidential=confidential
    )


def join_cluster(ticket: Ticket, actor: Actor, lead: int, at: datetime) -> Change:
    """Several enterprises, one problem: handled together under the lead ticket's number."""
    _require(may_handle(actor, ticket) or may_dispatch(actor, ticket), Action.CLUSTER, ticket)
    return _move(ticket, actor, Action.CLUSTER, at, f"#{lead}", cluster_of=lead)


def hand_over(ticket: Ticket, actor: Actor, contact: Contact, at: datetime) -> Change:
    """A ticket opened during a visit for an enterprise nobody had bound (its contact the visit's
    stand-in) passes to the person of that enterprise who binds a chat: from then on what happens
    to it reaches them, in their language. `actor` is that person."""
    _require(
        ticket.channel == VISIT
        and contact.is_chat
        and contact.enterprise_id == ticket.enterprise_id
        and actor.contact_id == contact.id
        and is_owner(actor, ticket),
        Action.HAND_OVER,
        ticket,
    )
    return _move(
        ticket,
        actor,
        Action.HAND_OVER,
        at,
        f"{contact.channel}:{contact.external_id}",
        contact_id=contact.id,
        channel=contact.channel,
        chat_id=contact.external_id,
        lang=contact.lang,
    )


# --- the machinery ------------------------------------------------------------------------------


def _decider(actor: Actor, ticket: Ticket, action: Action) -> None:
    """Heads decide others' extensions; their own go to an admin. With no request pending there
    is nothing to decide (and nobody is told that an admin will decide)."""
    involved = actor.officer_id == ticket.assignee_id or may_manage(actor, ticket)
    if ticket.status is not S.EXTENSION and involved:
        raise NoExtensionPending(ticket=ticket.ref)
    if actor.officer_id == ticket.assignee_id and actor.role is not Role.ADMIN:
        raise NotAllowed(action="own_extension", ticket=ticket.ref)
    _require(may_manage(actor, ticket), action, ticket)


def _require(allowed: bool, action: Action, ticket: Ticket) -> None:
    if not allowed:
        raise NotAllowed(action=action.value, ticket=ticket.ref)


def _text(text: str) -> None:
    if not text.strip():
        raise EmptyText()


def _move(
    ticket: Ticket,
    actor: Actor,
    action: Action,
    at: datetime,
    note: str,
    to: Status | None = None,
    **changes: object,
) -> Change:
    allowed_from, table_to = MOVES[action]
    if ticket.status not in allowed_from:
        raise IllegalTransition(action=action.value, ticket=ticket.ref, status=ticket.status.value)
    new_status = to or table_to or ticket.status
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
