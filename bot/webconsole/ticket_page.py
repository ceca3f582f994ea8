"""A ticket: its facts, the conversation with the enterprise, the audit trail and the actions the
viewer's role allows. Every view is audited; a ticket the viewer may not see (another
department's, a confidential one not theirs) is refused, and the refusal audited too. Phone, ID
and bank numbers are masked unless the viewer is the assignee, as in chat."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot.domain import lifecycle
from bot.domain.messages import Actor, Role
from bot.domain.permissions import (
    may_dispatch,
    may_handle,
    may_manage,
    may_take,
    may_view,
    sees_every_department,
)
from bot.domain.tickets import Action, Ticket
from bot.i18n import t
from bot.webconsole.access import Viewer, audit, required
from bot.webconsole.console import CONSOLE, Console
from handlers import render
from handlers.deps import Deps
from handlers.numbers import small_number

# What the enterprise and the officers said to each other, apart from the steps around it.
CONVERSATION = frozenset(
    {Action.REPLY, Action.ASK, Action.INFO, Action.RESOLVE, Action.COMMENT, Action.URGE, Action.FEEDBACK}
)


@dataclass(frozen=True)
class Said:
    at: str
    who: str
    from_enterprise: bool
    action: str
    text: str


# each form, the lifecycle's move it makes (whose table says from which states it may)
_MOVE_OF = {
    "take": Action.TAKE,
    "assign": Action.ASSIGN,
    "transfer": Action.TRANSFER,
    "return": Action.RETURN,
    "resolve": Action.RESOLVE,
    "approve": Action.APPROVE_EXTENSION,
    "rejectext": Action.REJECT_EXTENSION,
    "dispatch": Action.DISPATCH,
}


def allowed_actions(actor: Actor, ticket: Ticket) -> list[str]:
    """The forms the page shows: those the viewer's role allows, of the moves the ticket's state
    allows; the handlers decide again when one is sent."""
    allowed = {
        "take": may_take(actor, ticket),
        "assign": may_manage(actor, ticket),
        "transfer": may_handle(actor, ticket),
        "return": may_take(actor, ticket) or may_handle(actor, ticket),
        "resolve": may_handle(actor, ticket),
        "approve": may_manage(actor, ticket),
        "rejectext": may_manage(actor, ticket),
        "dispatch": may_dispatch(actor, ticket),
    }
    return [
        form for form, move in _MOVE_OF.items() if allowed[form] and ticket.status in lifecycle.MOVES[move][0]
    ]


def may_open(actor: Actor, ticket: Ticket, deps: Deps) -> bool:
    """Who may see it in chat, and those who see every department's board (dispatchers, heads,
    the leadership) its tickets that are not confidential: the board lists them, so they open."""
    if may_view(actor, ticket):
        return True
    return not ticket.confidential and sees_every_department(actor, deps.directory.leaders)


def shows_numbers(actor: Actor, ticket: Ticket) -> bool:
    """Only the assignee sees phone, ID and bank numbers whole (as in chat)."""
    return ticket.assignee_id is not None and actor.officer_id == ticket.assignee_id


async def viewable_ticket(request: web.Request, viewer: Viewer) -> Ticket:
    """The ticket in the address, if the viewer may see it; else 404 or 403, audited."""
    console = request.app[CONSOLE]
    number = small_number(request.match_info["number"])
    actor = viewer.actor
    ticket = None
    if number is not None:
        async with console.deps.storage() as uow:
            ticket = await uow.tickets.get(number)
    if ticket is None:
        raise web.HTTPNotFound(
            text=console.render(
                "message.html", actor.lang, viewer=viewer, message_key="console.no_ticket", params={}
            ),
            content_type="text/html",
        )
    if not may_open(actor, ticket, console.deps):
        detail = "confidential" if ticket.confidential else f"department {ticket.department_id}"
        await audit(console, actor.officer_id, "view_refused", ticket.number, detail)
        raise web.HTTPForbidden(
            text=console.render(
                "message.html",
                actor.lang,
                viewer=viewer,
                message_key="console.not_yours",
                params={"ref": ticket.ref},
            ),
            content_type="text/html",
        )
    return ticket


async def ticket_page(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    viewer = await required(request)
    ticket = await viewable_ticket(request, viewer)
    return await render_ticket(console, viewer, ticket, outcome=[])


async def render_ticket(
    console: Console, viewer: Viewer, ticket: Ticket, outcome: list[str], status: int = 200
) -> web.Response:
    deps = console.deps
    actor = viewer.actor
    lang = actor.lang
    assert ticket.number is not None
    async with deps.storage() as uow:
        events = await uow.events.for_ticket(ticket.number)
        contact = await uow.contacts.get(ticket.contact_id)
        enterprise = await uow.enterprises.get(ticket.enterprise_id) if ticket.enterprise_id else None
        await uow.web.audit(deps.clock(), actor.officer_id, "view", ticket.number, "")
        await uow.commit()
    whole = shows_numbers(actor, ticket)
    shown = (lambda text: text) if whole else render.mask_private
    names = {f"contact:{contact.id}": contact.display_name} if contact is not None else {}
    conversation = [
        Said(
            at=render.when(ticket.created_at, lang, deps),
            who=contact.display_name if contact else "—",
            from_enterprise=True,
            action=t(lang, "action.create"),
            text=shown(ticket.text),
        )
    ]
    for event in events:
        if event.action in CONVERSATION and event.note:
            conversation.append(
                Said(
                    at=render.when(event.at, lang, deps),
                    who=_who(event.actor_id, event.actor_role, lang, deps, names),
                    from_enterprise=not event.actor_role.is_staff,
                    action=t(lang, f"action.{event.action.value}"),
                    text=shown(event.note),
                )
            )
    trail = [shown(render.event_line(event, lang, deps, names)) for event in events]
    directory = deps.directory
    return console.page(
        "ticket.html",
        lang,
        status=status,
        viewer=viewer,
        ticket=ticket,
        status_name=render.status_name(ticket, lang),
        category=render.category_name(ticket.category, lang),
        department=render.department_name(ticket.department_id, lang, directory),
        assignee=render.officer_name(ticket.assignee_id, lang, directory) if ticket.assignee_id else "—",
        enterprise=enterprise,
        liaison=render.officer_name(enterprise.liaison_officer_id, lang, directory)
        if enterprise and enterprise.liaison_officer_id
        else "—",
        created=render.when(ticket.created_at, lang, deps),
        respond_by=render.when(ticket.respond_by, lang, deps),
        resolve_by=render.when(ticket.resolve_by, lang, deps),
        time_left=render.time_left_line(ticket, lang, deps) or "",
        conversation=conversation,
        trail=trail,
        numbers_whole=whole,
        actions=allowed_actions(actor, ticket),
        outcome=outcome,
        # a ticket is assigned within its department (lifecycle.assign refuses others)
        colleagues=sorted(
            (o for o in directory.officers.values() if o.department_id == ticket.department_id),
            key=lambda o: o.id,
        ),
        departments=[(d, render.department_name(d, lang, directory)) for d in sorted(directory.departments)],
    )


def _who(actor_id: str, role: Role, lang: str, deps: Deps, names: dict[str, str]) -> str:
    if role.is_staff:
        return render.officer_name(actor_id, lang, deps.directory)
    return names.get(actor_id, actor_id)
