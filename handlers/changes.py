"""Applying one domain transition to a stored ticket: read, check, write, audit, in one unit."""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.errors import NotAllowed, NotFound
from bot.domain.messages import Actor
from bot.domain.tickets import Change, Ticket, is_owner, may_view
from handlers.deps import Deps


async def change_ticket(
    deps: Deps, actor: Actor, number: int, transition: Callable[[Ticket], Change]
) -> Change:
    """Run `transition` on ticket `number` and store the result with its audit event.

    An enterprise never learns whether another company's ticket exists: it gets "not found".
    Staff get the domain's own refusal, which says why.
    """
    async with deps.storage() as uow:
        ticket = await uow.tickets.get(number)
        if ticket is None or (not actor.is_staff and not is_owner(actor, ticket)):
            raise NotFound(ticket=f"#{number}")
        change = transition(ticket)
        stored = await uow.tickets.update(change.ticket)
        await uow.events.append(change.event)
        await uow.commit()
    return Change(stored, change.event)


async def load_ticket(deps: Deps, actor: Actor, number: int) -> Ticket:
    """A ticket the actor may look at: their enterprise's, or their department's or own case."""
    async with deps.storage() as uow:
        ticket = await uow.tickets.get(number)
    if ticket is None or (not actor.is_staff and not is_owner(actor, ticket)):
        raise NotFound(ticket=f"#{number}")
    if not may_view(actor, ticket):
        raise NotAllowed(action="view", ticket=ticket.ref)
    return ticket
