"""Who may do what with a ticket. One place, so that refusals and queues agree."""

from __future__ import annotations

from collections.abc import Collection

from bot.domain.messages import Actor, Role
from bot.domain.policies import Policy
from bot.domain.tickets import Ticket


def is_owner(actor: Actor, ticket: Ticket) -> bool:
    """The enterprise's people own its tickets; an unverified contact owns only its own."""
    if actor.is_staff:
        return False
    if ticket.enterprise_id is not None:
        return actor.enterprise_id == ticket.enterprise_id
    return actor.contact_id == ticket.contact_id


def leads(actor: Actor, department_id: str | None) -> bool:
    """The head or dispatcher of that department."""
    return actor.role in (Role.HEAD, Role.DISPATCHER) and actor.department_id == department_id


def may_take(actor: Actor, ticket: Ticket) -> bool:
    """Admins anywhere; the assignee; the department's head or dispatcher; any officer of the
    department when nobody is assigned yet. Never someone who may not see the ticket."""
    if not actor.is_staff or (ticket.confidential and not may_view(actor, ticket)):
        return False
    if actor.role is Role.ADMIN or leads(actor, ticket.department_id):
        return True
    if ticket.assignee_id is not None:
        return ticket.assignee_id == actor.officer_id
    return actor.department_id == ticket.department_id


def may_handle(actor: Actor, ticket: Ticket) -> bool:
    """Who may answer the enterprise: the assignee, the department's head or dispatcher, admins."""
    if not actor.is_staff or (ticket.confidential and not may_view(actor, ticket)):
        return False
    if actor.role is Role.ADMIN or leads(actor, ticket.department_id):
        return True
    return ticket.assignee_id is not None and ticket.assignee_id == actor.officer_id


def may_manage(actor: Actor, ticket: Ticket) -> bool:
    """Assign, approve extensions: the department's head or dispatcher, admins."""
    if ticket.confidential and not may_view(actor, ticket):
        return False
    return actor.is_staff and (actor.role is Role.ADMIN or leads(actor, ticket.department_id))


def may_dispatch(actor: Actor, ticket: Ticket) -> bool:
    """Re-dispatch a returned ticket: dispatchers, admins, the head of its last department."""
    return actor.is_staff and (
        actor.role in (Role.DISPATCHER, Role.ADMIN) or leads(actor, ticket.department_id)
    )


def may_view(actor: Actor, ticket: Ticket) -> bool:
    """Staff of the handling or co-handling departments; a confidential ticket only its assignee,
    heads of its department and admins. Enterprises: their own."""
    if not actor.is_staff:
        return is_owner(actor, ticket)
    if actor.role is Role.ADMIN or actor.officer_id == ticket.assignee_id:
        return True
    if ticket.confidential:
        return actor.role is Role.HEAD and actor.department_id == ticket.department_id
    return actor.department_id == ticket.department_id or actor.department_id in ticket.co_departments


def may_see_reports(actor: Actor, leaders: Collection[str] = ()) -> bool:
    """The district's figures: heads, dispatchers, admins, and the configured leaders."""
    if not actor.is_staff:
        return False
    return actor.role in (Role.HEAD, Role.DISPATCHER, Role.ADMIN) or actor.officer_id in leaders


def may_publish(actor: Actor) -> bool:
    """Publish policies in the name of one's department: heads, dispatchers, admins."""
    return actor.role in (Role.HEAD, Role.DISPATCHER, Role.ADMIN)


def may_manage_policy(actor: Actor, policy: Policy) -> bool:
    """Publish, discard or withdraw that policy: whoever drafted it, the issuing department's head
    or dispatcher, admins."""
    if not actor.is_staff:
        return False
    return (
        actor.role is Role.ADMIN
        or actor.officer_id == policy.created_by
        or leads(actor, policy.department_id)
    )


def sees_every_department(actor: Actor, leaders: Collection[str] = ()) -> bool:
    """The centre-wide view (/open, /find over every department, the binding report): those who
    see the district's figures. Other officers see their own department's tickets."""
    return may_see_reports(actor, leaders)
