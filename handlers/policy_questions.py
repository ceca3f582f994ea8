"""After "Ask a question" under a notice, the enterprise's next message is that question: it
becomes a ticket for the policy's issuing department (within QUESTION_WINDOW of the press).
A short greeting, thanks or progress question meanwhile is not the question: it is handled as
itself and the sender is asked for the question again."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.messages import Actor, Inbound, Reply, ToSender
from bot.domain.policies import Policy, PolicyRefused, PolicyResponse
from bot.i18n import t
from handlers import render
from handlers.deps import Deps
from handlers.policy_publish import get_policy
from handlers.policy_tickets import open_policy_ticket

QUESTION_WINDOW = timedelta(hours=6)


async def _awaited(actor: Actor, deps: Deps) -> tuple[PolicyResponse, Policy] | None:
    """The press of "Ask a question" whose question is still to come, and its policy."""
    if actor.is_staff or actor.contact_id is None:
        return None
    async with deps.storage() as uow:
        asked = await uow.policy_responses.open_question(actor.contact_id, deps.clock() - QUESTION_WINDOW)
    if asked is None:
        return None
    try:
        return asked, await get_policy(deps, asked.policy_id)
    except PolicyRefused:
        return None


async def pending_question(inbound: Inbound, actor: Actor, deps: Deps, log_entry: int) -> list[Reply] | None:
    """The ticket for the question the sender was asked to write, or None if none is awaited."""
    awaited = await _awaited(actor, deps)
    if awaited is None:
        return None
    asked, policy = awaited
    return await open_policy_ticket(
        actor,
        deps,
        policy,
        asked,
        inbound.text,
        channel=inbound.sender.channel,
        chat_id=inbound.chat_id,
        answer_to=ToSender(),
        log_entry=log_entry,
    )


async def ask_again(actor: Actor, deps: Deps) -> list[Reply]:
    """After a message that was not the question: the prompt for it once more, if still awaited."""
    awaited = await _awaited(actor, deps)
    if awaited is None:
        return []
    policy = awaited[1]
    department = render.department_name(policy.department_id, actor.lang, deps.directory)
    return [Reply(t(actor.lang, "policy.ask_prompt", title=policy.title, department=department))]
