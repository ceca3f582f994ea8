"""An application for a policy, or a question about one, becomes a ticket for the issuing
department, linked to the policy through the enterprise's response (one transaction: an
enterprise applies once, however often the button is pressed)."""

from __future__ import annotations

from dataclasses import replace

from bot.domain.enterprise import Enterprise
from bot.domain.lifecycle import dispatch, open_ticket
from bot.domain.messages import SYSTEM_ACTOR, Actor, Button, Recipient, Reply, ToDepartment
from bot.domain.policies import Policy, PolicyResponse, ResponseKind, unmet
from bot.domain.routing import Routing
from bot.domain.sla import deadlines_for
from bot.domain.tickets import Ticket
from bot.i18n import t
from handlers import render, verification
from handlers.deps import Deps


async def open_policy_ticket(
    actor: Actor,
    deps: Deps,
    policy: Policy,
    response: PolicyResponse,
    text: str,
    *,
    channel: str,
    chat_id: str,
    answer_to: Recipient,
    log_entry: int | None = None,
) -> list[Reply]:
    """Open the ticket and keep (or, for a question, complete) the response that asked for it.
    An application already made is answered with its ticket instead."""
    assert actor.contact_id is not None, "only contacts apply or ask"
    now = deps.clock()
    apply = response.kind is ResponseKind.APPLY
    async with deps.storage() as uow:
        if apply:
            earlier = await uow.policy_responses.get(policy.id or 0, ResponseKind.APPLY, response.key)
            if earlier is not None:
                ref = f"#{earlier.ticket_number}" if earlier.ticket_number else "-"
                return [
                    Reply(t(actor.lang, "policy.already_applied", title=policy.title, ref=ref), to=answer_to)
                ]
        enterprise = await uow.enterprises.get(actor.enterprise_id) if actor.enterprise_id else None
        opened = open_ticket(
            actor=actor,
            contact_id=actor.contact_id,
            channel=channel,
            chat_id=chat_id,
            text=_ticket_text(policy, enterprise, text, apply, deps),
            intent="report_demand" if apply else "policy_inquiry",
            category=policy.category,
            urgent=False,
            deadlines=deadlines_for(
                now,
                deps.sla,
                category=policy.category,
                intent="report_demand" if apply else "policy_inquiry",
                urgent=False,
            ),
            at=now,
        )
        # The issuing department answers for its policy, whoever the enterprise's liaison is.
        routing = Routing(department_id=policy.department_id, assignee_id=None, via_liaison=False)
        dispatched = dispatch(opened.ticket, routing, SYSTEM_ACTOR, now)
        ticket = await uow.tickets.add(dispatched.ticket)
        await uow.events.append(
            replace(opened.event, ticket_number=ticket.number),
            replace(dispatched.event, ticket_number=ticket.number),
        )
        linked = replace(response, ticket_number=ticket.number)
        if apply:
            if not await uow.policy_responses.record(linked):  # pressed twice at once: one wins
                return [
                    Reply(t(actor.lang, "policy.already_applied", title=policy.title, ref="-"), to=answer_to)
                ]
        else:
            await uow.policy_responses.link_ticket(
                linked.policy_id, linked.kind, linked.key, ticket.number or 0
            )
        question = await verification.first_question(actor, uow)
        await uow.commit()
    department = render.department_name(policy.department_id, actor.lang, deps.directory)
    key = "policy.applied" if apply else "policy.question_ticket"
    acknowledgement = t(actor.lang, key, title=policy.title, ref=ticket.ref, department=department)
    if enterprise is None:
        acknowledgement += "\n" + t(actor.lang, "intake.unverified")
    replies = [
        Reply(acknowledgement, to=answer_to, ticket=ticket.number),
        _department_post(ticket, enterprise, deps),
    ]
    return replies + ([replace(question, to=answer_to)] if question else [])


def _ticket_text(policy: Policy, enterprise: Enterprise | None, text: str, apply: bool, deps: Deps) -> str:
    """What the officers read: which policy, and whether the records show the enterprise qualifies."""
    lang = deps.directory.group_lang(policy.department_id)
    head = t(
        lang, "policy.ticket_apply" if apply else "policy.ticket_question", ref=policy.ref, title=policy.title
    )
    lines = [head]
    if text:
        lines.append(text)
    if enterprise is not None:
        missing = unmet(policy.eligibility, enterprise)
        if missing:
            names = t(lang, "policy.list_separator").join(t(lang, f"policy.dim_{d}") for d in missing)
            lines.append(t(lang, "policy.ticket_unmet", dimensions=names))
    return "\n".join(lines)


def _department_post(ticket: Ticket, enterprise: Enterprise | None, deps: Deps) -> Reply:
    department_id = ticket.department_id or ""
    lang = deps.directory.group_lang(department_id)
    company = enterprise.name if enterprise else t(lang, "ticket.unverified_company")
    notice = t(
        lang,
        "intake.notice",
        company=company,
        card=render.ticket_card(ticket, lang, deps, for_group=True),
        ref=ticket.ref,
        number=ticket.number,
    )
    return Reply(
        notice,
        to=ToDepartment(department_id),
        buttons=(Button(t(lang, "intake.take_button"), f"cmd:take:{ticket.number}"),),
        ticket=ticket.number,
        post=True,
    )
