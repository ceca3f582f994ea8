"""After an officer's answer the enterprise is asked two one-tap questions: resolved? satisfied?
"Not resolved" or "dissatisfied" reopens the ticket for the same officer, with the reason."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.errors import DomainError
from bot.domain.lifecycle import answer_resolution, answer_satisfaction, close_unrated, comment
from bot.domain.messages import SYSTEM_ACTOR, Actor, Button, Reply, ToOfficer
from bot.domain.tickets import Resolution, Satisfaction, Status, Ticket
from bot.i18n import t
from handlers import render
from handlers.changes import change_ticket
from handlers.deps import Deps


def resolution_question(ticket: Ticket, lang: str) -> tuple[Button, ...]:
    return tuple(
        Button(t(lang, f"survey.resolution_{answer.value}"), f"survey:{ticket.number}:r:{answer.value}")
        for answer in Resolution
    )


def satisfaction_question(ticket: Ticket, lang: str) -> tuple[Button, ...]:
    return tuple(
        Button(t(lang, f"survey.satisfaction_{answer.value}"), f"survey:{ticket.number}:s:{answer.value}")
        for answer in Satisfaction
    )


async def answer(
    actor: Actor, deps: Deps, number: int, question: str, value: str, text: str = ""
) -> list[Reply]:
    """One answer, from a button (`survey:N:r:resolved`) or a command (/confirm, /notresolved, /rate)."""
    if question == "r" and value in Resolution.__members__.values():
        change = await change_ticket(
            deps,
            actor,
            number,
            lambda ticket: answer_resolution(ticket, actor, Resolution(value), text, deps.clock(), deps.sla),
        )
        ticket = change.ticket
        if ticket.status is Status.REOPENED:
            return _reopened(actor, deps, ticket, text or t(actor.lang, "survey.no_reason"))
        return [
            Reply(
                t(actor.lang, "survey.ask_satisfaction", ref=ticket.ref),
                buttons=satisfaction_question(ticket, actor.lang),
            )
        ]
    if question == "s" and value in Satisfaction.__members__.values():
        change = await change_ticket(
            deps,
            actor,
            number,
            lambda ticket: answer_satisfaction(
                ticket, actor, Satisfaction(value), text, deps.clock(), deps.sla
            ),
        )
        ticket = change.ticket
        if ticket.status is Status.REOPENED:
            return _reopened(actor, deps, ticket, text or t(actor.lang, "survey.dissatisfied_reason"))
        replies = [Reply(t(actor.lang, "survey.thanks", ref=ticket.ref))]
        return replies + _tell_officer(
            deps,
            ticket,
            "survey.closed_notice",
            verdict=t(_officer_lang(deps, ticket), f"survey.satisfaction_{value}"),
        )
    return [Reply(t(actor.lang, "error.stale_button"))]


async def close_unanswered(deps: Deps, window: timedelta | None = None) -> tuple[int, list[Reply]]:
    """Surveys left unanswered for their window close as "not rated"; returns how many, and the
    notices for their officers (the scheduler delivers them; `xiaoer close-surveys` runs it by
    hand). The window is the SLA table's survey_days for the ticket's kind, unless one is given.

    Each ticket is its own unit of work: a conflict on one (the enterprise answered just now)
    leaves it to its answer and does not stop the others."""
    now = deps.clock()
    shortest = window or timedelta(days=deps.sla.table.shortest_survey_days())
    async with deps.storage() as uow:
        candidates = await uow.tickets.stale(Status.SURVEY, now - shortest)
    overdue = [
        ticket for ticket in candidates if ticket.updated_at < now - (window or _survey_window(deps, ticket))
    ]
    replies: list[Reply] = []
    closed = 0
    for ticket in overdue:
        try:
            change = await change_ticket(
                deps,
                SYSTEM_ACTOR,
                ticket.number or 0,
                lambda current: close_unrated(current, SYSTEM_ACTOR, now),
            )
        except DomainError:
            continue
        closed += 1
        replies += _tell_officer(deps, change.ticket, "survey.unrated_notice")
    return closed, replies


def _survey_window(deps: Deps, ticket: Ticket) -> timedelta:
    limits = deps.sla.limits(category=ticket.category, intent=ticket.intent, urgent=ticket.urgent)
    return timedelta(days=limits.survey_days)


async def add_comment(actor: Actor, deps: Deps, number: int, text: str) -> list[Reply]:
    change = await change_ticket(
        deps, actor, number, lambda ticket: comment(ticket, actor, text, deps.clock())
    )
    ticket = change.ticket
    return [
        Reply(t(actor.lang, "survey.comment_kept", ref=ticket.ref)),
        *_tell_officer(deps, ticket, "survey.comment_notice", text=render.excerpt(text, 200)),
    ]


def _reopened(actor: Actor, deps: Deps, ticket: Ticket, reason: str) -> list[Reply]:
    officer = render.officer_name(ticket.assignee_id, actor.lang, deps.directory)
    replies = [Reply(t(actor.lang, "survey.reopened", ref=ticket.ref, officer=officer))]
    return replies + _tell_officer(deps, ticket, "survey.rejected_notice", reason=reason)


def _officer_lang(deps: Deps, ticket: Ticket) -> str:
    officer = deps.directory.officers.get(ticket.assignee_id or "")
    return officer.lang if officer is not None else deps.default_lang


def _tell_officer(deps: Deps, ticket: Ticket, key: str, **params: str) -> list[Reply]:
    officer = deps.directory.officers.get(ticket.assignee_id or "")
    if officer is None:
        return []
    return [
        Reply(t(officer.lang, key, ref=ticket.ref, **params), to=ToOfficer(officer.id), ticket=ticket.number)
    ]
