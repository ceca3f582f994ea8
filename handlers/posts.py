"""A ticket's post in its officer group, as it should read now (channels edit the post in place)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.enterprise import Enterprise
from bot.domain.messages import Button
from bot.domain.tickets import Status, Ticket
from bot.i18n import t
from handlers import render
from handlers.deps import Deps
from handlers.guides import step_buttons

_BEING_WORKED = frozenset({Status.SIGNED, Status.IN_PROGRESS, Status.REOPENED})


@dataclass(frozen=True)
class Post:
    text: str
    buttons: tuple[Button, ...]


async def current_post(deps: Deps, number: int) -> Post | None:
    async with deps.storage() as uow:
        ticket = await uow.tickets.get(number)
        enterprise = (
            await uow.enterprises.get(ticket.enterprise_id) if ticket and ticket.enterprise_id else None
        )
    if ticket is None or ticket.department_id is None:
        return None
    return post_for(ticket, enterprise, deps)


def post_for(ticket: Ticket, enterprise: Enterprise | None, deps: Deps) -> Post:
    """The post of a ticket that has a department: the first one, and each edit after."""
    assert ticket.department_id is not None
    lang = deps.directory.group_lang(ticket.department_id)
    if ticket.confidential:  # the group keeps only the fact that it is confidential now
        return Post(t(lang, "posts.confidential", ref=ticket.ref), ())
    company = enterprise.name if enterprise else t(lang, "ticket.unverified_company")
    # "Send /take N" only while anyone of the department may sign for it; a liaison officer's
    # ticket names them instead; once signed for, the post is the card alone.
    key = "posts.ticket"
    if ticket.status is Status.DISPATCHED:
        key = "intake.notice" if ticket.assignee_id is None else "posts.with_liaison"
    text = t(
        lang,
        key,
        company=company,
        card=render.ticket_card(ticket, lang, deps, for_group=True),
        ref=ticket.ref,
        number=ticket.number,
        officer=render.officer_name(ticket.assignee_id, lang, deps.directory),
    )
    takeable = ticket.status is Status.DISPATCHED and ticket.assignee_id is None
    buttons: tuple[Button, ...] = ()
    if takeable:
        buttons = (Button(t(lang, "intake.take_button"), f"cmd:take:{ticket.number}"),)
    elif ticket.status in _BEING_WORKED and ticket.number is not None:  # the next steps, from the post
        buttons = step_buttons(ticket.number, lang)
    return Post(text, buttons)
