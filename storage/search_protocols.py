"""What the centre-wide view, onboarding and retention ask of storage: read-side queries (search,
open tickets, binding coverage, the export) and the purge, behind protocols as storage/protocols.py
has the rest. storage/search_sql.py, storage/onboarding_sql.py and storage/retention_sql.py
implement them; tests/contract/ holds them to it on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain.enterprise import Enterprise
from bot.domain.tickets import Ticket


@dataclass(frozen=True, slots=True)
class TicketScope:
    """Which tickets a viewer may see: one department's only (an officer), or every department's;
    confidential ones only when `confidential` or assigned to `viewer_id`."""

    viewer_id: str | None = None
    department_id: str | None = None
    confidential: bool = False


@dataclass(frozen=True, slots=True)
class SearchTerms:
    """What a `/find` asked for, read by handlers/centre_view: words to look for in names, codes and
    tickets' text, and the exact keys the words may also be."""

    text: str
    ticket_number: int | None = None
    phone: str | None = None  # digits with the country code, as contacts.phone keeps them
    uscc: str | None = None


@dataclass(frozen=True, slots=True)
class Found:
    enterprises: list[Enterprise]
    tickets: list[Ticket]
    more_enterprises: bool = False  # beyond the limit: the words should be narrowed
    more_tickets: bool = False


@dataclass(frozen=True, slots=True)
class OpenFilter:
    department_id: str | None = None
    category: str | None = None
    overdue: bool = False  # past the resolve deadline, not answered, clock running
    urgent: bool = False
    liaison_officer_id: str | None = None  # tickets of the enterprises this officer looks after
    campaign_id: int | None = None  # tickets opened from this campaign's visits (a demand's ticket)
    by_deadline: bool = False  # the nearest resolve deadline first (the web board), not urgent first


class SearchQueries(Protocol):
    async def find(self, terms: SearchTerms, scope: TicketScope, limit: int = 10) -> Found:
        """Enterprises whose name or credit code contains the text (or whose id is it, or whose
        contact has the phone), and tickets whose text contains it (or with that number); words
        of fewer than three characters are looked for among enterprises' names and the newest
        2,000 open tickets only. What an exact key finds comes first; then enterprises by id,
        tickets newest first."""
        ...

    async def open_tickets(
        self, wanted: OpenFilter, scope: TicketScope, as_of: datetime, offset: int = 0, limit: int = 20
    ) -> tuple[list[Ticket], int]:
        """A page of open tickets (urgent first, then by resolve deadline; `by_deadline`: by
        resolve deadline alone, the overdue first) and how many match."""
        ...

    async def open_page(
        self, wanted: OpenFilter, scope: TicketScope, as_of: datetime, offset: int = 0, limit: int = 20
    ) -> list[Ticket]:
        """The page alone (the web board counts by department and state instead)."""
        ...


@dataclass(frozen=True, slots=True)
class Selection:
    """Which enterprises `xiaoer invites` is for; empty fields select all."""

    tags: tuple[str, ...] = ()
    district: str | None = None
    liaison_officer_id: str | None = None
    unbound_only: bool = False


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """One person to invite: a contact on record with a phone number, or, for an enterprise with
    none, the enterprise itself (name and phone empty)."""

    enterprise: Enterprise
    contact_name: str | None
    phone: str | None


@dataclass(frozen=True, slots=True)
class Coverage:
    """Binding coverage of one group of enterprises (a liaison officer's, a department's)."""

    key: str | None  # the officer or department id; None: nobody's
    enterprises: int
    bound: int
    invites_open: int  # unused, unexpired


@dataclass(frozen=True, slots=True)
class NewInvite:
    code: str
    enterprise_id: str
    contact_name: str | None
    phone: str | None


class OnboardingQueries(Protocol):
    async def roster(self, selection: Selection) -> list[RosterEntry]:
        """Per selected enterprise (by id) its contacts with phone numbers, or itself alone."""
        ...

    async def create_invites(
        self, invites: Sequence[NewInvite], created_by: str, at: datetime, expires_at: datetime
    ) -> None: ...

    async def set_phone(self, contact_id: int, phone: str) -> None: ...

    async def coverage_by_liaison(self, at: datetime) -> list[Coverage]: ...

    async def unbound_of(self, liaison_officer_id: str, limit: int = 20) -> tuple[list[Enterprise], int]:
        """The officer's enterprises no chat speaks for yet (by id), and how many there are."""
        ...


@dataclass(frozen=True, slots=True)
class Purged:
    messages: int
    inbox_entries: int


class Retention(Protocol):
    async def purge(self, closed_before: datetime, *, dry_run: bool = False) -> Purged:
        """Delete the message log of tickets closed before then, and handled inbox entries
        received before then; tickets, their events and the figures stay."""
        ...

    async def forget_expired(self, expired_before: datetime, *, dry_run: bool = False) -> int:
        """Delete the web console's sign-in links and sessions and the mobile-binding links that
        expired before then (used or not): hashes of secrets nobody can use any more. How many
        (with `dry_run`, how many would go)."""
        ...


class TicketExport(Protocol):
    async def opened_between(
        self, since: datetime, until: datetime, after: int = 0, limit: int = 1000
    ) -> list[Ticket]:
        """Tickets opened in [since, until), by number, after that number (a page)."""
        ...

    async def survey_comments(self, numbers: Sequence[int]) -> dict[int, list[str]]:
        """The comments enterprises added to their survey answers, per ticket."""
        ...
