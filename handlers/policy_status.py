"""How far a policy got: delivery (sent / failed / blocked, and how many groups and enterprises it
reached), acknowledgements, applications and questions. The same figures make
`xiaoer policy status ID` and the delivery report sent to an officer who published from chat once
every notice has an outcome."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.outbox import DeliveryStatus, MessageKind, OutboxMessage
from bot.domain.policies import Policy, PolicyResponse, ResponseKind
from bot.i18n import t
from handlers import policy_render, render
from handlers.deps import Deps
from handlers.policy_publish import get_policy


@dataclass(frozen=True)
class PolicyReport:
    policy: Policy
    notices: dict[DeliveryStatus, int]
    reminders: dict[DeliveryStatus, int]
    groups_reached: int
    enterprises_reached: int
    in_doubt: int  # sent again after an attempt with an unknown outcome: may have arrived twice
    acknowledgements: int  # people who pressed "got it"
    acknowledging_enterprises: int
    applications: list[PolicyResponse]
    questions: int

    @property
    def done(self) -> bool:
        """Every notice has an outcome (sent, failed, blocked or cancelled)."""
        return not any(self.notices.get(s) for s in (DeliveryStatus.PENDING, DeliveryStatus.SENDING))


async def policy_report(deps: Deps, policy_id: int) -> PolicyReport:
    policy = await get_policy(deps, policy_id)
    async with deps.storage() as uow:
        notices = await uow.outbox.for_policy(policy_id, MessageKind.NOTICE)
        reminders = await uow.outbox.counts(policy_id, MessageKind.REMINDER)
        responses = await uow.policy_responses.for_policy(policy_id)
    sent = [m for m in notices if m.status is DeliveryStatus.SENT]
    acks = [r for r in responses if r.kind is ResponseKind.ACK]
    return PolicyReport(
        policy=policy,
        notices=_count(notices),
        reminders=reminders,
        groups_reached=len({m.group_id for m in sent if m.group_id}),
        enterprises_reached=len({m.enterprise_id for m in sent if m.enterprise_id}),
        in_doubt=sum(m.in_doubt for m in notices),
        acknowledgements=len(acks),
        acknowledging_enterprises=len({r.enterprise_id for r in acks if r.enterprise_id}),
        applications=[r for r in responses if r.kind is ResponseKind.APPLY],
        questions=sum(r.kind is ResponseKind.ASK and r.ticket_number is not None for r in responses),
    )


def _count(messages: Iterable[OutboxMessage]) -> dict[DeliveryStatus, int]:
    found: dict[DeliveryStatus, int] = {}
    for message in messages:
        found[message.status] = found.get(message.status, 0) + 1
    return found


def delivery_line(counts: dict[DeliveryStatus, int], lang: str) -> str:
    return t(
        lang,
        "policy.delivery",
        sent=counts.get(DeliveryStatus.SENT, 0),
        failed=counts.get(DeliveryStatus.FAILED, 0),
        blocked=counts.get(DeliveryStatus.BLOCKED, 0),
        waiting=counts.get(DeliveryStatus.PENDING, 0) + counts.get(DeliveryStatus.SENDING, 0),
        cancelled=counts.get(DeliveryStatus.CANCELLED, 0),
    )


def status_text(report: PolicyReport, lang: str, deps: Deps) -> str:
    policy = report.policy
    tickets = " ".join(f"#{r.ticket_number}" for r in report.applications if r.ticket_number) or "-"
    text = t(
        lang,
        "policy.status",
        line=policy_render.line(policy, lang),
        department=render.department_name(policy.department_id, lang, deps.directory),
        eligibility=policy_render.eligibility(policy.eligibility, lang),
        delivery=delivery_line(report.notices, lang),
        groups=report.groups_reached,
        enterprises=report.enterprises_reached,
        acks=report.acknowledgements,
        ack_enterprises=report.acknowledging_enterprises,
        applications=len(report.applications),
        tickets=tickets,
        questions=report.questions,
        reminders=delivery_line(report.reminders, lang),
    )
    if report.in_doubt:
        text += "\n" + t(lang, "policy.in_doubt", count=report.in_doubt)
    return text


async def queue_delivery_reports(deps: Deps, policy_ids: Iterable[int]) -> int:
    """For policies published from chat whose notices all have an outcome now: the report to the
    publisher, queued once (the outbox keeps one report per policy and chat)."""
    queued = 0
    for policy_id in sorted(set(policy_ids)):
        async with deps.storage() as uow:
            counts = await uow.outbox.counts(policy_id, MessageKind.NOTICE)
            exists = await uow.policies.get(policy_id) is not None
        if not exists or counts.get(DeliveryStatus.PENDING) or counts.get(DeliveryStatus.SENDING):
            continue  # the cheap check first: this runs after every batch the sender sends
        report = await policy_report(deps, policy_id)
        policy = report.policy
        officer = deps.directory.officers.get(policy.created_by)
        chat = officer.identities.get(policy.published_via or "") if officer else None
        if not report.done or officer is None or chat is None or policy.published_via is None:
            continue
        text = t(
            officer.lang,
            "policy.report",
            title=policy.title,
            ref=policy.ref,
            delivery=delivery_line(report.notices, officer.lang),
            groups=report.groups_reached,
            enterprises=report.enterprises_reached,
        )
        message = OutboxMessage(
            kind=MessageKind.REPORT,
            channel=policy.published_via,
            chat_id=chat,
            text=text,
            lang=officer.lang,
            policy_id=policy_id,
        )
        async with deps.storage() as uow:
            queued += await uow.outbox.enqueue([message], deps.clock())
            await uow.commit()
    return queued
