"""An enterprise follows up on its own demand: progress, urging, withdrawing, feedback.

Each names a ticket (`#42`, `工单42`, ...) or means the sender's latest open one.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.errors import NoOpenTicket
from bot.domain.lifecycle import give_feedback, provide_information, urge, withdraw
from bot.domain.messages import Actor, Reply, ToDepartment, ToOfficer
from bot.domain.similarity import similarity
from bot.domain.tickets import Action, Status, Ticket
from bot.i18n import t
from handlers import render
from handlers.changes import change_ticket
from handlers.deps import Deps
from handlers.enterprise import status
from handlers.pending import TICKET_INTENTS, carries_facts, clearly_other
from handlers.similar import SAME_MATTER
from nlu.types import Parse


async def own_tickets(actor: Actor, deps: Deps) -> list[Ticket]:
    async with deps.storage() as uow:
        if actor.enterprise_id is not None:
            return await uow.tickets.for_enterprise(actor.enterprise_id)
        assert actor.contact_id is not None
        return await uow.tickets.for_contact(actor.contact_id)


async def target(actor: Actor, deps: Deps, ref: int | None, *, open_only: bool = True) -> int:
    if ref is not None:
        return ref
    for ticket in await own_tickets(actor, deps):  # newest first
        if ticket.number is not None and (ticket.status.is_open or not open_only):
            return ticket.number
    raise NoOpenTicket()


async def progress(actor: Actor, deps: Deps, ref: int | None) -> list[Reply]:
    return await status(actor, deps, await target(actor, deps, ref))


async def press(actor: Actor, deps: Deps, ref: int | None, text: str) -> list[Reply]:
    number = await target(actor, deps, ref)
    change = await change_ticket(deps, actor, number, lambda ticket: urge(ticket, actor, text, deps.clock()))
    ticket = change.ticket
    handler = render.officer_name(ticket.assignee_id, actor.lang, deps.directory)
    if ticket.assignee_id is None:
        handler = render.department_name(ticket.department_id, actor.lang, deps.directory)
    replies = [Reply(t(actor.lang, "follow_up.urged", ref=ticket.ref, handler=handler))]
    replies += _notify_handlers(ticket, deps, "follow_up.urge_notice", render.excerpt(text, 200))
    if ticket.urge_count >= 2:  # pressed twice: the department head hears of it too
        department = deps.directory.departments.get(ticket.department_id or "")
        head = deps.directory.officers.get(department.head_officer_id or "") if department else None
        if head is not None and head.id != ticket.assignee_id:
            replies.append(
                Reply(
                    t(
                        head.lang,
                        "follow_up.urge_head_notice",
                        ref=ticket.ref,
                        count=ticket.urge_count,
                        handler=render.officer_name(ticket.assignee_id, head.lang, deps.directory),
                    ),
                    to=ToOfficer(head.id),
                )
            )
    return replies


async def add_information(
    actor: Actor, deps: Deps, ref: int | None, text: str, read_as: Callable[[str], str] | None = None
) -> list[Reply]:
    """More facts from the enterprise; an answer to an officer's question restarts the ticket.
    `read_as`: the information in a reader's language, when Xiaoer words it (`text` is recorded)."""
    number = await target(actor, deps, ref)
    change = await change_ticket(
        deps, actor, number, lambda ticket: provide_information(ticket, actor, text, deps.clock(), deps.sla)
    )
    ticket = change.ticket
    replies = [Reply(t(actor.lang, "follow_up.info_added", ref=ticket.ref))]
    notices = _notify_handlers(ticket, deps, "follow_up.info_notice", render.excerpt(text, 500), read_as)
    return replies + notices


TAKES_UP_QUESTION = 0.15  # Dice similarity to the officer's question from which a text answers it


async def question_of(deps: Deps, number: int) -> str:
    """What the officer last asked on the ticket."""
    async with deps.storage() as uow:
        events = await uow.events.for_ticket(number)
    return next((e.note for e in reversed(events) if e.action is Action.ASK), "")


