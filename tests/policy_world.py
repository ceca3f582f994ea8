"""A world for policy tests: the handler world with member-unit groups, broadcasts to console
chats, and a transport that records what the outbox sender hands it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from bot.config import Settings
from bot.domain.outbox import DeliveryStatus, MessageKind, OutboxMessage
from bot.domain.policies import MemberGroup, Policy, PolicyOptions, Tags
from bot.outbox import OutboxSender, Outcome, Sent
from handlers.deps import Deps
from handlers.policy_publish import Published, add_policy, publish
from tests.conftest import Clock
from tests.world import World, make_world

GROUPS = [
    MemberGroup(
        "huli_makers",
        "湖里区制造业企业群",
        "console",
        "group:makers",
        tags=Tags.of({"industry": ["manufacturing"]}),
    ),
    MemberGroup(
        "traders",
        "外贸小微企业群",
        "console",
        "group:traders",
        tags=Tags.of({"industry": ["trade"], "size_class": ["小微"]}),
    ),
    MemberGroup("huli_all", "湖里区企业群", "console", "group:huli", tags=Tags.of({"district": ["湖里区"]})),
]
ZHENG = "officer:zheng_yu"  # head of industry_it: may publish


@dataclass
class RecordingTransport:
    """Accepts every message (or answers with `answer(message)`), keeps what it was given."""

    channel: str = "console"
    given: list[OutboxMessage] = field(default_factory=list)
    answer: Callable[[OutboxMessage], Outcome] | None = None
    waits: dict[str, float] = field(default_factory=dict)

    def ready_in(self, chat_id: str) -> float:
        return self.waits.get(chat_id, 0.0)

    async def wait_turn(self, chat_id: str) -> None:
        return None

    async def send(self, message: OutboxMessage) -> Outcome:
        self.given.append(message)
        if self.answer is not None:
            return self.answer(message)
        return Sent(f"m{len(self.given)}")

    async def close(self) -> None:
        return None

    def to(self, chat_id: str) -> list[OutboxMessage]:
        return [m for m in self.given if m.chat_id == chat_id]


async def policy_world(settings: Settings, clock: Clock) -> World:
    world = await make_world(settings, clock)
    world.deps = replace(world.deps, policies=PolicyOptions(channels=("console",)))
    async with world.storage() as uow:
        await uow.audience.sync_groups(GROUPS)
        await uow.commit()
    return world


def sender(world: World, transport: RecordingTransport) -> OutboxSender:
    return OutboxSender(world.deps, {transport.channel: transport}, poll_seconds=0.01)


async def outbox(
    world: World, policy_id: int, kind: MessageKind = MessageKind.NOTICE
) -> dict[str, DeliveryStatus]:
    async with world.storage() as uow:
        return {m.chat_id: m.status for m in await uow.outbox.for_policy(policy_id, kind)}


async def publish_to_manufacturers(deps: Deps) -> Published:
    """Add and publish a subsidy for manufacturing enterprises (the demo's xinyuan is one)."""
    draft = await add_policy(
        deps,
        Policy(
            None,
            "智能制造技改补贴",
            "对规上工业企业技改投入给予补贴。",
            "industry_it",
            "cli",
            deps.clock(),
            eligibility=Tags.of({"industry": ["manufacturing"]}),
        ),
    )
    return await publish(deps, draft.id or 0, via=None)
