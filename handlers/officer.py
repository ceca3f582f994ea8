"""What officers do from their chats: queue, sign for, answer, ask, note, transfer, co-handle,
return, extensions, assign, re-dispatch, resolve with an outcome, merge, history."""

from __future__ import annotations

from collections.abc import Callable

from bot.domain import lifecycle
from bot.domain.errors import NotFound, Usage
from bot.domain.messages import Actor, Button, Reply, Role, ToChat, ToDepartment, ToOfficer, ToSender
from bot.domain.org import Officer
from bot.domain.routing import Routing
from bot.domain.tickets import Change, Outcome, Ticket
from bot.i18n import t
from handlers import follow_up, render
from handlers.changes import change_ticket, load_ticket
from handlers.deps import Deps
from handlers.numbers import small_number
from handlers.org_names import department_and_rest, officer_named
from handlers.survey import resolution_question

# How officers may name an outcome in /resolve (the first word; "resolved" when none is given).
OUTCOME_WORDS = {
    "resolved": Outcome.RESOLVED,
    "已解决": Outcome.RESOLVED,
    "partly": Outcome.PARTLY_RESOLVED,
    "部分解决": Outcome.PARTLY_RESOLVED,
    "nfa": Outcome.NO_FURTHER_ACTION,
    "无需处理": Outcome.NO_FURTHER_ACTION,
    "notours": Outcome.NOT_OUR_RESPONSIBILITY,
    "非本部门职责": Outcome.NOT_OUR_RESPONSIBILITY,
}


QUEUE_LISTED = 50  # /mine lists the urgent, then the oldest, and counts the rest


async def my_queue(actor: Actor, deps: Deps) -> list[Reply]:
    assert actor.officer_id is not None
    assert actor.department_id is not None
    async with deps.storage() as uow:
        tickets = await uow.tickets.queue(actor.officer_id, actor.department_id, QUEUE_LISTED)
        total = len(tickets)
        if total == QUEUE_LISTED:
            total = await uow.tickets.queue_size(actor.officer_id, actor.department_id)
    if not tickets:
        return [Reply(t(actor.lang, "officer.queue_empty"))]
    lines = [render.ticket_line(ticket, actor.lang, deps) for ticket in tickets]
    if total > len(tickets):
        lines.append(t(actor.lang, "officer.queue_more", count=total - len(tickets)))
    return [Reply(t(actor.lang, "officer.queue", count=total, lines="\n".join(lines)))]


async def take_ticket(actor: Actor, deps: Deps, number: int) -> list[Reply]:
    change = await change_ticket(
        deps, actor, number, lambda ticket: lifecycle.take(ticket, actor, deps.clock())
    )
    ticket = change.ticket
    department = render.department_name(ticket.department_id, ticket.lang, deps.directory)
    return [
        Reply(
            t(
                actor.lang,
                "officer.taken",
                ref=ticket.ref,
                respond_by=render.when(ticket.respond_by, actor.lang, deps),
            )
            + "\n"
            + render.ticket_card(ticket, actor.lang, deps)
        ),
        _to_enterprise(
            ticket,
            t(
                ticket.lang,
                "enterprise.taken",
                ref=ticket.ref,
                officer=actor.display_name,
                department=department,
            ),
        ),
    ]


async def reply_to_enterprise(actor: Actor, deps: Deps, number: int, text: str) -> list[Reply]:
    return await _to_enterprise_through(
        actor,
        deps,
        number,
        lambda ticket: lifecycle.reply(ticket, actor, text, deps.clock()),
        acknowledged="officer.reply_sent",
        relayed="enterprise.reply",
    )


async def ask_enterprise(actor: Actor, deps: Deps, number: int, question: str) -> list[Reply]:
    return await _to_enterprise_through(
        actor,
        deps,
        number,
        lambda ticket: lifecycle.ask_information(ticket, actor, question, deps.clock()),
        acknowledged="officer.asked",
        relayed="enterprise.asked",
    )


async def _to_enterprise_through(
    actor: Actor,
    deps: Deps,
    number: int,
    move: Callable[[Ticket], Change],
    *,
    acknowledged: str,
    relayed: str,
) -> list[Reply]:
    """A move whose note the enterprise reads (an answer, a question): the officer hears it went
    (and whether the enterprise can be reached), the enterprise gets it with the officer's name."""
    change = await change_ticket(deps, actor, number, move)
    ticket = change.ticket
    return [
        Reply(t(actor.lang, acknowledged, ref=ticket.ref) + await _reachability(ticket, actor, deps)),
        _to_enterprise(
            ticket,
            t(ticket.lang, relayed, ref=ticket.ref, officer=actor.display_name, text=change.event.note),
        ),
    ]


