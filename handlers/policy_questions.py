"""After "Ask a question" under a notice, the enterprise's next message is that question: it
becomes a ticket for the policy's issuing department (within QUESTION_WINDOW of the press)."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.messages import Actor, Inbound, Reply, ToSender
from bot.domain.policies import PolicyRefused
from handlers.deps import Deps
from handlers.policy_publish import get_policy
from handlers.policy_tickets import open_policy_ticket

QUESTION_WINDOW = timedelta(hours=6)


async def pending_question(inbound: Inbound, actor: Actor, deps: Deps, log_entry: int) -> list[Reply] | None:
    """The ticket for the question the sender was asked to write, or None if none is awaited."""
    if actor.is_staff or actor.contact_id is None:
        return None
    async with deps.storage() as uow:
        asked = await uow.policy_responses.open_question(actor.contact_id, deps.clock() - QUESTION_WINDOW)
    if asked is None:
        return None
    try:
        policy = await get_policy(deps, asked.policy_id)
    except PolicyRefused:
        return None
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
