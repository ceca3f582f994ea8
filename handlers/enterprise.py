"""What an enterprise sees of its own tickets."""

from __future__ import annotations

from bot.domain.messages import Actor, Reply
from bot.domain.tickets import Ticket
from bot.i18n import t
from handlers import render
from handlers.changes import load_ticket
from handlers.deps import Deps


async def status(actor: Actor, deps: Deps, number: int | None = None) -> list[Reply]:
    lang = actor.lang
    if number is not None:
        ticket = await load_ticket(deps, actor, number)
        return [Reply(await _card_with_last_answer(ticket, actor, deps))]
    async with deps.storage() as uow:
        if actor.enterprise_id is not None:
            tickets = await uow.tickets.for_enterprise(actor.enterprise_id)
        else:
            assert actor.contact_id is not None
            tickets = await uow.tickets.for_contact(actor.contact_id)
    if not tickets:
        return [Reply(t(lang, "mystatus.none"))]
    lines = [render.ticket_line(ticket, lang, deps) for ticket in tickets]
    return [Reply(t(lang, "mystatus.list", count=len(tickets), lines="\n".join(lines)))]


async def _card_with_last_answer(ticket: Ticket, actor: Actor, deps: Deps) -> str:
    """The enterprise sees the officer's latest message with the facts: nothing sent is lost
    even when a notification was missed."""
    lang = actor.lang
    async with deps.storage() as uow:
        events = await uow.events.for_ticket(ticket.number or 0)
    card = render.ticket_card(ticket, lang, deps, for_enterprise=not actor.is_staff)
    answers = [e for e in events if e.action.value in ("reply", "ask", "resolve")]
    if answers:
        last = answers[-1]
        card += "\n" + t(
            lang,
            "mystatus.last_answer",
            officer=render.officer_name(last.actor_id, lang, deps.directory),
            at=render.when(last.at, lang, deps),
            text=last.note.partition(": ")[2] if last.action.value == "resolve" else last.note,
        )
    return card
