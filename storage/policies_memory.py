"""The policy repositories in memory, with storage.memory's promises: a unit of work sees its own
writes, others see them after commit, and a commit that would overwrite a change made since it
read (an outbox message claimed twice, a policy moved twice) raises `Conflict` instead."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.domain.enterprise import Contact
from bot.domain.errors import Conflict
from bot.domain.outbox import DeliveryStatus, MessageKind, OutboxMessage
from bot.domain.policies import MemberGroup, Policy, PolicyResponse, PolicyStatus, ResponseKind
from storage.protocols import SenderInfo

ResponseKey = tuple[int, str, str]


@dataclass
class PolicyState:
    policies: dict[int, Policy] = field(default_factory=dict)
    groups: dict[str, tuple[MemberGroup, bool]] = field(default_factory=dict)  # id -> (group, active)
    outbox: dict[int, OutboxMessage] = field(default_factory=dict)
    versions: dict[int, int] = field(default_factory=dict)  # outbox id -> times written
    senders: dict[str, SenderInfo] = field(default_factory=dict)
    responses: dict[ResponseKey, PolicyResponse] = field(default_factory=dict)
    next_policy: int = 1
    next_outbox: int = 1


def _recipient(message: OutboxMessage) -> tuple[str, int | None, str, str]:
    return (message.kind.value, message.policy_id, message.channel, message.chat_id)


class PolicyUnit:
    """One unit of work's view: the shared state plus what this unit changed."""

    def __init__(self, shared: PolicyState, contacts: Callable[[], list[Contact]]) -> None:
        self._shared = shared
        self._contacts = contacts
        self._policies: dict[int, Policy] = {}
        self._moves: dict[int, PolicyStatus] = {}  # policy id -> the status it had when moved
        self._groups: dict[str, tuple[MemberGroup, bool]] | None = None
        self._outbox: dict[int, OutboxMessage] = {}
        self._read: dict[int, int] = {}  # outbox id -> version it had when this unit changed it
        self._senders: dict[str, SenderInfo | None] = {}
        self._responses: dict[ResponseKey, PolicyResponse] = {}
        self._recorded: set[ResponseKey] = set()  # responses new in this unit (not links of old ones)
        self.policies = MemoryPolicies(self)
        self.audience = MemoryAudience(self)
        self.outbox = MemoryOutbox(self)
        self.policy_responses = MemoryPolicyResponses(self)

    # --- merged views ---------------------------------------------------------------------------

    def policy(self, policy_id: int) -> Policy | None:
        return self._policies.get(policy_id) or self._shared.policies.get(policy_id)

    def all_policies(self) -> dict[int, Policy]:
        return {**self._shared.policies, **self._policies}

    def messages(self) -> dict[int, OutboxMessage]:
        return {**self._shared.outbox, **self._outbox}

    def write_message(self, message: OutboxMessage) -> None:
        assert message.id is not None
        if message.id in self._shared.outbox:
            self._read.setdefault(message.id, self._shared.versions.get(message.id, 0))
        self._outbox[message.id] = message

    def all_senders(self) -> dict[str, SenderInfo]:
        merged: dict[str, SenderInfo | None] = {**self._shared.senders, **self._senders}
        return {k: v for k, v in merged.items() if v is not None}

    def all_responses(self) -> dict[ResponseKey, PolicyResponse]:
        return {**self._shared.responses, **self._responses}

    # --- commit -----------------------------------------------------------------------------------

    def check(self) -> None:
        shared = self._shared
        for policy_id, expected in self._moves.items():
            current = shared.policies.get(policy_id)
            if current is not None and current.status is not expected:
                raise Conflict(ticket=f"P{policy_id}")
        for message_id, version in self._read.items():
            if shared.versions.get(message_id, 0) != version:
                raise Conflict(ticket=f"outbox {message_id}")
        for key in self._recorded:
            if key in shared.responses:
                raise Conflict(ticket=f"response {key}")

    def apply(self) -> None:
        shared = self._shared
        shared.policies.update(self._policies)
        if self._groups is not None:
            shared.groups = self._groups
        taken = {_recipient(m) for m in shared.outbox.values()}
        for message_id, message in self._outbox.items():
            if message_id not in shared.outbox and _recipient(message) in taken:
                continue  # another unit enqueued the same recipient first
            shared.outbox[message_id] = message
            shared.versions[message_id] = shared.versions.get(message_id, 0) + 1
        for sender_id, info in self._senders.items():
            if info is None:
                shared.senders.pop(sender_id, None)
            else:
                shared.senders[sender_id] = info
        shared.responses.update(self._responses)


