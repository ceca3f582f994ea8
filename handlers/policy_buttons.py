"""The buttons of policies (`pol:<action>:<id>`): under a notice, "got it", "I want to apply" and
"ask a question" for enterprises; under a chat draft's preview, "publish" and "discard" for the
officer writing it.

A notice may be pressed in a member-unit group: the answer then goes to the presser's private
chat, not to the whole group.
"""

from __future__ import annotations

from bot.domain.messages import Actor, Inbound, Recipient, Reply, ToChat, ToSender
from bot.domain.permissions import may_manage_policy
from bot.domain.policies import (
    Policy,
    PolicyRefused,
    PolicyResponse,
    PolicyStatus,
    ResponseKind,
    response_key,
)
from bot.i18n import t
from handlers import policy_drafting, render
from handlers.deps import Deps
from handlers.numbers import small_number
from handlers.policy_publish import get_policy
from handlers.policy_tickets import open_policy_ticket

ENTERPRISE_ACTIONS = {"ack": ResponseKind.ACK, "apply": ResponseKind.APPLY, "ask": ResponseKind.ASK}


async def press(inbound: Inbound, actor: Actor, deps: Deps, args: str) -> list[Reply]:
    action, _, id_text = args.partition(":")
    policy_id = small_number(id_text)
    if policy_id is None:
        return [Reply(t(actor.lang, "error.stale_button"))]
    policy = await get_policy(deps, policy_id)
    if action in ("publish", "discard"):
        if not actor.is_staff or not may_manage_policy(actor, policy):
            raise PolicyRefused("policy.not_allowed", ref=policy.ref)
        if action == "publish":
            return await policy_drafting.confirm(actor, deps, policy, inbound.sender.channel)
        return await policy_drafting.discard(actor, deps, policy)
    kind = ENTERPRISE_ACTIONS.get(action)
    if kind is None:
        return [Reply(t(actor.lang, "error.stale_button"))]
    private = private_chat(inbound)
    if actor.is_staff:
        return [Reply(t(actor.lang, "policy.for_enterprises"), to=private)]
    if policy.status is not PolicyStatus.PUBLISHED:
        return [Reply(t(actor.lang, "policy.withdrawn", title=policy.title), to=private)]
    assert actor.contact_id is not None
    now = deps.clock()
    response = PolicyResponse(
        policy_id=policy_id,
        kind=kind,
        key=response_key(kind, actor.contact_id, actor.enterprise_id, now),
        contact_id=actor.contact_id,
        enterprise_id=actor.enterprise_id,
        at=now,
    )
    if kind is ResponseKind.APPLY:
        return await open_policy_ticket(
            actor,
            deps,
            policy,
            response,
            "",
            channel=inbound.sender.channel,
            chat_id=inbound.sender.user_id,
            answer_to=private,
        )
    async with deps.storage() as uow:
        await uow.policy_responses.record(response)  # a second "got it" changes nothing
        await uow.commit()
    if kind is ResponseKind.ACK:
        return [Reply(t(actor.lang, "policy.acknowledged", title=policy.title), to=private)]
    return [Reply(_ask_prompt(policy, actor, deps), to=private)]


def private_chat(inbound: Inbound) -> Recipient:
    """Where to answer a press: the chat it came from if private, else the presser's own chat
    (on Telegram a person's private chat has their user id)."""
    if inbound.chat_id == inbound.sender.user_id:
        return ToSender()
    return ToChat(inbound.sender.channel, inbound.sender.user_id)


def _ask_prompt(policy: Policy, actor: Actor, deps: Deps) -> str:
    department = render.department_name(policy.department_id, actor.lang, deps.directory)
    return t(actor.lang, "policy.ask_prompt", title=policy.title, department=department)
