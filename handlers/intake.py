"""A demand arrives: open a ticket, route it, tell the enterprise what happens next and when,
and tell the officer or department that it is theirs."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from bot.domain.enterprise import Enterprise
from bot.domain.lifecycle import dispatch, open_ticket
from bot.domain.messages import SYSTEM_ACTOR, Actor, Button, Inbound, Reply, Role, ToDepartment, ToOfficer
from bot.domain.routing import Routing, route_demand
from bot.domain.sla import deadlines_for
from bot.domain.tickets import Change, Ticket, TicketEvent
from bot.i18n import t
from handlers import render, similar, verification
from handlers.deps import Deps
from handlers.follow_up import add_information, own_tickets
from handlers.posts import post_for
from nlu.types import Parse

log = logging.getLogger(__name__)
_UNREACHABLE_LOGGED: set[str] = set()  # departments whose unreachability this process has logged

# Sent this soon after a demand while Xiaoer asks who the company is, a demand of the same kind
# is more about that one (people write in several short messages).
CONTINUATION_WINDOW = timedelta(minutes=30)


async def open_demand(
    inbound: Inbound,
    actor: Actor,
    parse: Parse,
    deps: Deps,
    log_entry: int,
    *,
    check_repeats: bool = True,
    mine: list[Ticket] | None = None,
) -> list[Reply]:
    """Open, route and announce a ticket; a repeat of one of the sender's open tickets is first
    offered as an addition to it (`check_repeats=False` once the sender chose a new ticket).
    `mine`: the sender's tickets, when the caller has them already."""
    assert actor.contact_id is not None, "only contacts open demands"
    now = deps.clock()
    if check_repeats:
        own = mine if mine is not None else await own_tickets(actor, deps)
        own_open = [ticket for ticket in own if ticket.status.is_open]
        earlier = similar.repeated(inbound.text, parse.category, own_open)
        if earlier is not None:
            return [similar.offer_to_add(earlier, actor, log_entry)]
    async with deps.storage() as uow:
        enterprise = await uow.enterprises.get(actor.enterprise_id) if actor.enterprise_id else None
        opened, routing, dispatched = new_ticket(
            actor, inbound.sender.channel, inbound.chat_id, inbound.text, parse, enterprise, deps, now
        )
        # One insert for both steps; the events get the number storage assigns.
        ticket = await uow.tickets.add(dispatched.ticket)
        await uow.events.append(
            _numbered(opened.event, ticket.number), _numbered(dispatched.event, ticket.number)
        )
        await uow.messages.link_ticket(log_entry, ticket.number or 0)
        question = await verification.first_question(actor, uow)
        shared = await similar.shared_problem(ticket, uow, deps)
        await uow.commit()

    acknowledgement = acknowledge(ticket, enterprise, routing, actor.lang, deps)
    replies = [Reply(acknowledgement, ticket=ticket.number, buttons=ticket_buttons(ticket, actor.lang))]
    replies += routed_notices(ticket, enterprise, routing, deps)
    return replies + ([question] if question else []) + shared


def new_ticket(
    actor: Actor,
    channel: str,
    chat_id: str,
    text: str,
    parse: Parse,
    enterprise: Enterprise | None,
    deps: Deps,
    now: datetime,
) -> tuple[Change, Routing, Change]:
    """A demand's ticket opened with its deadlines in working time, and routed: both steps (each
    with its audit event) and where it went, not yet stored."""
    assert actor.contact_id is not None, "only contacts open demands"
    opened = open_ticket(
        actor=actor,
        contact_id=actor.contact_id,
        channel=channel,
        chat_id=chat_id,
        text=text,
        intent=parse.intent,
        category=parse.category,
        urgent=parse.urgent,
        deadlines=deadlines_for(
            now, deps.sla, category=parse.category, intent=parse.intent, urgent=parse.urgent
        ),
        at=now,
    )
    routing = route_demand(enterprise, parse.category, deps.directory)
    return opened, routing, dispatch(opened.ticket, routing, SYSTEM_ACTOR, now)


def acknowledge(
    ticket: Ticket, enterprise: Enterprise | None, routing: Routing, lang: str, deps: Deps
) -> str:
    """What the enterprise is told of its new ticket: its number and category, who handles it,
    and by when it will be answered and resolved."""
    if not _reaches_someone(routing.department_id, routing.assignee_id, deps):
        handler = t(lang, "intake.to_dispatch")
    elif routing.assignee_id is not None:
        handler = t(
            lang,
            "intake.to_liaison",
            officer=render.officer_name(routing.assignee_id, lang, deps.directory),
            department=render.department_name(routing.department_id, lang, deps.directory),
        )
    else:
        handler = t(
            lang,
            "intake.to_department",
            department=render.department_name(routing.department_id, lang, deps.directory),
        )
    acknowledgement = t(
        lang,
        "intake.accepted",
        ref=ticket.ref,
        category=render.category_name(ticket.category, lang),
        handler=handler,
        respond_by=render.when(ticket.respond_by, lang, deps),
        resolve_by=render.when(ticket.resolve_by, lang, deps),
    )
    if not enterprise:
        acknowledgement += "\n" + t(lang, "intake.unverified")
    return acknowledgement