async def note(actor: Actor, deps: Deps, number: int, text: str) -> list[Reply]:
    change = await change_ticket(
        deps, actor, number, lambda ticket: lifecycle.add_note(ticket, actor, text, deps.clock())
    )
    return [Reply(t(actor.lang, "officer.noted", ref=change.ticket.ref))]


def outcome_and_note(text: str, command: str) -> tuple[Outcome, str]:
    """`[resolved|partly|nfa|notours] result`: the outcome word is optional, the result is not."""
    first, _, rest = text.partition(" ")
    outcome = OUTCOME_WORDS.get(first.lower())
    note = rest if outcome is not None else text
    if not note.strip():
        raise Usage(command=command)
    return outcome or Outcome.RESOLVED, note


def result_for_enterprise(ticket: Ticket, actor: Actor, outcome: Outcome, note: str) -> Reply:
    """The officer's result, with the survey's first question under it."""
    return Reply(
        t(
            ticket.lang,
            f"enterprise.resolved_{outcome.value}",
            ref=ticket.ref,
            officer=actor.display_name,
            text=note.strip(),
        ),
        to=ToChat(ticket.channel, ticket.chat_id),
        buttons=resolution_question(ticket, ticket.lang),
        ticket=ticket.number,
    )


async def resolve_ticket(actor: Actor, deps: Deps, number: int, text: str) -> list[Reply]:
    chosen, note_text = outcome_and_note(text, "resolve")

    def resolve_and_survey(ticket: Ticket) -> list[Change]:
        resolved = lifecycle.resolve(ticket, actor, chosen, note_text, deps.clock())
        return [resolved, lifecycle.start_survey(resolved.ticket, actor, deps.clock())]

    change = await change_ticket(deps, actor, number, resolve_and_survey)
    ticket = change.ticket
    return [
        Reply(t(actor.lang, "officer.resolved", ref=ticket.ref) + await _reachability(ticket, actor, deps)),
        result_for_enterprise(ticket, actor, chosen, note_text),
    ]


async def transfer(actor: Actor, deps: Deps, number: int, text: str) -> list[Reply]:
    department_id, reason = department_and_rest(text, deps.directory, actor.lang)
    if not reason:
        raise Usage(command="transfer")
    change = await change_ticket(
        deps,
        actor,
        number,
        lambda ticket: lifecycle.transfer(ticket, actor, department_id, reason, deps.clock(), deps.sla),
    )
    ticket = change.ticket
    group_lang = deps.directory.group_lang(department_id)
    return [
        Reply(
            t(
                actor.lang,
                "officer.transferred",
                ref=ticket.ref,
                department=render.department_name(department_id, actor.lang, deps.directory),
            )
        ),
        Reply(
            t(
                group_lang,
                "officer.transfer_notice",
                ref=ticket.ref,
                reason=reason.strip(),
                card=render.ticket_card(ticket, group_lang, deps, for_group=True),
            ),
            to=ToDepartment(department_id),
            ticket=ticket.number,
        ),
    ]


async def co_handle(actor: Actor, deps: Deps, number: int, text: str) -> list[Reply]:
    if not text.strip():
        raise Usage(command="cohandle")
    department_id, _ = department_and_rest(text, deps.directory, actor.lang)
    change = await change_ticket(
        deps,
        actor,
        number,
        lambda ticket: lifecycle.add_co_handler(ticket, actor, department_id, deps.clock()),
    )
    ticket = change.ticket
    group_lang = deps.directory.group_lang(department_id)
    return [
        Reply(
            t(
                actor.lang,
                "officer.co_handling",
                ref=ticket.ref,
                department=render.department_name(department_id, actor.lang, deps.directory),
            )
        ),
        Reply(
            t(
                group_lang,
                "officer.co_handle_notice",
                ref=ticket.ref,
                card=render.ticket_card(ticket, group_lang, deps, for_group=True),
            ),
            to=ToDepartment(department_id),
            ticket=ticket.number,
        ),
    ]


async def return_to_dispatch(actor: Actor, deps: Deps, number: int, reason: str) -> list[Reply]:
    change = await change_ticket(
        deps,
        actor,
        number,
        lambda ticket: lifecycle.return_ticket(ticket, actor, reason, deps.clock(), deps.sla),
    )
    ticket = change.ticket
    hub = deps.directory.lead_department("other")
    return [
        Reply(t(actor.lang, "officer.returned", ref=ticket.ref)),
        Reply(
            t(
                deps.directory.group_lang(hub),
                "officer.return_notice",
                ref=ticket.ref,
                reason=reason.strip(),
                officer=actor.display_name,
            ),
            to=ToDepartment(hub),
            ticket=ticket.number,
        ),
    ]


