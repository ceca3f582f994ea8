"""How a ticket is shown in a list of the console (the board, search results, an enterprise):
what people wrote masked as in officer groups, deadlines as the chat words them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.domain.tickets import Ticket
from handlers import render
from handlers.deps import Deps

SOON = timedelta(hours=24)  # due within this: marked "soon" on the board


@dataclass(frozen=True)
class TicketListRow:
    number: int
    status: str
    category: str
    department: str
    assignee: str
    enterprise: str
    enterprise_id: str | None
    excerpt: str
    due: str
    time_left: str
    overdue: bool
    soon: bool
    urgent: bool
    confidential: bool


def list_row(ticket: Ticket, lang: str, deps: Deps, enterprise_names: dict[str, str]) -> TicketListRow:
    assert ticket.number is not None
    now = deps.clock()
    running = ticket.status.is_open and ticket.paused_at is None
    return TicketListRow(
        number=ticket.number,
        status=render.status_name(ticket, lang),
        category=render.category_name(ticket.category, lang),
        department=render.department_name(ticket.department_id, lang, deps.directory),
        assignee=render.officer_name(ticket.assignee_id, lang, deps.directory) if ticket.assignee_id else "—",
        enterprise=enterprise_names.get(ticket.enterprise_id or "", "—"),
        enterprise_id=ticket.enterprise_id,
        excerpt=render.excerpt(render.mask_private(ticket.text), 60),
        due=render.when(ticket.resolve_by, lang, deps),
        time_left=render.time_left_line(ticket, lang, deps) or "",
        overdue=running and ticket.resolve_by < now,
        soon=running and now <= ticket.resolve_by < now + SOON,
        urgent=ticket.urgent,
        confidential=ticket.confidential,
    )
