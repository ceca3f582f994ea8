"""What a visit brought back. A demand becomes a ticket on the enterprise's behalf, routed like any
other (the liaison officer, else the lead department), its bound contacts told that it was opened
for them; an opinion or suggestion, or a project plan, is kept as a campaign note, no ticket.

A ticket needs a contact to answer: the enterprise's first bound chat, or, when nobody of the
enterprise has bound one (roster-only contacts, or none), its stand-in
(handlers/campaigns/stand_in.py): the ticket is routed all the same, and the officer is told that
nobody at the enterprise could be informed, and how to invite them."""

from __future__ import annotations

import re
from dataclasses import replace

from bot.domain.campaigns import ItemKind, Visit, VisitItem
from bot.domain.enterprise import ROSTER, Contact, Enterprise
from bot.domain.lifecycle import dispatch, open_ticket
from bot.domain.messages import SYSTEM_ACTOR, Actor, Reply, ToChat, ToOfficer
from bot.domain.routing import Routing, route_demand
from bot.domain.sla import deadlines_for
from bot.domain.tickets import Ticket
from bot.i18n import t
from handlers import render
from handlers.campaigns.stand_in import stand_in
from handlers.deps import Deps
from handlers.intake import routed_notices
from storage.protocols import UnitOfWork

# How an officer may mark an item's kind at the start of the message: 诉求：… / 意见 … / plan: …
_KINDS = {
    "诉求": ItemKind.DEMAND,
    "需求": ItemKind.DEMAND,
    "困难": ItemKind.DEMAND,
    "demand": ItemKind.DEMAND,
    "意见": ItemKind.OPINION,
    "建议": ItemKind.OPINION,
    "opinion": ItemKind.OPINION,
    "suggestion": ItemKind.OPINION,
    "项目": ItemKind.PLAN,
    "计划": ItemKind.PLAN,
    "plan": ItemKind.PLAN,
    "project": ItemKind.PLAN,
}
_MARKED = re.compile(
    r"^\s*(?P<kind>"
    + "|".join(sorted(map(re.escape, _KINDS), key=len, reverse=True))
    + r")\s*[:：,，、\s]\s*",
    re.IGNORECASE,
)


def marked_item(text: str) -> tuple[ItemKind, str] | None:
    """`诉求：…` → (demand, "…"); None when the text names no kind."""
    match = _MARKED.match(text)
    if match is None or not text[match.end() :].strip():
        return None
    return _KINDS[match.group("kind").lower()], text[match.end() :].strip()


async def add_item(actor: Actor, deps: Deps, visit: Visit, kind: ItemKind, text: str) -> list[Reply]:
    """Record one item of the visit; a demand opens its ticket in the same transaction."""
    assert visit.id is not None
    lang = actor.lang
    now = deps.clock()
    if kind is not ItemKind.DEMAND:
        async with deps.storage() as uow:
            await uow.campaigns.add_item(VisitItem(None, visit.id, kind, text, now))
            await uow.commit()
        return [Reply(t(lang, f"visit.kept_{kind.value}", ref=visit.ref))]
    parse = await deps.nlu.parse(text)
    async with deps.storage() as uow:
        enterprise = await uow.enterprises.get(visit.enterprise_id)
        assert enterprise is not None
        people = await uow.campaigns.contacts_of(enterprise.id)
        chats = [c for c in people if c.is_chat]
        on_roster = sum(1 for c in people if c.channel == ROSTER)
        contact = chats[0] if chats else await stand_in(uow, enterprise, visit.met or enterprise.name, lang)
        ticket, routing = await _open(
            uow, deps, actor, visit, enterprise, contact, text, parse.category, parse.urgent
        )
        assert ticket.number is not None
        await uow.campaigns.add_item(VisitItem(None, visit.id, kind, text, now, ticket.number))
        await uow.commit()
    handler = render.officer_name(routing.assignee_id, lang, deps.directory) if routing.assignee_id else None
    opened = t(
        lang,
        "visit.demand_opened",
        ref=ticket.ref,
        category=render.category_name(ticket.category, lang),
        handler=handler or render.department_name(routing.department_id, lang, deps.directory),
    )
    if chats:
        opened += t(lang, "visit.demand_told", told=len(chats))
    else:  # nobody to tell: the officer knows it, and how to change it
        opened += t(lang, "visit.demand_untold", on_roster=on_roster, enterprise_id=enterprise.id)
    replies = [Reply(opened, ticket=ticket.number)]
    # The officer who recorded it hears it above; the assignee and the department as for any demand.
    replies += [
        r
        for r in routed_notices(ticket, enterprise, routing, deps)
        if r.to != ToOfficer(actor.officer_id or "")
    ]
    for person in chats:
        told = t(
            person.lang,
            "visit.opened_for_you",
            ref=ticket.ref,
            officer=actor.display_name,
            text=render.excerpt(text, 200),
            resolve_by=render.when(ticket.resolve_by, person.lang, deps),
        )
        replies.append(Reply(told, to=ToChat(person.channel, person.external_id), ticket=ticket.number))
    return replies


async def _open(
    uow: UnitOfWork,
    deps: Deps,
    actor: Actor,
    visit: Visit,
    enterprise: Enterprise,
    contact: Contact,
    text: str,
    category: str | None,
    urgent: bool,
) -> tuple[Ticket, Routing]:
    now = deps.clock()
    # Opened by the officer on the enterprise's behalf: the audit names the officer and the visit
    # (the ticket's source), the ticket belongs to the enterprise and answers go to its contact.
    on_behalf = replace(actor, enterprise_id=enterprise.id, lang=contact.lang)
    opened = open_ticket(
        actor=on_behalf,
        contact_id=contact.id or 0,
        channel=contact.channel,
        chat_id=contact.external_id,
        text=text,
        intent="report_demand",
        category=category,
        urgent=urgent,
        deadlines=deadlines_for(now, deps.sla, category=category, intent="report_demand", urgent=urgent),
        at=now,
    )
    routing = route_demand(enterprise, category, deps.directory)
    dispatched = dispatch(opened.ticket, routing, SYSTEM_ACTOR, now)
    ticket = await uow.tickets.add(dispatched.ticket)
    await uow.events.append(
        replace(opened.event, ticket_number=ticket.number, note=f"source: visit {visit.ref}"),
        replace(dispatched.event, ticket_number=ticket.number),
    )
    return ticket, routing
