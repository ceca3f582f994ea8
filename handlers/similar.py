"""Repeated demands and shared problems.

A demand much like one of the sender's own open tickets is offered as an addition to that
ticket instead of a second ticket. A demand much like other enterprises' recent open tickets in
the same category tells the lead department, which can group them (`/cluster`) and answer them
all at once (`/replyall`, `/resolveall`).
"""

from __future__ import annotations

from datetime import timedelta

from bot.domain.messages import Actor, Button, Reply, ToDepartment
from bot.domain.similarity import similarity, similarity_to
from bot.domain.tickets import Ticket
from bot.i18n import t
from handlers import render
from handlers.deps import Deps
from storage.protocols import RecentDemand, UnitOfWork

SAME_MATTER = 0.3  # Dice similarity from which two texts are offered as one matter
CLUSTER_WINDOW = timedelta(hours=72)
CLUSTER_SIZE = 3  # enterprises with the same problem before the department is told
CANDIDATES = 60  # recent open tickets a new demand is compared with


def _same_category(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b


def repeated(text: str, category: str | None, own_open: list[Ticket]) -> Ticket | None:
    """The sender's open ticket this text most likely repeats, if any is alike enough."""
    scored = [
        (similarity(text, ticket.text), ticket)
        for ticket in own_open
        if _same_category(category, ticket.category)
    ]
    best = max(scored, key=lambda pair: pair[0], default=None)
    return best[1] if best is not None and best[0] >= SAME_MATTER else None


def _worth_telling(companies: int) -> bool:
    """At CLUSTER_SIZE enterprises, then each time the count doubles: a department hears that a
    problem is shared and that it keeps growing, not once for every demand of a busy morning."""
    size = CLUSTER_SIZE
    while size < companies:
        size *= 2
    return size == companies


def offer_to_add(ticket: Ticket, actor: Actor, log_entry: int) -> Reply:
    return Reply(
        t(actor.lang, "similar.question", ref=ticket.ref, excerpt=render.excerpt(ticket.text, 24)),
        buttons=(
            Button(t(actor.lang, "similar.add", ref=ticket.ref), f"similar:{log_entry}:add:{ticket.number}"),
            Button(t(actor.lang, "similar.new"), f"similar:{log_entry}:new"),
        ),
    )


async def shared_problem(ticket: Ticket, uow: UnitOfWork, deps: Deps) -> list[Reply]:
    """Tell the lead department when enough enterprises report the same problem (compared with
    the category's most recent open tickets: a bounded cost per demand, however busy the day)."""
    if ticket.cluster_of is not None:
        return []
    recent = await uow.tickets.recent_demands(ticket.category, ticket.created_at - CLUSTER_WINDOW, CANDIDATES)
    to_this = similarity_to(ticket.text)
    alike = [
        other
        for other in recent
        if other.number != ticket.number
        and other.cluster_of is None
        and (other.enterprise_id or f"c{other.contact_id}")
        != (ticket.enterprise_id or f"c{ticket.contact_id}")
        and to_this(other.text) >= SAME_MATTER
    ]
    companies = {(o.enterprise_id or f"c{o.contact_id}") for o in alike}
    if not _worth_telling(len(companies) + 1):
        return []
    members: list[Ticket | RecentDemand] = sorted([ticket, *alike], key=lambda x: x.number or 0)
    lead, others = members[0], members[1:]
    department = deps.directory.lead_department(ticket.category)
    lang = deps.directory.group_lang(department)
    notice = t(
        lang,
        "cluster.notice",
        count=len(companies) + 1,
        category=render.category_name(ticket.category, lang),
        refs=", ".join(m.ref for m in members),
        lead=lead.number,
        others=" ".join(str(o.number) for o in others),
    )
    return [Reply(notice, to=ToDepartment(department))]
