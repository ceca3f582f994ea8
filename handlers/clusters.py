"""One problem, several enterprises: group their tickets under a lead and answer them all."""

from __future__ import annotations

from collections.abc import Callable

from bot.domain import lifecycle
from bot.domain.errors import DomainError, NotFound, Usage
from bot.domain.messages import Actor, Reply, ToChat, ToOfficer
from bot.domain.tickets import Action, Change, Ticket
from bot.i18n import t
from handlers.changes import change_ticket
from handlers.deps import Deps
from handlers.explain import explain
from handlers.numbers import small_number
from handlers.officer import outcome_and_note, result_for_enterprise


async def group(actor: Actor, deps: Deps, lead: int, text: str) -> list[Reply]:
    """/cluster LEAD N [N ...]: the lead joins too, so the group is one query away. A lead the
    officer may not group refuses the whole group; members refused are named with the reason."""
    parsed = [small_number(part) for part in text.split()]
    numbers = list(dict.fromkeys(n for n in parsed if n is not None and n != lead))
    if not numbers or None in parsed:
        raise Usage(command="cluster")
    led = await change_ticket(
        deps, actor, lead, lambda ticket: lifecycle.join_cluster(ticket, actor, lead, deps.clock())
    )
    joined, skipped = [led.ticket.ref], []
    for number in numbers:
        try:
            change = await change_ticket(
                deps, actor, number, lambda ticket: lifecycle.join_cluster(ticket, actor, lead, deps.clock())
            )
            joined.append(change.ticket.ref)
        except DomainError as refusal:
            skipped.append((f"#{number}", explain(refusal, actor, deps.directory)))
    replies = []
    if len(joined) > 1:
        replies.append(Reply(t(actor.lang, "cluster.joined", refs=", ".join(joined), lead=f"#{lead}")))
    return replies + _skipped(actor, skipped)


async def reply_all(actor: Actor, deps: Deps, lead: int, text: str) -> list[Reply]:
    """One answer to every open ticket of the group; tickets nobody signed for are signed first."""

    def steps(ticket: Ticket) -> list[Change]:
        changes = _sign_if_needed(ticket, actor, deps)
        return [
            *changes,
            lifecycle.reply(changes[-1].ticket if changes else ticket, actor, text, deps.clock()),
        ]

    before = await _assignees(deps, lead)
    done, skipped = await _each(actor, deps, lead, steps)
    replies = [Reply(t(actor.lang, "cluster.replied", lead=f"#{lead}", count=len(done)))]
    replies += _taken_over(actor, deps, lead, before, done)
    replies += [
        Reply(
            t(ticket.lang, "enterprise.reply", ref=ticket.ref, officer=actor.display_name, text=text.strip()),
            to=ToChat(ticket.channel, ticket.chat_id),
        )
        for ticket in done
    ]
    return replies + _skipped(actor, skipped)


async def resolve_all(actor: Actor, deps: Deps, lead: int, text: str) -> list[Reply]:
    chosen, note = outcome_and_note(text, "resolveall")

    def steps(ticket: Ticket) -> list[Change]:
        changes = _sign_if_needed(ticket, actor, deps)
        resolved = lifecycle.resolve(
            changes[-1].ticket if changes else ticket, actor, chosen, note, deps.clock()
        )
        return [*changes, resolved, lifecycle.start_survey(resolved.ticket, actor, deps.clock())]

    before = await _assignees(deps, lead)
    done, skipped = await _each(actor, deps, lead, steps)
    replies = [Reply(t(actor.lang, "cluster.resolved", lead=f"#{lead}", count=len(done)))]
    replies += _taken_over(actor, deps, lead, before, done)
    replies += [result_for_enterprise(ticket, actor, chosen, note) for ticket in done]
    return replies + _skipped(actor, skipped)


def _sign_if_needed(ticket: Ticket, actor: Actor, deps: Deps) -> list[Change]:
    if lifecycle.applies(Action.TAKE, ticket.status):
        return [lifecycle.take(ticket, actor, deps.clock())]
    return []


async def _each(
    actor: Actor, deps: Deps, lead: int, steps: Callable[[Ticket], list[Change]]
) -> tuple[list[Ticket], list[tuple[str, str]]]:
    async with deps.storage() as uow:
        members = [m for m in await uow.tickets.in_cluster(lead) if m.status.is_open]
    if not members:
        raise NotFound(ticket=f"#{lead}")
    done, skipped = [], []
    for member in members:
        try:
            done.append((await change_ticket(deps, actor, member.number or 0, steps)).ticket)
        except DomainError as refusal:  # one ticket's refusal does not stop the others
            skipped.append((member.ref, explain(refusal, actor, deps.directory)))
    return done, skipped


def _taken_over(
    actor: Actor, deps: Deps, lead: int, before: dict[int, str | None], done: list[Ticket]
) -> list[Reply]:
    """Officers whose tickets the group's handler signed for hear that it is handled."""
    notices = []
    for ticket in done:
        previous = before.get(ticket.number or 0)
        officer = deps.directory.officers.get(previous or "")
        if officer is not None and officer.id != actor.officer_id:
            notices.append(
                Reply(
                    t(
                        officer.lang,
                        "cluster.taken_over",
                        ref=ticket.ref,
                        officer=actor.display_name,
                        lead=f"#{lead}",
                    ),
                    to=ToOfficer(officer.id),
                    ticket=ticket.number,
                )
            )
    return notices


async def _assignees(deps: Deps, lead: int) -> dict[int, str | None]:
    async with deps.storage() as uow:
        return {m.number or 0: m.assignee_id for m in await uow.tickets.in_cluster(lead)}


def _skipped(actor: Actor, skipped: list[tuple[str, str]]) -> list[Reply]:
    if not skipped:
        return []
    refs = ", ".join(ref for ref, _ in skipped)
    return [Reply(t(actor.lang, "cluster.skipped", refs=refs, reason=skipped[0][1]))]
