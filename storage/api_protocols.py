"""What the HTTP API and the webhook sender ask of storage (the implementation: storage/api_sql.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain.api_keys import ApiKey
from bot.domain.outbox import OutboxMessage
from bot.domain.tickets import Status, Ticket
from bot.domain.webhooks import Subscription


class ApiKeys(Protocol):
    async def add(self, key: ApiKey, secret_hash: str) -> None:
        """Keep a new key; raises storage.protocols.Duplicate for a name in use."""
        ...

    async def by_hash(self, secret_hash: str) -> ApiKey | None: ...

    async def all(self) -> list[ApiKey]: ...

    async def revoke(self, name: str, at: datetime) -> bool:
        """False when no active key has that name."""
        ...

    async def record_call(
        self, key_name: str | None, method: str, path: str, status: int, at: datetime
    ) -> None:
        """The audit of one call (and the key's last use)."""
        ...

    async def calls(self, limit: int = 100) -> list[ApiCall]: ...


@dataclass(frozen=True, slots=True)
class ApiCall:
    key_name: str | None
    method: str
    path: str
    status: int
    at: datetime


@dataclass(frozen=True, slots=True)
class TicketFilter:
    status: Status | None = None
    department_id: str | None = None
    category: str | None = None
    enterprise_id: str | None = None
    updated_since: datetime | None = None
    after: int = 0  # the cursor: tickets numbered above it, in number order


class Webhooks(Protocol):
    async def add(self, subscription: Subscription) -> Subscription:
        """Keep a new subscription; raises storage.protocols.Duplicate for a platform name in use."""
        ...

    async def get(self, subscription_id: int) -> Subscription | None: ...

    async def all(self) -> list[Subscription]: ...

    async def platform(self, name: str) -> Subscription | None:
        """The active subscription registered as that external platform."""
        ...

    async def deliveries(self, *, failed_only: bool = False, limit: int = 100) -> list[OutboxMessage]:
        """The newest webhook deliveries (outbox rows on the webhook channel)."""
        ...

    async def overdue(self, number: int, limit: str, due_at: datetime, at: datetime) -> None:
        """Queue `ticket.overdue` for the subscribers who want it: the sweep found the ticket past
        a limit (`sign`, `respond`, `resolve`) for the first time (written with the sweep's claim)."""
        ...

    async def tickets(self, where: TicketFilter, limit: int) -> list[Ticket]:
        """Tickets matching the filter, by number, after the cursor (the API's listing)."""
        ...


def subscriptions_wanting(subscriptions: Sequence[Subscription], name: str) -> list[Subscription]:
    return [s for s in subscriptions if s.active and s.wants(name)]
