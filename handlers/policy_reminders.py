"""Deadline reminders: the people of every enterprise that qualifies for a published policy and has
not applied hear of it `policies.remind_days_before` days before its deadline, through the outbox.
Each chat is reminded once per policy (the outbox keeps one reminder per recipient), so the job
may run as often as one likes: daily from the scheduler, or `xiaoer policy remind` from cron."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.messages import Button
from bot.domain.outbox import MessageKind, OutboxMessage
from bot.domain.policies import Policy, PolicyStatus, ResponseKind, reminder_due
from bot.i18n import t
from handlers import policy_render
from handlers.deps import Deps
from handlers.policy_audience import reach


@dataclass(frozen=True)
class ReminderRun:
    policies: int  # published policies whose deadline is near
    queued: int  # reminders newly queued (chats reminded before are not counted again)


def _buttons(policy: Policy, lang: str) -> tuple[Button, ...]:
    return tuple(
        Button(t(lang, f"policy.button_{action}"), f"pol:{action}:{policy.id}") for action in ("apply", "ask")
    )


async def policy_reminders(deps: Deps, now: datetime) -> ReminderRun:
    today = now.astimezone(deps.timezone).date()
    queued = 0
    async with deps.storage() as uow:
        due = [
            p
            for p in await uow.policies.listing(PolicyStatus.PUBLISHED, limit=10_000)
            if reminder_due(p, today, deps.policies.remind_days_before)
        ]
        for policy in due:
            assert policy.id is not None
            assert policy.deadline is not None
            applied = {
                r.enterprise_id
                for r in await uow.policy_responses.for_policy(policy.id)
                if r.kind is ResponseKind.APPLY and r.enterprise_id is not None
            }
            audience = await reach(uow, policy, deps)
            days_left = (policy.deadline - today).days
            messages = [
                OutboxMessage(
                    kind=MessageKind.REMINDER,
                    channel=contact.channel,
                    chat_id=contact.external_id,
                    text=policy_render.reminder(policy, contact.lang, days_left, deps),
                    buttons=_buttons(policy, contact.lang),
                    lang=contact.lang,
                    policy_id=policy.id,
                    enterprise_id=enterprise.id,
                )
                for enterprise, contact in audience.chats
                if enterprise.id not in applied
            ]
            queued += await uow.outbox.enqueue(messages, now)
        await uow.commit()
    return ReminderRun(len(due), queued)
