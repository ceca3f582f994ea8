"""An enterprise: its facts, liaison officer, contacts, the tickets the viewer may see (how many
others there are), and the published policies it qualifies for. Campaign visits are not here yet:
campaigns (issue 15) do not exist."""

from __future__ import annotations

from aiohttp import web

from bot.domain.periods import today
from bot.domain.policies import PolicyStatus, enterprise_qualifies
from bot.webconsole.access import audit, page_error, required
from bot.webconsole.console import CONSOLE
from bot.webconsole.rows import list_row
from bot.webconsole.ticket_page import may_open
from handlers import render

TICKETS_LISTED = 100


async def enterprise_page(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    viewer = await required(request)
    actor = viewer.actor
    deps = console.deps
    enterprise_id = request.match_info["enterprise"][:64]
    async with deps.storage() as uow:
        enterprise = await uow.enterprises.get(enterprise_id)
        if enterprise is None:
            raise page_error(console, viewer, web.HTTPNotFound, "console.no_enterprise")
        tickets = await uow.tickets.for_enterprise(enterprise.id, TICKETS_LISTED)
        contacts = await uow.console.contacts_of(enterprise.id)
        published = await uow.policies.listing(PolicyStatus.PUBLISHED)
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
    )
