"""What an enterprise can do with its own tickets: see them, confirm or reject a resolution."""

from __future__ import annotations

from bot.domain.messages import Actor, Button, Reply, ToOfficer
from bot.domain.tickets import Ticket, confirm_resolved, reject_resolution
from bot.i18n import t
from handlers import render
from handlers.changes import change_ticket, load_ticket
from handlers.deps import Deps


async def status(actor: Actor, deps: Deps, number: int | None = None) -> list[Reply]:
    lang = actor.lang
    if number is not None:
        ticket = await load_ticket(deps, actor, number)
        return [Reply(await _card_with_last_answer(ticket, lang, deps))]
    async with deps.storage() as uow:
        if actor.enterprise_id is not None:
            tickets = await uow.tickets.for_enterprise(actor.enterprise_id)
        else:
            assert actor.contact_id is not None
            tickets = await uow.tickets.for_contact(actor.contact_id)
    if not tickets:
        return [Reply(t(lang, "mystatus.none"))]
    lines = [render.ticket_line(ticket, lang, deps) for ticket in tickets]
    return [Reply(t(lang, "mystatus.list", count=len(tickets), lines="\n".join(lines)))]


async def _card_with_last_answer(ticket: Ticket, lang: str, deps: Deps) -> str:
    """The enterprise sees the officer's latest message with the facts: nothing sent is lost
    even when a notification was missed."""
    async with deps.storage() as uow:
        events = await uow.events.for_ticket(ticket.number or 0)
    card = render.ticket_card(ticket, lang, deps)
    answers = [e for e in events if e.action.value in ("reply", "resolve")]
    if answers:
        last = answers[-1]
        card += "\n" + t(
            lang,
            "mystatus.last_answer",
            officer=render.officer_name(last.actor_id, lang, deps.directory),
            at=render.when(last.at, lang, deps),
            text=last.note,
        )
    return card


async def confirm(actor: Actor, deps: Deps, number: int) -> list[Reply]:
    change = await change_ticket(
        deps, actor, number, lambda ticket: confirm_resolved(ticket, actor, deps.clock())
    )
    ticket = change.ticket
    replies = [Reply(t(actor.lang, "survey.thanks", ref=ticket.ref))]
    if ticket.assignee_id is not None:
        officer = deps.directory.officers.get(ticket.assignee_id)
        if officer is not None:
            replies.append(
                Reply(t(officer.lang, "survey.confirmed_notice", ref=ticket.ref), to=ToOfficer(officer.id))
            )
    return replies


async def not_resolved(actor: Actor, deps: Deps, number: int, reason: str) -> list[Reply]:
    reason = reason.strip() or t(actor.lang, "survey.no_reason")
    change = await change_ticket(
        deps, actor, number, lambda ticket: reject_resolution(ticket, actor, reason, deps.clock())
    )
    ticket = change.ticket
    officer_name = render.officer_name(ticket.assignee_id, actor.lang, deps.directory)
    replies = [Reply(t(actor.lang, "survey.reopened", ref=ticket.ref, officer=officer_name))]
    if ticket.assignee_id is not None and ticket.assignee_id in deps.directory.officers:
        officer = deps.directory.officers[ticket.assignee_id]
        replies.append(
            Reply(
                t(officer.lang, "survey.rejected_notice", ref=ticket.ref, reason=reason),
                to=ToOfficer(officer.id),
            )
        )
    return replies


def survey_buttons(ticket: Ticket, lang: str) -> tuple[Button, ...]:
    return (
        Button(t(lang, "survey.button_resolved"), f"confirm:{ticket.number}"),
        Button(t(lang, "survey.button_unresolved"), f"notresolved:{ticket.number}"),
    )
