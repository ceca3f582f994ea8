"""The board: open tickets the viewer may see, counted by state and department, the overdue and
soon-due first, filtered as `/open` filters them (department, category, liaison officer, urgency,
overdue) and by campaign (the tickets its visits' demands opened), or searched as `/find`
searches; and the small JSON answer the page polls to refresh itself when a ticket changes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlencode

from aiohttp import web

from bot.domain.campaigns import Campaign
from bot.domain.messages import Actor
from bot.domain.text import storable
from bot.domain.tickets import Status
from bot.i18n import t
from bot.webconsole.access import Viewer, required
from bot.webconsole.console import CONSOLE, Console
from bot.webconsole.rows import TicketListRow, list_row
from bot.webconsole.ticket_page import may_open
from handlers import render
from handlers.centre_view import scope_of, search_terms
from handlers.deps import Deps
from handlers.numbers import small_number
from storage.search_protocols import OpenFilter
from storage.web_protocols import BoardCount

PAGE = 50  # tickets per page of the board
FOUND = 20  # enterprises and tickets a search shows
TICKETS_PER_ENTERPRISE = 5  # a found enterprise's own tickets listed under it


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


def _filter(query: web.Request, deps: Deps, campaigns: list[Campaign]) -> tuple[OpenFilter, int]:
    """What the filter form asked for; a value the directory (or the campaigns) do not know is
    ignored."""
    q = query.query
    directory = deps.directory
    department = q.get("dept") or None
    category = q.get("cat") or None
    liaison = q.get("liaison") or None
    campaign = q.get("campaign", "")
    page = small_number(q.get("page", "1")) or 1  # not int(): thousands of digits are a ValueError
    return (
        OpenFilter(
            department_id=department if department in directory.departments else None,
            category=category if category in directory.category_leads else None,
            liaison_officer_id=liaison if liaison in directory.officers else None,
            campaign_id=int(campaign) if campaign in {str(c.id) for c in campaigns} else None,
            urgent=q.get("urgent") == "1",
            overdue=q.get("overdue") == "1",
            by_deadline=True,
        ),
        page if page < 10_000 else 1,
    )


def _choices(actor: Actor, deps: Deps, campaigns: list[Campaign]) -> dict[str, list[Choice]]:
    lang, directory = actor.lang, deps.directory
    return {
        "departments": [
            Choice(d, render.department_name(d, lang, directory)) for d in sorted(directory.departments)
        ],
        "categories": [Choice(c, render.category_name(c, lang)) for c in sorted(directory.category_leads)],
        "officers": [
            Choice(o.id, f"{o.name} · {render.department_name(o.department_id, lang, directory)}")
            for o in sorted(directory.officers.values(), key=lambda o: (o.department_id, o.id))
        ],
        # newest first, closed ones too: their demands' tickets may still be open
        "campaigns": [Choice(str(c.id), f"{c.ref} · {c.name}") for c in campaigns],
    }


async def board(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    viewer = await required(request)
    deps = console.deps
    actor = viewer.actor
    scope = scope_of(actor, deps)
    now = deps.clock()
    query = storable(request.query.get("q", "")).strip()  # a %00 is no search PostgreSQL takes
    found_enterprises: list[tuple[str, str, list[TicketListRow]]] = []
    found_tickets: list[TicketListRow] = []
    async with deps.storage() as uow:
        campaigns = await uow.campaigns.listing()
        wanted, page = _filter(request, deps, campaigns)
        counts = await uow.console.open_counts(wanted, scope, now)
        total = sum(count.tickets for count in counts)  # the same filter as the page
        tickets = await uow.search.open_page(wanted, scope, now, (page - 1) * PAGE, PAGE)
        version = await uow.console.last_change()
        if query:
            found = await uow.search.find(search_terms(query), scope, FOUND)
            names = {e.id: e.name for e in found.enterprises}
            for enterprise in found.enterprises:
                own = [
                    ticket
                    for ticket in await uow.tickets.for_enterprise(enterprise.id, TICKETS_PER_ENTERPRISE)
                    if may_open(actor, ticket, deps)
                ]
                rows = [list_row(ticket, actor.lang, deps, names) for ticket in own]
                found_enterprises.append((enterprise.id, enterprise.name, rows))
            more = await uow.console.enterprise_names(
                [t.enterprise_id for t in found.tickets if t.enterprise_id]
            )
            found_tickets = [
                list_row(ticket, actor.lang, deps, {**names, **more}) for ticket in found.tickets
            ]
        names = await uow.console.enterprise_names([t.enterprise_id for t in tickets if t.enterprise_id])
    rows = [list_row(ticket, actor.lang, deps, names) for ticket in tickets]
    return console.page(
        "board.html",
        actor.lang,
        viewer=viewer,
        rows=rows,
        total=total,
        page=page,
        pages=max(1, (total + PAGE - 1) // PAGE),
        matrix=_matrix(counts, actor, deps),
        wanted=wanted,
        query=query,
        searched=bool(query),
        found_enterprises=found_enterprises,
        found_tickets=found_tickets,
        choices=_choices(actor, deps, campaigns),
        version=version,
        refresh_seconds=console.options.refresh_seconds,
        paging=_paging(request),
        scope_department=render.department_name(scope.department_id, actor.lang, deps.directory)
        if scope.department_id
        else None,
    )


@dataclass(frozen=True)
class Matrix:
    statuses: list[Choice]
    departments: list[Choice]
    cells: dict[tuple[str, str], int]
    totals: dict[str, int]


def _matrix(counts: list[BoardCount], actor: Actor, deps: Deps) -> Matrix:
    cells: dict[tuple[str, str], int] = {}
    totals: dict[str, int] = defaultdict(int)
    for count in counts:
        department = count.department_id or ""
        cells[(count.status, department)] = count.tickets
        totals[department] += count.tickets
    present = {status for status, _ in cells}
    statuses = [Choice(s.value, t(actor.lang, f"status.{s.value}")) for s in Status if s.value in present]
    departments = [
        Choice(d, render.department_name(d or None, actor.lang, deps.directory)) for d in sorted(totals)
    ]
    return Matrix(statuses, departments, cells, dict(totals))


def _paging(request: web.Request) -> str:
    """The query without its page, for the next and previous links."""
    kept = [(k, v) for k, v in request.query.items() if k != "page"]
    return urlencode(kept)


async def board_version(request: web.Request) -> web.Response:
    """What the board polls: a number that grows when any ticket changes."""
    console: Console = request.app[CONSOLE]
    viewer: Viewer = await required(request)
    del viewer  # signed in is all it takes: the number tells nothing about any ticket
    async with console.deps.storage() as uow:
        version = await uow.console.last_change()
    return web.json_response({"version": version})
