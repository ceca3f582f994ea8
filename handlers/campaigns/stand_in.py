"""A visit's demand for an enterprise that nobody has bound a chat for yet (roster-only contacts,
or none at all). A ticket needs a contact to answer, so it is opened under a stand-in contact on the
`visit` channel (bot.domain.enterprise.VISIT), which no channel delivers to: the officers work the
ticket as any other, and the officer who recorded the visit is told that nobody at the enterprise
could be informed.

When a person of the enterprise later binds a chat (an invite redeemed, a phone shared), the
stand-in's tickets that are still open pass to them (bot.domain.lifecycle.hand_over, audited) and
they are told what was opened for them and where each stands: an enterprise learns of the demands
recorded on its behalf, and from then on hears of them — replies, results, the survey — as of its
own. Closed ones are not brought up again; one whose survey is still unanswered is asked again."""

from __future__ import annotations

from bot.domain.enterprise import VISIT, Contact, Enterprise
from bot.domain.lifecycle import hand_over
from bot.domain.messages import Reply
from bot.domain.tickets import Action, Outcome, Status, Ticket
from bot.i18n import t
from handlers import render
from handlers.deps import Deps
from handlers.identity import contact_actor
from handlers.survey import resolution_question, satisfaction_question
from storage.protocols import UnitOfWork

HANDED_OVER = 50  # the stand-in's newest tickets read at a binding; a visit opens a few at most


def stand_in_identity(enterprise_id: str) -> str:
    return f"{VISIT}:{enterprise_id}"


async def stand_in(uow: UnitOfWork, enterprise: Enterprise, name: str, lang: str) -> Contact:
    """The enterprise's stand-in contact, made on its first visit demand."""
    found = await uow.contacts.by_identity(VISIT, stand_in_identity(enterprise.id))
    if found is not None:
        return found
    return await uow.contacts.add(
        Contact(
            id=None,
            channel=VISIT,
            external_id=stand_in_identity(enterprise.id),
            display_name=name[:200],
            lang=lang,
            enterprise_id=enterprise.id,
        )
    )


async def hand_over_visit_tickets(uow: UnitOfWork, deps: Deps, contact_id: int) -> list[Reply]:
    """In the binding's transaction, once the contact is bound: the open tickets of its enterprise's
    stand-in become its own, and it hears of them (nothing when there are none)."""
    contact = await uow.contacts.get(contact_id)
    if contact is None or contact.enterprise_id is None or not contact.is_chat:
        return []
    held = await uow.contacts.by_identity(VISIT, stand_in_identity(contact.enterprise_id))
    if held is None or held.id is None:
        return []
    tickets = [
        ticket
        for ticket in reversed(await uow.tickets.for_contact(held.id, HANDED_OVER))
        if ticket.status.is_open
    ]
    if not tickets:
        return []
    actor = contact_actor(contact)
    now = deps.clock()
    lines, surveys = [], []
    for ticket in tickets:
        change = hand_over(ticket, actor, contact, now)
        await uow.tickets.update(change.ticket)
        await uow.events.append(change.event)
        lines.append(render.ticket_line(change.ticket, contact.lang, deps))
        if (asked := await _survey_still_open(uow, deps, change.ticket)) is not None:
            surveys.append(asked)
    text = t(contact.lang, "visit.handed_over", count=len(tickets), tickets="\n".join(lines))
    return [Reply(text), *surveys]


async def _survey_still_open(uow: UnitOfWork, deps: Deps, ticket: Ticket) -> Reply | None:
    """A ticket answered while only the stand-in held it asked its survey of nobody: the person who
    now holds it is asked the question still open, the officer's result with it."""
    if ticket.status is not Status.SURVEY or ticket.number is None:
        return None
    lang = ticket.lang
    if ticket.resolution is None:
        events = await uow.events.for_ticket(ticket.number)
        answered = next((e for e in reversed(events) if e.action is Action.RESOLVE), None)
        if answered is None:
            return None
        return Reply(
            t(
                lang,
                f"enterprise.resolved_{(ticket.outcome or Outcome.RESOLVED).value}",
                ref=ticket.ref,
                officer=render.officer_name(answered.actor_id, lang, deps.directory),
                text=answered.note.partition(": ")[2],  # the audit keeps "outcome: text"
            ),
            buttons=resolution_question(ticket, lang),
            ticket=ticket.number,
        )
    if ticket.satisfaction is None:
        return Reply(
            t(lang, "survey.ask_satisfaction", ref=ticket.ref),
            buttons=satisfaction_question(ticket, lang),
            ticket=ticket.number,
        )
    return None
