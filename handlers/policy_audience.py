"""Who a policy reaches: the member-unit groups it matches, and the matching enterprises' people in
their private chats on the broadcast channels (config `policies.channels`)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.enterprise import Contact, Enterprise
from bot.domain.messages import Button
from bot.domain.outbox import MessageKind, OutboxMessage
from bot.domain.policies import (
    DIMENSIONS,
    MemberGroup,
    Policy,
    enterprise_qualifies,
    enterprise_tags,
    group_matches,
    tag_value,
)
from handlers import policy_render
from handlers.deps import Deps
from storage.protocols import UnitOfWork


@dataclass(frozen=True)
class Reach:
    groups: list[MemberGroup]
    enterprises: list[Enterprise]  # every matching enterprise, reachable in chat or not
    chats: list[tuple[Enterprise, Contact]]  # the matching enterprises' people we can message

    @property
    def reachable_enterprises(self) -> int:
        return len({enterprise.id for enterprise, _ in self.chats})

    @property
    def recipients(self) -> int:
        return len(self.groups) + len(self.chats)


async def reach(uow: UnitOfWork, policy: Policy, deps: Deps) -> Reach:
    groups = [g for g in await uow.audience.groups() if group_matches(policy.eligibility, g.tags)]
    enterprises = [e for e in await uow.enterprises.all() if enterprise_qualifies(policy.eligibility, e)]
    by_id = {e.id: e for e in enterprises}
    seen = {(g.channel, g.chat_id) for g in groups}
    chats: list[tuple[Enterprise, Contact]] = []
    for contact in await uow.audience.bound_contacts(deps.policies.channels):
        enterprise = by_id.get(contact.enterprise_id or "")
        if enterprise is not None and (contact.channel, contact.external_id) not in seen:
            seen.add((contact.channel, contact.external_id))
            chats.append((enterprise, contact))
    return Reach(groups, enterprises, chats)


def notices(policy: Policy, reach: Reach, deps: Deps) -> list[OutboxMessage]:
    """One message per recipient chat, in the recipient's language, with the notice's buttons
    (none for a group whose channel reaches it through a robot: nobody can press a button there)."""
    rendered: dict[tuple[str, bool], tuple[str, tuple[Button, ...]]] = {}
    robots = deps.robot_group_channels

    def message(
        lang: str,
        channel: str,
        chat_id: str,
        group_id: str | None = None,
        enterprise_id: str | None = None,
        pressable: bool = True,
    ) -> OutboxMessage:
        if (lang, pressable) not in rendered:  # thousands of recipients, two languages
            rendered[(lang, pressable)] = (
                policy_render.notice(policy, lang, deps, pressable=pressable),
                policy_render.notice_buttons(policy, lang) if pressable else (),
            )
        text, buttons = rendered[(lang, pressable)]
        return OutboxMessage(
            kind=MessageKind.NOTICE,
            channel=channel,
            chat_id=chat_id,
            text=text,
            buttons=buttons,
            lang=lang,
            policy_id=policy.id,
            group_id=group_id,
            enterprise_id=enterprise_id,
        )

    return [
        message(g.lang, g.channel, g.chat_id, group_id=g.id, pressable=g.channel not in robots)
        for g in reach.groups
    ] + [
        message(contact.lang, contact.channel, contact.external_id, enterprise_id=enterprise.id)
        for enterprise, contact in reach.chats
    ]


def unknown_values(
    policy: Policy, groups: list[MemberGroup], enterprises: list[Enterprise]
) -> dict[str, list[str]]:
    """Eligibility values no group or enterprise carries (a typo, or a name used differently),
    per dimension; the operator is told before anything is sent."""
    known: dict[str, set[str]] = {d: set() for d in DIMENSIONS}
    for tags in [g.tags for g in groups] + [enterprise_tags(e) for e in enterprises]:
        for d in DIMENSIONS:
            known[d].update(tag_value(v) for v in tags.values(d))
    unknown = {
        d: sorted(v for v in policy.eligibility.values(d) if tag_value(v) not in known[d]) for d in DIMENSIONS
    }
    return {d: values for d, values in unknown.items() if values}


def known_values(groups: list[MemberGroup], enterprises: list[Enterprise], dimension: str) -> list[str]:
    values = {v for g in groups for v in g.tags.values(dimension)}
    values |= {v for e in enterprises for v in enterprise_tags(e).values(dimension)}
    return sorted(values)