class MemoryPolicies:
    def __init__(self, unit: PolicyUnit) -> None:
        self._u = unit

    async def add(self, policy: Policy) -> Policy:
        stored = replace(policy, id=self._u._shared.next_policy)
        self._u._shared.next_policy += 1
        self._u._policies[stored.id or 0] = stored
        return stored

    async def get(self, policy_id: int) -> Policy | None:
        return self._u.policy(policy_id)

    async def save(self, policy: Policy) -> None:
        if policy.id is not None and self._u.policy(policy.id) is not None:
            self._u._policies[policy.id] = policy

    async def move(self, policy: Policy, expected: PolicyStatus) -> bool:
        assert policy.id is not None
        current = self._u.policy(policy.id)
        if current is None or current.status is not expected:
            return False
        if policy.id in self._u._shared.policies:
            self._u._moves.setdefault(policy.id, self._u._shared.policies[policy.id].status)
        self._u._policies[policy.id] = policy
        return True

    async def listing(self, status: PolicyStatus | None = None, limit: int = 200) -> list[Policy]:
        found = [p for p in self._u.all_policies().values() if status is None or p.status is status]
        return sorted(found, key=lambda p: -(p.id or 0))[:limit]

    async def draft_of(self, officer_id: str) -> Policy | None:
        drafts = [
            p
            for p in self._u.all_policies().values()
            if p.created_by == officer_id and p.status is PolicyStatus.DRAFT and p.draft_step is not None
        ]
        return max(drafts, key=lambda p: p.id or 0, default=None)


class MemoryAudience:
    def __init__(self, unit: PolicyUnit) -> None:
        self._u = unit

    async def sync_groups(self, groups: Sequence[MemberGroup]) -> None:
        current = self._u._groups if self._u._groups is not None else self._u._shared.groups
        merged = {group_id: (group, False) for group_id, (group, _) in current.items()}
        merged.update({g.id: (g, True) for g in groups})
        self._u._groups = merged

    async def groups(self) -> list[MemberGroup]:
        current = self._u._groups if self._u._groups is not None else self._u._shared.groups
        return [group for _, (group, active) in sorted(current.items()) if active]

    async def bound_contacts(self, channels: Collection[str]) -> list[Contact]:
        return sorted(
            (c for c in self._u._contacts() if c.enterprise_id is not None and c.channel in channels),
            key=lambda c: c.id or 0,
        )