async def redispatch(actor: Actor, deps: Deps, number: int, text: str) -> list[Reply]:
    """/dispatch N department [officer]: send a returned ticket on again."""
    if not text.strip():
        raise Usage(command="dispatch")
    department_id, officer_name = department_and_rest(text, deps.directory, actor.lang)
    officer = officer_named(officer_name, deps.directory, actor.lang, department_id) if officer_name else None
    if officer is not None and officer.department_id != department_id:
        raise Usage(command="dispatch")
    routing = Routing(department_id, officer.id if officer else None, via_liaison=False)
    change = await change_ticket(
        deps, actor, number, lambda ticket: lifecycle.dispatch(ticket, routing, actor, deps.clock())
    )
    ticket = change.ticket
    notice_to = ToOfficer(officer.id) if officer else ToDepartment(department_id)
    lang = officer.lang if officer else deps.directory.group_lang(department_id)
    async with deps.storage() as uow:
        enterprise = await uow.enterprises.get(ticket.enterprise_id) if ticket.enterprise_id else None
    company = enterprise.name if enterprise else t(lang, "ticket.unverified_company")
    return [
        Reply(
            t(
                actor.lang,
                "officer.dispatched",
                ref=ticket.ref,
                department=render.department_name(department_id, actor.lang, deps.directory),
            )
        ),
        Reply(
            t(
                lang,
                "intake.notice",
                company=company,
                card=render.ticket_card(ticket, lang, deps, for_group=officer is None),
                ref=ticket.ref,
                number=ticket.number,
            ),
            to=notice_to,
            ticket=ticket.number,
        ),
    ]


async def assign(actor: Actor, deps: Deps, number: int, text: str) -> list[Reply]:
    if not text.strip():
        raise Usage(command="assign")
    officer = officer_named(text, deps.directory, actor.lang, actor.department_id)
    change = await change_ticket(
        deps,
        actor,
        number,
        lambda ticket: lifecycle.assign(ticket, actor, officer.id, officer.department_id, deps.clock()),
    )
    ticket = change.ticket
    return [
        Reply(t(actor.lang, "officer.assigned", ref=ticket.ref, officer=officer.name)),
        Reply(
            t(
                officer.lang,
                "officer.assigned_notice",
                ref=ticket.ref,
                card=render.ticket_card(ticket, officer.lang, deps),
            ),
            to=ToOfficer(officer.id),
        ),
    ]


async def request_extension(actor: Actor, deps: Deps, number: int, text: str) -> list[Reply]:
    days_text, reason = (*text.split(maxsplit=1), "", "")[:2]  # any white space, the full-width too
    days = small_number(days_text.removesuffix("天"))  # "3天", as it is said
    if days is None or not 1 <= days <= 60 or not reason.strip():
        raise Usage(command="extend")
    change = await change_ticket(
        deps,
        actor,
        number,
        lambda ticket: lifecycle.request_extension(ticket, actor, days, reason, deps.clock()),
    )
    ticket = change.ticket
    replies = [Reply(t(actor.lang, "officer.extension_requested", ref=ticket.ref, days=days))]
    head = _head_of(deps, ticket.department_id)
    if head is None or head.id == actor.officer_id:  # a head's own request goes to an admin
        head = next((o for o in deps.directory.officers.values() if o.role is Role.ADMIN), None)
    if head is not None and head.id != actor.officer_id:
        replies.append(
            Reply(
                buttons=(Button(t(head.lang, "officer.approve_button"), f"cmd:approve:{ticket.number}"),),
                text=t(
                    head.lang,
                    "officer.extension_notice",
                    ref=ticket.ref,
                    days=days,
                    officer=actor.display_name,
                    reason=reason.strip(),
                ),
                to=ToOfficer(head.id),
            )
        )
    return replies