def routed_notices(
    ticket: Ticket, enterprise: Enterprise | None, routing: Routing, deps: Deps
) -> list[Reply]:
    """A new ticket announced to whoever it was routed to: the liaison officer privately, the
    department's group (or, without a liaison officer, the department). Also for the tickets a
    visit opens on an enterprise's behalf (handlers/campaigns/visit_items.py)."""
    replies: list[Reply] = []
    if routing.assignee_id is not None:
        officer = deps.directory.officers[routing.assignee_id]
        notice = _new_ticket_notice(ticket, enterprise, officer.lang, deps)
        replies.append(
            Reply(
                notice,
                to=ToOfficer(officer.id),
                buttons=_take_button(ticket, officer.lang),
                ticket=ticket.number,
            )
        )
    department = deps.directory.departments.get(routing.department_id)
    # The department's group sees every ticket of the department, its liaison officers' included
    # (a head answers for them all); without a group, a liaison's ticket is theirs alone.
    if routing.assignee_id is None or (department is not None and department.has_officer_group):
        post = post_for(ticket, enterprise, deps)
        replies.append(
            Reply(
                post.text,
                to=ToDepartment(routing.department_id),
                buttons=post.buttons,
                ticket=ticket.number,
                post=True,
            )
        )
    if not _reaches_someone(routing.department_id, routing.assignee_id, deps):
        replies += _to_dispatchers(ticket, enterprise, routing.department_id, deps)
    return replies


def _reaches_someone(department_id: str, assignee_id: str | None, deps: Deps) -> bool:
    """The new ticket's notice reaches someone on the channels in use: its assignee, or its
    department (a group chat, or an officer there)."""
    channels = deps.reach_channels
    if channels is None:
        return True
    if assignee_id is not None and deps.directory.officer_reachable(assignee_id, channels):
        return True
    return deps.directory.reachable(department_id, channels)


def _to_dispatchers(
    ticket: Ticket, enterprise: Enterprise | None, department_id: str, deps: Deps
) -> list[Reply]:
    """A ticket that reached no one goes to the dispatchers (else the admins), and to the log."""
    # Said once per department and process (the start-up line names them too), then per ticket at
    # debug level: a line per ticket would fill a busy centre's log with the same news.
    if department_id not in _UNREACHABLE_LOGGED:
        _UNREACHABLE_LOGGED.add(department_id)
        log.warning(
            "no one in department %s can be reached: its tickets go to the dispatchers", department_id
        )
    log.debug(
        "ticket %s: nobody in department %s reached: sent to the dispatchers", ticket.ref, department_id
    )
    directory = deps.directory
    people = directory.dispatchers() or [o for o in directory.officers.values() if o.role is Role.ADMIN]
    return [
        Reply(
            t(
                o.lang,
                "intake.unreachable_notice",
                ref=ticket.ref,
                department=render.department_name(department_id, o.lang, directory),
            )
            + "\n\n"
            + _new_ticket_notice(ticket, enterprise, o.lang, deps),
            to=ToOfficer(o.id),
            ticket=ticket.number,
        )
        for o in people
    ]


async def continues_intake(
    parse: Parse, inbound: Inbound, actor: Actor, deps: Deps, log_entry: int, mine: list[Ticket]
) -> list[Reply] | None:
    """A demand of the same kind as the one just opened, sent while Xiaoer asks who the company
    is: more about that demand, added to it, with a button to make it a ticket of its own."""
    if parse.intent != "report_demand" or parse.confidence < deps.clarify_below:
        return None  # a policy question is answered from the registry, as ever
    latest = next((ticket for ticket in mine if ticket.status.is_open), None)
    if (
        latest is None
        or latest.number is None
        or deps.clock() - latest.created_at > CONTINUATION_WINDOW
        or (parse.category is not None and parse.category != latest.category)
    ):
        return None
    # The message stays unclaimed (and unlinked): the button below may still make it a ticket.
    replies = await add_information(actor, deps, latest.number, inbound.text)
    own = replies[0]
    split = Button(t(actor.lang, "similar.new"), f"similar:{log_entry}:new")
    return [replace(own, buttons=(*own.buttons, split)), *replies[1:]]


def _new_ticket_notice(ticket: Ticket, enterprise: Enterprise | None, lang: str, deps: Deps) -> str:
    company = enterprise.name if enterprise else t(lang, "ticket.unverified_company")
    return t(
        lang,
        "intake.notice",
        company=company,
        card=render.ticket_card(ticket, lang, deps),
        ref=ticket.ref,
        number=ticket.number,
    )


def ticket_buttons(ticket: Ticket, lang: str) -> tuple[Button, ...]:
    """Under the enterprise's acknowledgement: add information, urge, withdraw."""
    return tuple(
        Button(t(lang, f"intake.button_{action}"), f"ent:{action}:{ticket.number}")
        for action in ("info", "urge", "withdraw")
    )


def _take_button(ticket: Ticket, lang: str) -> tuple[Button, ...]:
    return (Button(t(lang, "intake.take_button"), f"cmd:take:{ticket.number}"),)


def _numbered(event: TicketEvent, number: int | None) -> TicketEvent:
    """Events made before storage numbered the ticket."""
    return replace(event, ticket_number=number)