class MemoryOutbox:
    def __init__(self, unit: PolicyUnit) -> None:
        self._u = unit

    async def enqueue(self, messages: Sequence[OutboxMessage], at: datetime) -> int:
        taken = {_recipient(m) for m in self._u.messages().values()}
        added = 0
        for message in messages:
            if _recipient(message) in taken:
                continue
            taken.add(_recipient(message))
            stored = replace(
                message,
                id=self._u._shared.next_outbox,
                status=DeliveryStatus.PENDING,
                next_attempt_at=at,
                created_at=at,
            )
            self._u._shared.next_outbox += 1
            self._u._outbox[stored.id or 0] = stored
            added += 1
        return added

    async def claim(
        self, sender_id: str, channels: Collection[str], at: datetime, limit: int
    ) -> list[OutboxMessage]:
        due = sorted(
            (
                m
                for m in self._u.messages().values()
                if m.status is DeliveryStatus.PENDING
                and m.channel in channels
                and m.next_attempt_at is not None
                and m.next_attempt_at <= at
            ),
            key=lambda m: (m.next_attempt_at or at, m.id or 0),
        )[:limit]
        claimed = [
            replace(m, status=DeliveryStatus.SENDING, claimed_by=sender_id, claimed_at=at, attempted_at=None)
            for m in due
        ]
        for message in claimed:
            self._u.write_message(message)
        return claimed

    def _mine(self, message_id: int, sender_id: str) -> OutboxMessage | None:
        message = self._u.messages().get(message_id)
        if message is None or message.status is not DeliveryStatus.SENDING or message.claimed_by != sender_id:
            return None
        return message

    async def begin_attempt(self, message_id: int, sender_id: str, at: datetime) -> bool:
        message = self._mine(message_id, sender_id)
        if message is None:
            return False
        self._u.write_message(replace(message, attempted_at=at))
        return True

    async def mark_sent(self, message_id: int, sender_id: str, platform_id: str, at: datetime) -> bool:
        message = self._mine(message_id, sender_id)
        if message is None:
            return False
        self._u.write_message(
            replace(
                message,
                status=DeliveryStatus.SENT,
                message_id=platform_id,
                sent_at=at,
                attempts=message.attempts + 1,
                last_error=None,
            )
        )
        return True

    async def retry_later(
        self,
        message_id: int,
        sender_id: str,
        due: datetime,
        error: str,
        *,
        attempted: bool,
        in_doubt: bool = False,
    ) -> bool:
        message = self._mine(message_id, sender_id)
        if message is None:
            return False
        self._u.write_message(
            replace(
                message,
                status=DeliveryStatus.PENDING,
                next_attempt_at=due,
                in_doubt=message.in_doubt or in_doubt,
                last_error=error[:300],
                attempts=message.attempts + (1 if attempted else 0),
                claimed_by=None,
                claimed_at=None,
                attempted_at=None,
            )
        )
        return True

    async def give_up(
        self, message_id: int, sender_id: str, status: DeliveryStatus, error: str, at: datetime
    ) -> bool:
        message = self._mine(message_id, sender_id)
        if message is None:
            return False
        self._u.write_message(
            replace(message, status=status, last_error=error[:300], attempts=message.attempts + 1)
        )
        return True

    async def cancel(self, policy_id: int) -> int:
        cancelled = 0
        for message in self._u.messages().values():
            undelivered = message.status is DeliveryStatus.PENDING or (
                message.status is DeliveryStatus.SENDING and message.attempted_at is None
            )
            if message.policy_id == policy_id and message.kind is not MessageKind.REPORT and undelivered:
                self._u.write_message(replace(message, status=DeliveryStatus.CANCELLED))
                cancelled += 1
        return cancelled

    async def counts(self, policy_id: int, kind: MessageKind) -> dict[DeliveryStatus, int]:
        found: dict[DeliveryStatus, int] = {}
        for message in await self.for_policy(policy_id, kind):
            found[message.status] = found.get(message.status, 0) + 1
        return found

    async def for_policy(self, policy_id: int, kind: MessageKind) -> list[OutboxMessage]:
        return sorted(
            (m for m in self._u.messages().values() if m.policy_id == policy_id and m.kind is kind),
            key=lambda m: m.id or 0,
        )

    async def next_due(self, channels: Collection[str]) -> datetime | None:
        due = [
            m.next_attempt_at
            for m in self._u.messages().values()
            if m.status is DeliveryStatus.PENDING and m.channel in channels and m.next_attempt_at is not None
        ]
        return min(due, default=None)

    async def heartbeat(self, sender_id: str, host: str, pid: int, at: datetime) -> None:
        self._u._senders[sender_id] = SenderInfo(sender_id, host, pid, at)

    async def senders(self) -> list[SenderInfo]:
        return [info for _, info in sorted(self._u.all_senders().items())]

    async def forget_sender(self, sender_id: str) -> None:
        self._u._senders[sender_id] = None

    async def release_abandoned(self, alive_since: datetime) -> tuple[int, int]:
        alive = {s.id for s in self._u.all_senders().values() if s.heartbeat_at >= alive_since}
        returned = in_doubt = 0
        for message in list(self._u.messages().values()):
            if message.status is not DeliveryStatus.SENDING or message.claimed_by in alive:
                continue
            released = replace(message, status=DeliveryStatus.PENDING, claimed_by=None, claimed_at=None)
            if message.attempted_at is None:
                returned += 1
            else:
                in_doubt += 1
                released = replace(
                    released,
                    in_doubt=True,
                    attempts=message.attempts + 1,
                    last_error="the sender stopped while calling the platform",
                    attempted_at=None,
                )
            self._u.write_message(released)
        return returned, in_doubt


class MemoryPolicyResponses:
    def __init__(self, unit: PolicyUnit) -> None:
        self._u = unit

    async def record(self, response: PolicyResponse) -> bool:
        key = (response.policy_id, response.kind.value, response.key)
        if key in self._u.all_responses():
            return False
        self._u._responses[key] = response
        self._u._recorded.add(key)
        return True

    async def get(self, policy_id: int, kind: ResponseKind, key: str) -> PolicyResponse | None:
        return self._u.all_responses().get((policy_id, kind.value, key))

    async def link_ticket(self, policy_id: int, kind: ResponseKind, key: str, ticket_number: int) -> None:
        found = await self.get(policy_id, kind, key)
        if found is not None:
            self._u._responses[(policy_id, kind.value, key)] = replace(found, ticket_number=ticket_number)

    async def for_policy(self, policy_id: int) -> list[PolicyResponse]:
        return sorted(
            (r for r in self._u.all_responses().values() if r.policy_id == policy_id), key=lambda r: r.at
        )

    async def open_question(self, contact_id: int, since: datetime) -> PolicyResponse | None:
        open_ones = [
            r
            for r in self._u.all_responses().values()
            if r.contact_id == contact_id
            and r.kind is ResponseKind.ASK
            and r.ticket_number is None
            and r.at >= since
        ]
        return max(open_ones, key=lambda r: r.at, default=None)
