"""What officers do from their chats: see their queue, take, reply, resolve, read the history."""

from __future__ import annotations

from bot.domain.messages import Actor, Reply, ToChat
from bot.domain.tickets import Ticket, reply, resolve, take
from bot.i18n import t
from handlers import render
from handlers.changes import change_ticket, load_ticket
from handlers.deps import Deps
from handlers.enterprise import survey_buttons


async def my_queue(actor: Actor, deps: Deps) -> list[Reply]:
    assert actor.officer_id is not None
    assert actor.department_id is not None
    async with deps.storage() as uow:
        tickets = await uow.tickets.queue(actor.officer_id, actor.department_id)
    if not tickets:
        return [Reply(t(actor.lang, "officer.queue_empty"))]
    lines = [render.ticket_line(ticket, actor.lang, deps) for ticket in tickets]
    return [Reply(t(actor.lang, "officer.queue", count=len(tickets), lines="\n".join(lines)))]


async def take_ticket(actor: Actor, deps: Deps, number: int) -> list[Reply]:
    change = await change_ticket(deps, actor, number, lambda ticket: take(ticket, actor, deps.clock()))
    ticket = change.ticket
    return [
        Reply(
            t(
                actor.lang,
                "officer.taken",
                ref=ticket.ref,
                respond_by=render.when(ticket.respond_by, actor.lang, deps),
            )
            + "\n"
            + render.ticket_card(ticket, actor.lang, deps)
        ),
        _to_enterprise(
            ticket,
            t(
                ticket.lang,
                "enterprise.taken",
                ref=ticket.ref,
                officer=actor.display_name,
                department=render.department_name(ticket.department_id, ticket.lang, deps.directory),
            ),
        ),
    ]


async def reply_to_enterprise(actor: Actor, deps: Deps, number: int, text: str) -> list[Reply]:
    change = await change_ticket(deps, actor, number, lambda ticket: reply(ticket, actor, text, deps.clock()))
    ticket = change.ticket
    return [
        Reply(t(actor.lang, "officer.reply_sent", ref=ticket.ref)),
        _to_enterprise(
            ticket,
            t(
                ticket.lang,
                "enterprise.reply",
                ref=ticket.ref,
                officer=actor.display_name,
                text=change.event.note,
            ),
        ),
    ]


async def resolve_ticket(actor: Actor, deps: Deps, number: int, note: str) -> list[Reply]:
    change = await change_ticket(
        deps, actor, number, lambda ticket: resolve(ticket, actor, note, deps.clock())
    )
    ticket = change.ticket
    return [
        Reply(t(actor.lang, "officer.resolved", ref=ticket.ref)),
        Reply(
            t(
                ticket.lang,
                "enterprise.resolved",
                ref=ticket.ref,
                officer=actor.display_name,
                text=change.event.note,
            ),
            to=ToChat(ticket.channel, ticket.chat_id),
            buttons=survey_buttons(ticket, ticket.lang),
        ),
    ]


async def history(actor: Actor, deps: Deps, number: int) -> list[Reply]:
    ticket = await load_ticket(deps, actor, number)
    async with deps.storage() as uow:
        events = await uow.events.for_ticket(number)
        contact = await uow.contacts.get(ticket.contact_id)
    names = {f"contact:{contact.id}": contact.display_name} if contact is not None else {}
    lines = [render.event_line(event, actor.lang, deps, names) for event in events]
    return [Reply(t(actor.lang, "history.title", ref=ticket.ref) + "\n" + "\n".join(lines))]


def _to_enterprise(ticket: Ticket, text: str) -> Reply:
    return Reply(text, to=ToChat(ticket.channel, ticket.chat_id))
