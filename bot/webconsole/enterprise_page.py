"""An enterprise: its facts, liaison officer, contacts, the tickets the viewer may see (how many
others there are), the published policies it qualifies for, and its campaign visits (who went
when, whom they met, the situation, what they brought back)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot.domain.messages import Actor
from bot.domain.periods import today
from bot.domain.policies import PolicyStatus, enterprise_qualifies
from bot.domain.text import storable
from bot.domain.tickets import Ticket
from bot.i18n import t
from bot.webconsole.access import audit, page_error, required
from bot.webconsole.console import CONSOLE
from bot.webconsole.rows import list_row
from bot.webconsole.ticket_page import may_open
from handlers import render
from handlers.deps import Deps
from storage.web_protocols import EnterpriseVisit

TICKETS_LISTED = 100
VISITS_LISTED = 20


@dataclass(frozen=True)
class ShownItem:
    kind: str
    text: str  # empty when the demand's ticket is not the viewer's to see
    ticket: int | None  # the ticket a demand opened, linked when the viewer may open it


@dataclass(frozen=True)
class ShownVisit:
    ref: str
    campaign: str
    visited_on: str
    officer: str
    met: str
    situation: str
    items: list[ShownItem]


def shown_visit(record: EnterpriseVisit, tickets: dict[int, Ticket], actor: Actor, deps: Deps) -> ShownVisit:
    """What people wrote is masked as on the board; a demand whose ticket the viewer may not open
    (another department's confidential one) keeps its kind and hides its words and number."""
    visit, lang = record.visit, actor.lang
    items = []
    for item in record.items:
        ticket = tickets.get(item.ticket_number) if item.ticket_number is not None else None
        hidden = ticket is not None and not may_open(actor, ticket, deps)
        items.append(
            ShownItem(
                kind=t(lang, f"visit.kind_{item.kind.value}"),
                text="" if hidden else render.mask_private(item.text),
                ticket=None if hidden or ticket is None else item.ticket_number,
            )
        )
    campaign = (
        f"C{visit.campaign_id} · {record.campaign_name}"
        if visit.campaign_id is not None and record.campaign_name is not None
        else t(lang, "console.visit_outside")
    )
    return ShownVisit(
        ref=visit.ref,
        campaign=campaign,
        visited_on=visit.visited_on.isoformat(),
        officer=render.officer_name(visit.officer_id, lang, deps.directory),
        met=visit.met or "—",
        situation=render.mask_private(visit.situation or ""),
        items=items,
    )


async def enterprise_page(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    viewer = await required(request)
    actor = viewer.actor
    deps = console.deps
    enterprise_id = storable(request.match_info["enterprise"][:64])  # no NUL in a PostgreSQL query
    async with deps.storage() as uow:
        enterprise = await uow.enterprises.get(enterprise_id)
        if enterprise is None:
            raise page_error(console, viewer, web.HTTPNotFound, "console.no_enterprise")
        tickets = await uow.tickets.for_enterprise(enterprise.id, TICKETS_LISTED)
        contacts = await uow.console.contacts_of(enterprise.id)
        published = await uow.policies.listing(PolicyStatus.PUBLISHED)
        visits = await uow.console.visits_of(enterprise.id, VISITS_LISTED)
        tickets_of_items: dict[int, Ticket] = {}
        for number in {i.ticket_number for v in visits for i in v.items if i.ticket_number is not None}:
            if (ticket := await uow.tickets.get(number)) is not None:
                tickets_of_items[number] = ticket
    await audit(console, actor.officer_id, "view_enterprise", None, enterprise.id)
    visible = [ticket for ticket in tickets if may_open(actor, ticket, deps)]
    day = today(deps.clock(), deps.timezone)
    policies = [p for p in published if enterprise_qualifies(p.eligibility, enterprise) and p.open_on(day)]
    names = {enterprise.id: enterprise.name}
    return console.page(
        "enterprise.html",
        actor.lang,
        viewer=viewer,
        enterprise=enterprise,
        liaison=render.officer_name(enterprise.liaison_officer_id, actor.lang, deps.directory)
        if enterprise.liaison_officer_id
        else "—",
        contacts=contacts,
        rows=[list_row(ticket, actor.lang, deps, names) for ticket in visible],
        hidden=len(tickets) - len(visible),
        policies=policies,
        visits=[shown_visit(v, tickets_of_items, actor, deps) for v in visits],
    )
