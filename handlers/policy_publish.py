"""Publishing and withdrawing a policy. Publishing moves the draft and queues one outbox message per
recipient in the same transaction, so a policy is never published without its notices or sent
twice by a second press; withdrawing cancels what has not been handed to a platform yet."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.policies import Policy, PolicyRefused, PolicyStatus
from bot.domain.policies import publish as publish_move
from bot.domain.policies import withdraw as withdraw_move
from handlers.deps import Deps
from handlers.policy_audience import Reach, notices, reach


@dataclass(frozen=True)
class Published:
    policy: Policy
    reach: Reach
    queued: int


@dataclass(frozen=True)
class Withdrawn:
    policy: Policy
    cancelled: int


async def add_policy(deps: Deps, policy: Policy) -> Policy:
    async with deps.storage() as uow:
        stored = await uow.policies.add(policy)
        await uow.commit()
    return stored


async def get_policy(deps: Deps, policy_id: int) -> Policy:
    async with deps.storage() as uow:
        policy = await uow.policies.get(policy_id)
    if policy is None:
        raise PolicyRefused("policy.not_found", ref=f"P{policy_id}")
    return policy


async def preview(deps: Deps, policy: Policy) -> Reach:
    """Who the policy would reach if it were published now."""
    async with deps.storage() as uow:
        return await reach(uow, policy, deps)


async def publish(deps: Deps, policy_id: int, *, via: str | None) -> Published:
    """`via`: the chat channel the publisher used (the delivery report goes there), None for the CLI."""
    now = deps.clock()
    async with deps.storage() as uow:
        policy = await uow.policies.get(policy_id)
        if policy is None:
            raise PolicyRefused("policy.not_found", ref=f"P{policy_id}")
        published = publish_move(policy, now, via)
        if not await uow.policies.move(published, PolicyStatus.DRAFT):
            raise PolicyRefused("policy.not_draft", ref=published.ref)
        audience = await reach(uow, published, deps)
        queued = await uow.outbox.enqueue(notices(published, audience, deps), now)
        await uow.commit()
    return Published(published, audience, queued)


async def withdraw(deps: Deps, policy_id: int) -> Withdrawn:
    now = deps.clock()
    async with deps.storage() as uow:
        policy = await uow.policies.get(policy_id)
        if policy is None:
            raise PolicyRefused("policy.not_found", ref=f"P{policy_id}")
        withdrawn = withdraw_move(policy, now)
        if not await uow.policies.move(withdrawn, policy.status):
            raise PolicyRefused("policy.changed", ref=policy.ref)
        cancelled = await uow.outbox.cancel(policy_id)
        await uow.commit()
    return Withdrawn(withdrawn, cancelled)