async def decide_extension(actor: Actor, deps: Deps, number: int, text: str, approve: bool) -> list[Reply]:
    if approve:
        change = await change_ticket(
            deps,
            actor,
            number,
            lambda ticket: lifecycle.approve_extension(ticket, actor, deps.clock(), deps.sla),
        )
    else:
        if not text.strip():
            raise Usage(command="rejectext")
        change = await change_ticket(
            deps, actor, number, lambda ticket: lifecycle.reject_extension(ticket, actor, text, deps.clock())
        )
    ticket = change.ticket
    key = "officer.extension_approved" if approve else "officer.extension_rejected"
    replies = [
        Reply(
            t(
                actor.lang,
                key,
                ref=ticket.ref,
                resolve_by=render.when(ticket.resolve_by, actor.lang, deps),
                reason=text.strip(),
            )
        )
    ]
    assignee = deps.directory.officers.get(ticket.assignee_id or "")
    if assignee is not None:
        replies.append(
            Reply(
                t(
                    assignee.lang,
                    key,
                    ref=ticket.ref,
                    reason=text.strip(),
                    resolve_by=render.when(ticket.resolve_by, assignee.lang, deps),
                ),
                to=ToOfficer(assignee.id),
            )
        )
    if approve:
        replies.append(
            _to_enterprise(
                ticket,
                t(
                    ticket.lang,
                    "enterprise.extended",
                    ref=ticket.ref,
                    resolve_by=render.when(ticket.resolve_by, ticket.lang, deps),
                ),
            )
        )
    return replies


async def merge(actor: Actor, deps: Deps, number: int, text: str) -> list[Reply]:
    kept_number = small_number(text)
    if kept_number is None:
        raise Usage(command="merge")
    async with deps.storage() as uow:
        kept = await uow.tickets.get(kept_number)
    if kept is None:
        raise NotFound(ticket=f"#{kept_number}")
    change = await change_ticket(
        deps, actor, number, lambda ticket: lifecycle.merge_into(ticket, kept, actor, deps.clock())
    )
    ticket = change.ticket
    # The kept ticket carries the duplicate's words, in its audit log and to its handler.
    replies = await follow_up.add_information(
        _as_enterprise_of(ticket, deps),
        deps,
        kept_number,
        t(ticket.lang, "officer.merged_text", ref=ticket.ref, text=ticket.text),
    )
    return [
        *[r for r in replies if not isinstance(r.to, ToSender)],
        Reply(t(actor.lang, "officer.merged", ref=ticket.ref, kept=kept.ref)),
        _to_enterprise(ticket, t(ticket.lang, "enterprise.merged", ref=ticket.ref, kept=kept.ref)),
    ]


async def confidential(actor: Actor, deps: Deps, number: int, text: str) -> list[Reply]:
    """/confidential N on|off: only the assignee, the department's head and admins see it."""
    if text.strip() not in ("on", "off"):
        raise Usage(command="confidential")
    on = text.strip() == "on"
    change = await change_ticket(
        deps, actor, number, lambda ticket: lifecycle.set_confidential(ticket, actor, on, deps.clock())
    )
    key = "officer.confidential_on" if on else "officer.confidential_off"
    return [Reply(t(actor.lang, key, ref=change.ticket.ref))]


async def history(actor: Actor, deps: Deps, number: int) -> list[Reply]:
    ticket = await load_ticket(deps, actor, number)
    async with deps.storage() as uow:
        events = await uow.events.for_ticket(number)
        contact = await uow.contacts.get(ticket.contact_id)
    names = {f"contact:{contact.id}": contact.display_name} if contact is not None else {}
    lines = [render.event_line(event, actor.lang, deps, names) for event in events]
    return [Reply(t(actor.lang, "history.title", ref=ticket.ref) + "\n" + "\n".join(lines))]


def _head_of(deps: Deps, department_id: str | None) -> Officer | None:
    department = deps.directory.departments.get(department_id or "")
    if department is None or department.head_officer_id is None:
        return None
    return deps.directory.officers.get(department.head_officer_id)


def _as_enterprise_of(ticket: Ticket, deps: Deps) -> Actor:
    """The enterprise side of a ticket, for steps taken on its behalf (a merge carries its words)."""
    return Actor(
        role=Role.ENTERPRISE,
        display_name="",
        lang=ticket.lang,
        contact_id=ticket.contact_id,
        enterprise_id=ticket.enterprise_id,
    )


def _to_enterprise(ticket: Ticket, text: str) -> Reply:
    return Reply(text, to=ToChat(ticket.channel, ticket.chat_id), ticket=ticket.number)


async def _reachability(ticket: Ticket, actor: Actor, deps: Deps) -> str:
    """A warning for the officer when the enterprise's chat refuses the bot's messages, or when
    nobody of the enterprise has bound a chat yet (a visit's ticket, held by its stand-in)."""
    if ticket.contact_id is None:
        return ""
    async with deps.storage() as uow:
        contact = await uow.contacts.get(ticket.contact_id)
    if contact is not None and not contact.is_chat:
        return "\n" + t(actor.lang, "officer.contact_unbound", enterprise_id=contact.enterprise_id or "")
    if contact is None or contact.unreachable_since is None:
        return ""
    return "\n" + t(
        actor.lang,
        "officer.contact_unreachable",
        since=render.when(contact.unreachable_since, actor.lang, deps),
    )
