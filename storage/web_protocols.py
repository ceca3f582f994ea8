"""What the web console asks of storage: its sign-in links and sessions, its audit, and the few
reads the chat has no use for (the board's counts, an enterprise's contacts, whether anything
changed). storage/web_sql.py implements them; tests/contract/test_web_storage.py holds it to them
on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from bot.domain.campaigns import Visit, VisitItem
from bot.domain.enterprise import Contact
from storage.search_protocols import OpenFilter, TicketScope


class TokenKind(StrEnum):
    LINK = "link"  # single use, minutes
    SESSION = "session"  # a working day


class TokenState(StrEnum):
    """What a link or session secret presented to the console turned out to be."""

    VALID = "valid"  # a link: now redeemed (used); a session: in force
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class WebSession:
    officer_id: str
    role: str  # the role the officer had when the link was made
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    officer_id: str | None
    action: str
    ticket: int | None
    detail: str


@dataclass(frozen=True, slots=True)
class BoardCount:
    status: str
    department_id: str | None
    tickets: int


@dataclass(frozen=True, slots=True)
class EnterpriseVisit:
    """A recorded visit to an enterprise, as its page lists it: the campaign it was made for (None:
    a visit outside any campaign) and what it brought back, in the order it was told."""

    visit: Visit
    campaign_name: str | None
    items: list[VisitItem]


class WebAccess(Protocol):
    async def add_token(
        self, token_hash: str, kind: TokenKind, officer_id: str, role: str, at: datetime, expires_at: datetime
    ) -> None: ...

    async def redeem_link(self, token_hash: str, at: datetime) -> tuple[TokenState, WebSession | None]:
        """Mark an unused, unexpired, unrevoked link used and say whose it was. Atomic: of two
        requests redeeming one link, one wins; the other hears USED."""
        ...

    async def session(self, token_hash: str, at: datetime) -> tuple[TokenState, WebSession | None]:
        """VALID and the session if it exists, has not expired and was not revoked; else why not,
        and whose it was (for the audit)."""
        ...

    async def revoke(self, officer_id: str, at: datetime) -> int:
        """End the officer's sessions and unused links (`/web logout`); how many there were."""
        ...

    async def audit(
        self, at: datetime, officer_id: str | None, action: str, ticket: int | None, detail: str
    ) -> None: ...

    async def audit_trail(self, limit: int = 100) -> list[AuditEntry]:
        """The newest entries first."""
        ...


class ConsoleQueries(Protocol):
    async def open_counts(self, wanted: OpenFilter, scope: TicketScope, as_of: datetime) -> list[BoardCount]:
        """Open tickets the viewer may see, counted per (status, department)."""
        ...

    async def contacts_of(self, enterprise_id: str) -> list[Contact]: ...

    async def visits_of(self, enterprise_id: str, limit: int) -> list[EnterpriseVisit]:
        """The enterprise's recorded visits (situation written down), the newest visit day first."""
        ...

    async def enterprise_names(self, ids: Sequence[str]) -> dict[str, str]: ...

    async def last_change(self) -> int:
        """A number that grows whenever a ticket changes (the newest audit event's id): the board
        asks for it to know when to refresh."""
        ...
