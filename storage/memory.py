"""An in-memory implementation of the storage protocols, for handler tests and benchmarks.

It keeps the SQL implementation's promises (the contract suite checks both): numbers come from
shared counters at add time, like database sequences; a unit of work sees its own writes, and
others see them only after commit; a stale ticket update raises `Conflict`; duplicates raise
`Duplicate`; a commit applies only what that unit of work changed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from types import TracebackType
from typing import Self

from bot.domain.enterprise import Contact, Enterprise
from bot.domain.errors import Conflict
from bot.domain.escalation import ClockedTicket, DueTicket, Level, NudgeKey
from bot.domain.kpi import KpiCounts
from bot.domain.org import Directory
from bot.domain.report import OverdueTicket, ResolveTimes, VolumeCount
from bot.domain.tickets import Action, ClosingReason, Resolution, Satisfaction, Status, Ticket, TicketEvent
from storage.policies_memory import (
    MemoryAudience,
    MemoryOutbox,
    MemoryPolicies,
    MemoryPolicyResponses,
    PolicyState,
    PolicyUnit,
)
from storage.protocols import Duplicate, LoggedMessage, RecentDemand


@dataclass
class _Logged:
    message: LoggedMessage
    received_at: datetime
    payload: str | None
    handled_at: datetime | None = None


@dataclass
class _State:
    tickets: dict[int, Ticket] = field(default_factory=dict)
    events: list[TicketEvent] = field(default_factory=list)
    enterprises: dict[str, Enterprise] = field(default_factory=dict)
    contacts: dict[int, Contact] = field(default_factory=dict)
    officers: dict[str, bool] = field(default_factory=dict)  # id -> active
    messages: dict[int, _Logged] = field(default_factory=dict)
    updates: set[tuple[str, str]] = field(default_factory=set)
    sent: dict[tuple[str, str, str], int] = field(default_factory=dict)
    posts: set[tuple[str, str, str]] = field(default_factory=set)
    topics: dict[tuple[str, str, int], str] = field(default_factory=dict)
    invites: dict[str, tuple[str, datetime, datetime | None]] = field(default_factory=dict)
    checks: dict[int, tuple[int, datetime | None]] = field(default_factory=dict)  # number -> (version, at)
    nudges: set[NudgeKey] = field(default_factory=set)
    digests: set[tuple[str, str, date]] = field(default_factory=set)


class MemoryStorage:
    """Makes units of work over one shared in-memory state."""

    def __init__(self) -> None:
        self.state = _State()
        self.policy_state = PolicyState()
        self.next_ticket = 1
        self.next_contact = 1
        self.next_message = 1
        # Nudge keys claimed by a unit of work not yet committed: others see them as taken, as a
        # database's unique index makes a second inserter wait for the first and then skip.
        self.claiming: dict[NudgeKey | tuple[str, str, date], MemoryUnitOfWork] = {}

    def __call__(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self)


class MemoryUnitOfWork:
    def __init__(self, storage: MemoryStorage) -> None:
        self._storage = storage

    async def __aenter__(self) -> Self:
        self._begin()
        return self

    def _begin(self) -> None:
        self._staged = _State()
        self._read_versions: dict[int, int] = {}
        shared, staged = self._storage.state, self._staged
        self.tickets = _Tickets(self._storage, shared, staged, self._read_versions)
        self.events = _Events(shared, staged)
        self.enterprises = _Enterprises(shared, staged)
        self.contacts = _Contacts(self._storage, shared, staged)
        self.org = _Org(shared, staged)
        self.messages = _Messages(self._storage, shared, staged)
        self.kpi = _Kpi(shared, staged)
        self.reports = _Reports(shared, staged)
        self.updates = _Updates(shared, staged)
        self.sent = _Sent(shared, staged)
        self.invites = _Invites(shared, staged)
        self.reminders = _Reminders(self._storage, self, shared, staged)
        self._policy = PolicyUnit(
            self._storage.policy_state, lambda: [*{**shared.contacts, **staged.contacts}.values()]
        )

    @property
    def policies(self) -> MemoryPolicies:
        return self._policy.policies

    @property
    def audience(self) -> MemoryAudience:
        return self._policy.audience

    @property
    def outbox(self) -> MemoryOutbox:
        return self._policy.outbox

    @property
    def policy_responses(self) -> MemoryPolicyResponses:
        return self._policy.policy_responses

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._release()
        self._begin()  # drop whatever was not committed

    def _release(self) -> None:
        claiming = self._storage.claiming
        for key in [key for key, owner in claiming.items() if owner is self]:
            del claiming[key]

    async def commit(self) -> None:
        shared, staged = self._storage.state, self._staged
        for number, version in self._read_versions.items():
            current = shared.tickets.get(number)
            if current is not None and current.version != version:
                raise Conflict(ticket=f"#{number}")
        for key in staged.enterprises:
            if key in shared.enterprises:
                raise Duplicate(f"enterprise {key}")
        self._policy.check()
        shared.tickets.update(staged.tickets)
        shared.events.extend(staged.events)
        shared.enterprises.update(staged.enterprises)
        shared.contacts.update(staged.contacts)
        shared.officers.update(staged.officers)
        shared.messages.update(staged.messages)
        shared.updates.update(staged.updates)
        shared.sent.update(staged.sent)
        shared.posts.update(staged.posts)
        for topic_key, thread in staged.topics.items():
            shared.topics.setdefault(topic_key, thread)  # the first topic made for a ticket stays
        for code, (enterprise_id, expires, used) in staged.invites.items():
            if used is not None and shared.invites.get(code, ("", expires, None))[2] is not None:
                raise Conflict(ticket=f"invite {code}")  # another unit of work used it first
            shared.invites[code] = (enterprise_id, expires, used)
        shared.checks.update(staged.checks)
        shared.nudges |= staged.nudges
        shared.digests |= staged.digests
        self._policy.apply()
        self._release()
        self._begin()


class _Part:
    def __init__(self, shared: _State, staged: _State) -> None:
        self._shared = shared
        self._staged = staged


class _Tickets(_Part):
    def __init__(
        self, storage: MemoryStorage, shared: _State, staged: _State, read_versions: dict[int, int]
    ) -> None:
        super().__init__(shared, staged)
        self._storage = storage
        self._read_versions = read_versions

    def _all(self) -> dict[int, Ticket]:
        return {**self._shared.tickets, **self._staged.tickets}

    async def add(self, ticket: Ticket) -> Ticket:
        number = self._storage.next_ticket
        self._storage.next_ticket += 1
        stored = replace(ticket, number=number, version=0)
        self._staged.tickets[number] = stored
        return stored

    async def get(self, number: int) -> Ticket | None:
        return self._all().get(number)

    async def many(self, numbers: Sequence[int]) -> list[Ticket]:
        tickets = self._all()
        return [tickets[number] for number in sorted(set(numbers)) if number in tickets]

    async def update(self, ticket: Ticket) -> Ticket:
        assert ticket.number is not None
        current = self._all().get(ticket.number)
        if current is None or current.version != ticket.version:
            raise Conflict(ticket=ticket.ref)
        if ticket.number in self._shared.tickets:
            self._read_versions.setdefault(ticket.number, ticket.version)
        stored = replace(ticket, version=ticket.version + 1)
        self._staged.tickets[ticket.number] = stored
        return stored

    async def for_enterprise(self, enterprise_id: str, limit: int = 20) -> list[Ticket]:
        found = [t for t in self._all().values() if t.enterprise_id == enterprise_id]
        return sorted(found, key=lambda t: -(t.number or 0))[:limit]

    async def for_contact(self, contact_id: int, limit: int = 20) -> list[Ticket]:
        found = [t for t in self._all().values() if t.contact_id == contact_id]
        return sorted(found, key=lambda t: -(t.number or 0))[:limit]

    async def queue(
        self, officer_id: str, department_id: str, limit: int = 50, *, unanswered: bool = False
    ) -> list[Ticket]:
        found = self._queued(officer_id, department_id, unanswered)
        return sorted(found, key=lambda t: (not t.urgent, t.number or 0))[:limit]

    async def queue_size(self, officer_id: str, department_id: str, *, unanswered: bool = False) -> int:
        return len(self._queued(officer_id, department_id, unanswered))

    def _queued(self, officer_id: str, department_id: str, unanswered: bool) -> list[Ticket]:
        done = {Status.CLOSED, *((Status.REPLIED, Status.SURVEY) if unanswered else ())}
        return [
            t
            for t in self._all().values()
            if t.status not in done
            and (
                t.assignee_id == officer_id
                or (t.assignee_id is None and t.department_id == department_id and not t.confidential)
            )
        ]

    async def recent_open(self, category: str | None, since: datetime, limit: int = 200) -> list[Ticket]:
        found = [
            t
            for t in self._all().values()
            if t.status is not Status.CLOSED and t.category == category and t.created_at >= since
        ]
        return sorted(found, key=lambda t: -(t.number or 0))[:limit]

    async def recent_demands(self, category: str | None, since: datetime, limit: int) -> list[RecentDemand]:
        return [
            RecentDemand(t.number or 0, t.enterprise_id, t.contact_id, t.cluster_of, t.text)
            for t in await self.recent_open(category, since, limit)
        ]

    async def stale(self, status: Status, updated_before: datetime, limit: int = 500) -> list[Ticket]:
        found = [t for t in self._all().values() if t.status is status and t.updated_at < updated_before]
        return sorted(found, key=lambda t: t.updated_at)[:limit]

    async def in_cluster(self, lead: int) -> list[Ticket]:
        return sorted((t for t in self._all().values() if t.cluster_of == lead), key=lambda t: t.number or 0)


class _Events(_Part):
    async def append(self, event: TicketEvent) -> None:
        assert event.ticket_number is not None, "an event is stored only for a stored ticket"
        self._staged.events.append(event)

    async def for_ticket(self, number: int) -> list[TicketEvent]:
        return [e for e in self._shared.events + self._staged.events if e.ticket_number == number]


class _Enterprises(_Part):
    async def get(self, enterprise_id: str) -> Enterprise | None:
        return self._staged.enterprises.get(enterprise_id) or self._shared.enterprises.get(enterprise_id)

    async def add(self, enterprise: Enterprise) -> None:
        if enterprise.id in self._shared.enterprises or enterprise.id in self._staged.enterprises:
            raise Duplicate(f"enterprise {enterprise.id}")
        self._staged.enterprises[enterprise.id] = enterprise

    async def all(self) -> list[Enterprise]:
        merged = {**self._shared.enterprises, **self._staged.enterprises}
        return [merged[k] for k in sorted(merged)]


class _Contacts(_Part):
    def __init__(self, storage: MemoryStorage, shared: _State, staged: _State) -> None:
        super().__init__(shared, staged)
        self._storage = storage

    async def by_identity(self, channel: str, external_id: str) -> Contact | None:
        for contact in [*self._shared.contacts.values(), *self._staged.contacts.values()]:
            if contact.channel == channel and contact.external_id == external_id:
                return contact
        return None

    async def get(self, contact_id: int) -> Contact | None:
        return self._staged.contacts.get(contact_id) or self._shared.contacts.get(contact_id)

    async def bind(self, contact_id: int, enterprise_id: str) -> None:
        contact = await self.get(contact_id)
        if contact is not None:
            self._staged.contacts[contact_id] = replace(contact, enterprise_id=enterprise_id)

    async def set_claims(
        self, contact_id: int, *, company: str | None, uscc: str | None, asking: str | None
    ) -> None:
        contact = await self.get(contact_id)
        if contact is not None:
            self._staged.contacts[contact_id] = replace(
                contact, claimed_company=company, claimed_uscc=uscc, asking=asking
            )

    async def set_unreachable(self, channel: str, external_id: str, since: datetime | None) -> None:
        contact = await self.by_identity(channel, external_id)
        if contact is not None and contact.id is not None:
            self._staged.contacts[contact.id] = replace(contact, unreachable_since=since)

    async def set_lang(self, contact_id: int, lang: str, *, chosen: bool = False) -> None:
        contact = await self.get(contact_id)
        if contact is not None:
            self._staged.contacts[contact_id] = replace(contact, lang=lang, lang_chosen=chosen)

    async def add(self, contact: Contact) -> Contact:
        if await self.by_identity(contact.channel, contact.external_id) is not None:
            raise Duplicate(f"contact {contact.channel}:{contact.external_id}")
        stored = replace(contact, id=self._storage.next_contact)
        self._storage.next_contact += 1
        self._staged.contacts[stored.id or 0] = stored
        return stored


class _Org(_Part):
    async def sync(self, directory: Directory) -> None:
        for officer_id in {**self._shared.officers, **self._staged.officers}:
            self._staged.officers[officer_id] = False
        for officer_id in directory.officers:
            self._staged.officers[officer_id] = True

    async def active_officer_ids(self) -> list[str]:
        merged = {**self._shared.officers, **self._staged.officers}
        return sorted(k for k, active in merged.items() if active)


class _Messages(_Part):
    def __init__(self, storage: MemoryStorage, shared: _State, staged: _State) -> None:
        super().__init__(shared, staged)
        self._storage = storage

    async def record(
        self,
        *,
        received_at: datetime,
        channel: str,
        chat_id: str,
        sender_id: str,
        text: str,
        payload: str | None,
    ) -> int:
        entry_id = self._storage.next_message
        self._storage.next_message += 1
        self._staged.messages[entry_id] = _Logged(
            LoggedMessage(channel, chat_id, sender_id, text, None), received_at, payload
        )
        return entry_id

    async def link_ticket(self, entry_id: int, ticket_number: int) -> None:
        entry = self._staged.messages.get(entry_id) or self._shared.messages.get(entry_id)
        if entry is not None:
            self._staged.messages[entry_id] = replace(
                entry, message=replace(entry.message, ticket_number=ticket_number)
            )

    async def get(self, entry_id: int) -> LoggedMessage | None:
        entry = self._staged.messages.get(entry_id) or self._shared.messages.get(entry_id)
        return entry.message if entry is not None else None

    async def claim(self, entry_id: int, at: datetime) -> bool:
        entry = self._staged.messages.get(entry_id) or self._shared.messages.get(entry_id)
        if entry is None or entry.handled_at is not None or entry.message.ticket_number is not None:
            return False
        self._staged.messages[entry_id] = replace(entry, handled_at=at)
        return True


class _Kpi(_Part):
    """The same counts as storage.kpi_sql, computed in Python (the contract suite compares them)."""

    async def counts(self, since: datetime, until: datetime, as_of: datetime) -> KpiCounts:
        tickets = [
            t
            for t in {**self._shared.tickets, **self._staged.tickets}.values()
            if since <= t.created_at < until
        ]
        numbers = {t.number for t in tickets}
        events = [e for e in self._shared.events + self._staged.events if e.ticket_number in numbers]
        rated = [t for t in tickets if t.rated]
        closed = [
            t
            for t in tickets
            if t.status is Status.CLOSED
            and t.closing_reason not in (ClosingReason.WITHDRAWN, ClosingReason.DUPLICATE)
        ]
        return KpiCounts(
            dispatched=sum(t.department_id is not None for t in tickets),
            responded_in_time=sum(
                t.signed_at is not None
                and t.first_contact_at is not None
                and t.signed_at <= (t.sign_by or t.respond_by)
                and t.first_contact_at <= t.respond_by
                for t in tickets
            ),
            response_pending=sum(_response_pending(t, as_of) for t in tickets),
            rated=len(rated),
            resolved=sum(t.resolution is Resolution.RESOLVED for t in rated),
            satisfied=sum(t.satisfaction in (Satisfaction.SATISFIED, Satisfaction.BASICALLY) for t in rated),
            closed=len(closed),
            closed_on_time=sum(
                (answered := _answered_at(t, events)) is not None and answered <= t.resolve_by for t in closed
            ),
            surveyed=len({e.ticket_number for e in events if e.action is Action.START_SURVEY}),
            reopened=len({e.ticket_number for e in events if e.to_status is Status.REOPENED}),
        )


class _Reports(_Part):
    """The same figures as storage.report_sql, computed in Python (the contract suite compares them)."""

    def _opened(self, since: datetime, until: datetime) -> list[Ticket]:
        merged = {**self._shared.tickets, **self._staged.tickets}
        return [t for t in merged.values() if since <= t.created_at < until]

    @staticmethod
    def _handled(ticket: Ticket) -> bool:
        return ticket.closing_reason not in (ClosingReason.WITHDRAWN, ClosingReason.DUPLICATE)

    async def volume(self, since: datetime, until: datetime) -> list[VolumeCount]:
        counted = Counter((t.category, t.department_id) for t in self._opened(since, until))
        return [VolumeCount(category, department, n) for (category, department), n in counted.items()]

    async def resolve_times(self, since: datetime, until: datetime) -> ResolveTimes:
        took = [
            (t.closed_at - t.created_at).total_seconds()
            for t in self._opened(since, until)
            if t.status is Status.CLOSED and t.closed_at is not None and self._handled(t)
        ]
        return ResolveTimes(closed=len(took), total_seconds=sum(took))

    async def most_overdue(
        self, since: datetime, until: datetime, as_of: datetime, limit: int = 10
    ) -> list[OverdueTicket]:
        found = []
        events = self._shared.events + self._staged.events
        answered_statuses = (Status.REPLIED, Status.SURVEY, Status.CLOSED)
        for t in self._opened(since, until):
            answered = _answered_at(t, events) if t.status in answered_statuses else None
            overdue = ((answered or t.closed_at or t.paused_at or as_of) - t.resolve_by).total_seconds()
            if overdue > 0 and self._handled(t) and t.number is not None:
                found.append(
                    OverdueTicket(
                        t.number,
                        t.category,
                        t.department_id,
                        t.assignee_id,
                        t.status,
                        t.resolve_by,
                        overdue,
                        t.confidential,
                    )
                )
        return sorted(found, key=lambda o: (-o.overdue_seconds, o.number))[:limit]


class _Updates(_Part):
    async def claim(self, channel: str, update_id: str, at: datetime) -> bool:
        key = (channel, update_id)
        if key in self._shared.updates or key in self._staged.updates:
            return False
        self._staged.updates.add(key)
        return True


class _Sent(_Part):
    async def record(
        self, channel: str, chat_id: str, message_id: str, ticket_number: int, *, is_post: bool = False
    ) -> None:
        self._staged.sent[(channel, chat_id, message_id)] = ticket_number
        if is_post:
            self._staged.posts.add((channel, chat_id, message_id))

    async def posts(self, channel: str, ticket_number: int) -> list[tuple[str, str]]:
        merged = {**self._shared.sent, **self._staged.sent}
        return sorted(
            (chat, message)
            for (kind, chat, message) in self._shared.posts | self._staged.posts
            if kind == channel and merged.get((kind, chat, message)) == ticket_number
        )

    async def ticket_for(self, channel: str, chat_id: str, message_id: str) -> int | None:
        key = (channel, chat_id, message_id)
        return self._staged.sent.get(key, self._shared.sent.get(key))

    async def topic(self, channel: str, chat_id: str, ticket_number: int) -> str | None:
        key = (channel, chat_id, ticket_number)
        return self._shared.topics.get(key, self._staged.topics.get(key))

    async def record_topic(self, channel: str, chat_id: str, ticket_number: int, thread_id: str) -> None:
        self._staged.topics.setdefault((channel, chat_id, ticket_number), thread_id)


class _Invites(_Part):
    async def create(
        self, code: str, enterprise_id: str, created_by: str, at: datetime, expires_at: datetime
    ) -> None:
        if code in self._shared.invites or code in self._staged.invites:
            raise Duplicate(f"invite {code}")
        self._staged.invites[code] = (enterprise_id, expires_at, None)

    async def redeem(self, code: str, contact_id: int, at: datetime) -> str | None:
        invite = self._staged.invites.get(code) or self._shared.invites.get(code)
        if invite is None or invite[2] is not None or invite[1] <= at:
            return None
        self._staged.invites[code] = (invite[0], invite[1], at)
        return invite[0]


class _Reminders(_Part):
    def __init__(
        self, storage: MemoryStorage, owner: MemoryUnitOfWork, shared: _State, staged: _State
    ) -> None:
        super().__init__(shared, staged)
        self._storage = storage
        self._owner = owner

    def _tickets(self) -> dict[int, Ticket]:
        return {**self._shared.tickets, **self._staged.tickets}

    def _check_at(self, ticket: Ticket) -> datetime | None:
        """As in SQL: a write of the ticket sets its check time to the change; the sweep moves it."""
        assert ticket.number is not None
        version, at = self._staged.checks.get(ticket.number) or self._shared.checks.get(
            ticket.number, (-1, None)
        )
        return at if version == ticket.version else ticket.updated_at

    async def due(
        self, now: datetime, after: tuple[datetime, int] | None = None, limit: int = 500
    ) -> list[DueTicket]:
        found = []
        for number, ticket in self._tickets().items():
            at = self._check_at(ticket)
            if ticket.status is Status.CLOSED or at is None or at > now:
                continue
            if after is not None and (at, number) <= after:
                continue
            found.append(DueTicket.of(ticket, at))
        return sorted(found, key=lambda due: (due.check_at, due.number))[:limit]

    async def reschedule(self, checks: Sequence[tuple[ClockedTicket, datetime | None]]) -> None:
        tickets = self._tickets()
        for ticket, at in checks:
            assert ticket.number is not None
            current = tickets.get(ticket.number)
            if current is not None and current.version == ticket.version:
                self._staged.checks[ticket.number] = (ticket.version, at)

    async def claim(self, keys: Sequence[NudgeKey], at: datetime) -> set[NudgeKey]:
        claimed = set()
        for key in sorted(set(keys)):
            if self._take(key, key in self._shared.nudges or key in self._staged.nudges):
                self._staged.nudges.add(key)
                claimed.add(key)
        return claimed

    async def claimed(self, keys: Sequence[NudgeKey]) -> set[NudgeKey]:
        return {key for key in keys if key in self._shared.nudges or key in self._staged.nudges}

    async def reported(self, limit: int = 200) -> list[Ticket]:
        nudges = self._shared.nudges | self._staged.nudges
        numbers = {key.ticket for key in nudges if key.level == Level.LEADERSHIP.value}
        tickets = self._tickets()
        off_the_list = (Status.CLOSED, Status.REPLIED, Status.SURVEY)
        found = [tickets[n] for n in numbers if n in tickets and tickets[n].status not in off_the_list]
        return sorted(found, key=lambda ticket: (ticket.resolve_by, ticket.number or 0))[:limit]

    async def claim_digest(self, kind: str, recipient: str, day: date, at: datetime) -> bool:
        key = (kind, recipient, day)
        if not self._take(key, key in self._shared.digests or key in self._staged.digests):
            return False
        self._staged.digests.add(key)
        return True

    def _take(self, key: NudgeKey | tuple[str, str, date], stored: bool) -> bool:
        owner = self._storage.claiming.get(key)
        if stored or (owner is not None and owner is not self._owner):
            return False
        self._storage.claiming[key] = self._owner
        return True


def _response_pending(ticket: Ticket, as_of: datetime) -> bool:
    """As storage.kpi_sql: dispatched, neither limit missed yet, not both done."""
    sign_by = ticket.sign_by or ticket.respond_by
    signed, contacted = ticket.signed_at, ticket.first_contact_at
    return (
        ticket.department_id is not None
        and (signed is None or signed <= sign_by)
        and (contacted is None or contacted <= ticket.respond_by)
        and (signed is None or contacted is None)
        and (signed is not None or sign_by >= as_of)
        and (contacted is not None or ticket.respond_by >= as_of)
    )


def _answered_at(ticket: Ticket, events: list[TicketEvent]) -> datetime | None:
    """When the officers gave their last answer (a closed ticket without one: when it closed)."""
    answers = [e.at for e in events if e.ticket_number == ticket.number and e.action is Action.RESOLVE]
    return max(answers) if answers else ticket.closed_at