def answers_officer(
    asked: Ticket, text: str, parse: Parse | None, clarify_below: float, question: str = ""
) -> bool:
    """Whether a message is the answer to what an officer asked on `asked`: an answer may say
    anything, so it is one unless the NLU is sure of something else that carries no facts (a
    short greeting, urging, progress question …), or reads a new demand of another named kind,
    unlike the asked ticket."""
    if parse is None or carries_facts(parse) or not clearly_other(parse, text, clarify_below):
        return True
    if parse.intent in TICKET_INTENTS:
        # "other" is where unsure readings go: no sign of another matter
        other_kind = parse.category not in (None, "other", asked.category)
        # words of the officer's question taken up ("流水和合同已经发到您邮箱了" after "请提供…银行流水和
        # 贷款合同") make it the answer, whatever kind of demand the NLU hears in it
        return (
            not other_kind
            or similarity(text, asked.text) >= SAME_MATTER
            or similarity(text, question) >= TAKES_UP_QUESTION
        )
    return False


async def still_asked(actor: Actor, deps: Deps, number: int) -> list[Reply]:
    """After a message that was not the answer: the officer's question on ticket `number` is still
    open, if it is."""
    if waiting_for_answer(await own_tickets(actor, deps)) != number:
        return []
    return [Reply(t(actor.lang, "follow_up.still_asked", ref=f"#{number}", number=number))]


def waiting_for_answer(mine: list[Ticket]) -> int | None:
    """Of the sender's tickets (newest first), the one whose officer asked them something."""
    for ticket in mine:
        asked = ticket.status is Status.WAITING_ENTERPRISE or (
            ticket.status is Status.EXTENSION and ticket.resume_status is Status.WAITING_ENTERPRISE
        )
        if asked:
            return ticket.number
    return None


async def take_back(actor: Actor, deps: Deps, ref: int | None, text: str) -> list[Reply]:
    number = await target(actor, deps, ref)
    change = await change_ticket(
        deps, actor, number, lambda ticket: withdraw(ticket, actor, text, deps.clock())
    )
    ticket = change.ticket
    replies = [Reply(t(actor.lang, "follow_up.withdrawn", ref=ticket.ref))]
    replies += _notify_handlers(ticket, deps, "follow_up.withdraw_notice", render.excerpt(text, 200))
    return replies


async def feedback(actor: Actor, deps: Deps, ref: int | None, text: str) -> list[Reply]:
    try:
        number = await target(actor, deps, ref, open_only=False)
    except NoOpenTicket:
        return [Reply(t(actor.lang, "follow_up.feedback_thanks_general"))]
    change = await change_ticket(
        deps, actor, number, lambda ticket: give_feedback(ticket, actor, text, deps.clock())
    )
    ticket = change.ticket
    replies = [Reply(t(actor.lang, "follow_up.feedback_thanks", ref=ticket.ref))]
    replies += _notify_handlers(ticket, deps, "follow_up.feedback_notice", render.excerpt(text, 200))
    return replies


def _notify_handlers(
    ticket: Ticket, deps: Deps, key: str, text: str, read_as: Callable[[str], str] | None = None
) -> list[Reply]:
    """The assignee if there is one, else the department's group, each in its own language
    (`read_as`: the text as a reader of that language reads it, when it is Xiaoer's own words)."""
    to: ToOfficer | ToDepartment
    if ticket.assignee_id is not None and ticket.assignee_id in deps.directory.officers:
        officer = deps.directory.officers[ticket.assignee_id]
        to, lang = ToOfficer(officer.id), officer.lang
    elif ticket.department_id is not None:
        to, lang = ToDepartment(ticket.department_id), deps.directory.group_lang(ticket.department_id)
    else:
        return []
    shown = read_as(lang) if read_as is not None else text
    return [Reply(t(lang, key, ref=ticket.ref, text=shown), to=to, ticket=ticket.number)]
