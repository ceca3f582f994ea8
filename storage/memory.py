"""An in-memory implementation of the storage protocols, for handler tests and benchmarks.

It keeps the same promises as the SQL one (the contract suite checks both): numbers are assigned
on add, nothing is visible to others before commit, and a stale update raises `Conflict`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType
from typing import Self

from bot.domain.enterprise import Contact, Enterprise
from bot.domain.errors import Conflict
from bot.domain.org import Directory
from bot.domain.tickets import Status, Ticket, TicketEvent
from storage.protocols import LoggedMessage


@dataclass
class _State:
    tickets: dict[int, Ticket] = field(default_factory=dict)
    events: list[TicketEvent] = field(default_factory=list)
    enterprises: dict[str, Enterprise] = field(default_factory=dict)
    contacts: dict[int, Contact] = field(default_factory=dict)
    officers: dict[str, bool] = field(default_factory=dict)  # id -> active
    messages: dict[int, tuple[str, str, str, str, str | None, datetime, int | None]] = field(
        default_factory=dict
    )
    next_ticket: int = 1
    next_contact: int = 1
    next_message: int = 1

    def copy(self) -> _State:
        return replace(
            self,
            tickets=dict(self.tickets),
            events=list(self.events),
            enterprises=dict(self.enterprises),
            contacts=dict(self.contacts),
            officers=dict(self.officers),
            messages=dict(self.messages),
        )


class MemoryStorage:
    """Makes units of work over one shared in-memory state."""

    def __init__(self) -> None:
        self.state = _State()

    def __call__(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self)


class MemoryUnitOfWork:
    def __init__(self, storage: MemoryStorage) -> None:
        self._storage = storage

    async def __aenter__(self) -> Self:
        self._work = self._storage.state.copy()
        self._read_versions: dict[int, int] = {}
        self.tickets = _Tickets(self._work, self._read_versions)
        self.events = _Events(self._work)
        self.enterprises = _Enterprises(self._work)
        self.contacts = _Contacts(self._work)
        self.org = _Org(self._work)
        self.messages = _Messages(self._work)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._work = _State()

    async def commit(self) -> None:
        committed = self._storage.state
        for number, version in self._read_versions.items():
            current = committed.tickets.get(number)
            if current is not None and current.version != version:
                raise Conflict(ticket=f"#{number}")
        self._storage.state = self._work
        self._work = self._work.copy()
        self._read_versions.clear()


class _Tickets:
    def __init__(self, state: _State, read_versions: dict[int, int]) -> None:
        self._state = state
        self._read_versions = read_versions

    async def add(self, ticket: Ticket) -> Ticket:
        stored = replace(ticket, number=self._state.next_ticket, version=0)
        self._state.next_ticket += 1
        self._state.tickets[stored.number or 0] = stored
        return stored

    async def get(self, number: int) -> Ticket | None:
        return self._state.tickets.get(number)

    async def update(self, ticket: Ticket) -> Ticket:
        assert ticket.number is not None
        current = self._state.tickets.get(ticket.number)
        if current is None or current.version != ticket.version:
            raise Conflict(ticket=ticket.ref)
        self._read_versions.setdefault(ticket.number, ticket.version)
        stored = replace(ticket, version=ticket.version + 1)
        self._state.tickets[ticket.number] = stored
        return stored

    async def for_enterprise(self, enterprise_id: str, limit: int = 20) -> list[Ticket]:
        found = [t for t in self._state.tickets.values() if t.enterprise_id == enterprise_id]
        return sorted(found, key=lambda t: -(t.number or 0))[:limit]

    async def for_contact(self, contact_id: int, limit: int = 20) -> list[Ticket]:
        found = [t for t in self._state.tickets.values() if t.contact_id == contact_id]
        return sorted(found, key=lambda t: -(t.number or 0))[:limit]

    async def queue(self, officer_id: str, department_id: str, limit: int = 50) -> list[Ticket]:
        found = [
            t
            for t in self._state.tickets.values()
            if t.status is not Status.CLOSED
            and (t.assignee_id == officer_id or (t.assignee_id is None and t.department_id == department_id))
        ]
        return sorted(found, key=lambda t: (not t.urgent, t.number or 0))[:limit]


class _Events:
    def __init__(self, state: _State) -> None:
        self._state = state

    async def append(self, event: TicketEvent) -> None:
        assert event.ticket_number is not None, "an event is stored only for a stored ticket"
        self._state.events.append(event)

    async def for_ticket(self, number: int) -> list[TicketEvent]:
        return [e for e in self._state.events if e.ticket_number == number]


class _Enterprises:
    def __init__(self, state: _State) -> None:
        self._state = state

    async def get(self, enterprise_id: str) -> Enterprise | None:
        return self._state.enterprises.get(enterprise_id)

    async def add(self, enterprise: Enterprise) -> None:
        if enterprise.id in self._state.enterprises:
            raise ValueError(f"enterprise {enterprise.id} exists")
        self._state.enterprises[enterprise.id] = enterprise

    async def all(self) -> list[Enterprise]:
        return [self._state.enterprises[k] for k in sorted(self._state.enterprises)]


class _Contacts:
    def __init__(self, state: _State) -> None:
        self._state = state

    async def by_identity(self, channel: str, external_id: str) -> Contact | None:
        for contact in self._state.contacts.values():
            if contact.channel == channel and contact.external_id == external_id:
                return contact
        return None

    async def get(self, contact_id: int) -> Contact | None:
        return self._state.contacts.get(contact_id)

    async def add(self, contact: Contact) -> Contact:
        if await self.by_identity(contact.channel, contact.external_id) is not None:
            raise ValueError(f"contact {contact.channel}:{contact.external_id} exists")
        stored = replace(contact, id=self._state.next_contact)
        self._state.next_contact += 1
        self._state.contacts[stored.id or 0] = stored
        return stored


class _Org:
    def __init__(self, state: _State) -> None:
        self._state = state

    async def sync(self, directory: Directory) -> None:
        for officer_id in self._state.officers:
            self._state.officers[officer_id] = False
        for officer_id in directory.officers:
            self._state.officers[officer_id] = True

    async def active_officer_ids(self) -> list[str]:
        return sorted(k for k, active in self._state.officers.items() if active)


class _Messages:
    def __init__(self, state: _State) -> None:
        self._state = state

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
        entry_id = self._state.next_message
        self._state.next_message += 1
        self._state.messages[entry_id] = (channel, chat_id, sender_id, text, payload, received_at, None)
        return entry_id

    async def link_ticket(self, entry_id: int, ticket_number: int) -> None:
        entry = self._state.messages[entry_id]
        self._state.messages[entry_id] = (*entry[:6], ticket_number)

    async def get(self, entry_id: int) -> LoggedMessage | None:
        entry = self._state.messages.get(entry_id)
        if entry is None:
            return None
        channel, chat_id, sender_id, text, _payload, _at, ticket = entry
        return LoggedMessage(channel, chat_id, sender_id, text, ticket)
