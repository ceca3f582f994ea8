"""Applying domain transitions to a stored ticket: read, check, write, audit, in one unit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from bot.domain.errors import NotAllowed, NotFound
from bot.domain.messages import Actor
from bot.domain.permissions import is_owner, may_view
from bot.domain.tickets import Change, Ticket
from handlers.deps import Deps


async def change_ticket(
    deps: Deps, actor: Actor, number: int, transition: Callable[[Ticket], Change | list[Change]]
) -> Change:
    """Run `transition` on ticket `number` and store the result with its audit events.

    A transition may be several steps that belong together (resolve, then start the survey):
    they are stored as one write with one event each, or not at all. An enterprise never learns
    whether another company's ticket exists: it gets "not found". Staff get the domain's own
    refusal, which says why.
    """
    async with deps.storage() as uow:
        ticket = await uow.tickets.get(number)
        if ticket is None or (not actor.is_staff and not is_owner(actor, ticket)):
            raise NotFound(ticket=f"#{number}")
        result = transition(ticket)
        changes = result if isinstance(result, list) else [result]
        final = changes[-1]
        stored = await uow.tickets.update(replace(final.ticket, version=ticket.version))
        for change in changes:
            await uow.events.append(change.event)
        await uow.commit()
    return Change(stored, final.event)


async def load_ticket(deps: Deps, actor: Actor, number: int) -> Ticket:
    """A ticket the actor may look at: their enterprise's, or their department's or own case."""
    async with deps.storage() as uow:
        ticket = await uow.tickets.get(number)
    if ticket is None or (not actor.is_staff and not is_owner(actor, ticket)):
        raise NotFound(ticket=f"#{number}")
    if not may_view(actor, ticket):
        raise NotAllowed(action="view", ticket=ticket.ref)
    return ticket
