"""API keys, the audit of API calls and webhook subscriptions on async SQLAlchemy; and the one
place ticket and policy events become webhook deliveries (outbox rows on the `webhook` channel),
in the transaction that records the change."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.api_keys import ApiKey
from bot.domain.outbox import DeliveryStatus, MessageKind, OutboxMessage
from bot.domain.policies import Policy
from bot.domain.tickets import Ticket, TicketEvent
from bot.domain.webhooks import (
    CHANNEL,
    Subscription,
    event_name,
    external_platform,
    ticket_payload,
    ticket_snapshot,
)
from storage.api_protocols import ApiCall, TicketFilter, subscriptions_wanting
from storage.mapping import ticket_from_row
from storage.policy_mapping import outbox_from_values, outbox_values
from storage.protocols import Duplicate
from storage.subscription_cache import CACHE, CHANGED, SubscriptionCache
from storage.tables import API_CALLS, API_KEYS, OUTBOX, TICKETS, WEBHOOKS


def _key(row: Any) -> ApiKey:
    return ApiKey(
        name=row.name,
        scopes=tuple(row.scopes),
        rate_per_minute=row.rate_per_minute,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )


def _subscription(row: Any) -> Subscription:
    return Subscription(
        id=row.id,
        url=row.url,
        secret=row.secret,
        events=tuple(row.events),
        active=row.active,
        platform=row.platform,
        created_at=row.created_at,
    )


class SqlApiKeys:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, key: ApiKey, secret_hash: str) -> None:
        values = {
            "name": key.name,
            "secret_hash": secret_hash,
            "scopes": list(key.scopes),
            "rate_per_minute": key.rate_per_minute,
            "created_at": key.created_at,
        }
        try:
            async with self._s.begin_nested():
                await self._s.execute(insert(API_KEYS).values(**values))
        except IntegrityError:
            raise Duplicate(key.name) from None

    async def by_hash(self, secret_hash: str) -> ApiKey | None:
        row = (await self._s.execute(select(API_KEYS).where(API_KEYS.c.secret_hash == secret_hash))).first()
        return _key(row) if row is not None else None

    async def all(self) -> list[ApiKey]:
        return [_key(row) for row in await self._s.execute(select(API_KEYS).order_by(API_KEYS.c.name))]

    async def revoke(self, name: str, at: datetime) -> bool:
        result = await self._s.execute(
            update(API_KEYS)
            .where(API_KEYS.c.name == name, API_KEYS.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return cast(CursorResult[Any], result).rowcount == 1

    async def record_call(
        self, key_name: str | None, method: str, path: str, status: int, at: datetime
    ) -> None:
        await self._s.execute(
            insert(API_CALLS).values(key_name=key_name, method=method, path=path[:300], status=status, at=at)
        )
        if key_name is not None:
            await self._s.execute(update(API_KEYS).where(API_KEYS.c.name == key_name).values(last_used_at=at))

    async def calls(self, limit: int = 100) -> list[ApiCall]:
        statement = select(API_CALLS).order_by(API_CALLS.c.id.desc()).limit(limit)
        return [
            ApiCall(row.key_name, row.method, row.path, row.status, row.at)
            for row in await self._s.execute(statement)
        ]


class SqlWebhooks:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, subscription: Subscription) -> Subscription:
        if subscription.created_at is None:
            raise ValueError("a subscription is stored with the moment it was made (created_at)")
        values = {
            "url": subscription.url,
            "secret": subscription.secret,
            "events": list(subscription.events),
            "active": subscription.active,
            "platform": subscription.platform,
            "created_at": subscription.created_at,
        }
        self._s.info[CHANGED] = True  # the storage forgets the subscriptions it remembers on commit
        try:
            async with self._s.begin_nested():
                result = await self._s.execute(insert(WEBHOOKS).values(**values).returning(WEBHOOKS.c.id))
                number = result.scalar_one()
        except IntegrityError:
            raise Duplicate(subscription.platform or subscription.url) from None
        return Subscription(**{**_fields(subscription), "id": number})

    async def get(self, subscription_id: int) -> Subscription | None:
        row = (await self._s.execute(select(WEBHOOKS).where(WEBHOOKS.c.id == subscription_id))).first()
        return _subscription(row) if row is not None else None

    async def all(self) -> list[Subscription]:
        return [_subscription(r) for r in await self._s.execute(select(WEBHOOKS).order_by(WEBHOOKS.c.id))]

    async def platform(self, name: str) -> Subscription | None:
        statement = select(WEBHOOKS).where(WEBHOOKS.c.platform == name, WEBHOOKS.c.active.is_(True))
        row = (await self._s.execute(statement)).first()
        return _subscription(row) if row is not None else None

    async def deliveries(self, *, failed_only: bool = False, limit: int = 100) -> list[OutboxMessage]:
        statement = select(OUTBOX).where(OUTBOX.c.channel == CHANNEL)
        if failed_only:
            statement = statement.where(
                OUTBOX.c.status.in_([DeliveryStatus.FAILED.value, DeliveryStatus.BLOCKED.value])
                | (OUTBOX.c.last_error.is_not(None) & (OUTBOX.c.status != DeliveryStatus.SENT.value))
            )
        statement = statement.order_by(OUTBOX.c.id.desc()).limit(limit)
        return [outbox_from_values(row._mapping) for row in await self._s.execute(statement)]

    async def overdue(self, number: int, limit: str, due_at: datetime, at: datetime) -> None:
        targets = subscriptions_wanting(await _active(self._s), "ticket.overdue")
        if not targets:
            return
        row = (await self._s.execute(select(TICKETS).where(TICKETS.c.id == number))).first()
        body = {
            "event": "ticket.overdue",
            "ticket_number": number,
            "ticket": ticket_snapshot(ticket_from_row(row)) if row is not None else None,
            "limit": limit,
            "due_at": due_at.isoformat(),
            "at": at.isoformat(),
        }
        rows = [outbox_values(_pending(_delivery(s, body, number), at)) for s in targets]
        await self._s.execute(insert(OUTBOX), rows)

    async def tickets(self, where: TicketFilter, limit: int) -> list[Ticket]:
        statement = select(TICKETS).where(TICKETS.c.id > where.after)
        if where.status is not None:
            statement = statement.where(TICKETS.c.status == where.status.value)
        if where.department_id is not None:
            statement = statement.where(TICKETS.c.department_id == where.department_id)
        if where.category is not None:
            statement = statement.where(TICKETS.c.category == where.category)
        if where.enterprise_id is not None:
            statement = statement.where(TICKETS.c.enterprise_id == where.enterprise_id)
        if where.updated_since is not None:
            statement = statement.where(TICKETS.c.updated_at >= where.updated_since)
        statement = statement.order_by(TICKETS.c.id).limit(limit)
        return [ticket_from_row(row) for row in await self._s.execute(statement)]


def _fields(subscription: Subscription) -> dict[str, Any]:
    return {name: getattr(subscription, name) for name in Subscription.__slots__}


# Asked for every audit event (two for each new demand): built once, as the intake's statements are.
_ACTIVE = select(WEBHOOKS).where(WEBHOOKS.c.active.is_(True)).order_by(WEBHOOKS.c.id)
_TICKET = select(TICKETS).where(TICKETS.c.id == bindparam("number"))


async def _active(session: AsyncSession) -> list[Subscription]:
    """The active subscriptions, through the storage's memory of them (storage/subscription_cache.py)
    when the session has one."""

    async def read() -> list[Subscription]:
        return [_subscription(row) for row in await session.execute(_ACTIVE)]

    cache: SubscriptionCache | None = session.info.get(CACHE)
    return await read() if cache is None else await cache.active(session.info, read)


def _delivery(subscription: Subscription, body: dict[str, Any], ticket: int | None) -> OutboxMessage:
    return OutboxMessage(
        kind=MessageKind.WEBHOOK,
        channel=CHANNEL,
        chat_id=str(subscription.id),  # one queue per subscriber: its deliveries go in order
        text=json.dumps(body, ensure_ascii=False, sort_keys=True),
        lang="",
        ticket=ticket,
    )


async def queue_ticket_event(session: AsyncSession, event: TicketEvent, at: datetime) -> None:
    """The webhook deliveries an audit event causes, written with it."""
    name = event_name(event)
    if name is None or event.ticket_number is None:
        return
    platform = external_platform(event)
    subscriptions = await _active(session)
    if platform is not None:
        targets = [s for s in subscriptions if s.platform == platform]
    else:
        targets = subscriptions_wanting(subscriptions, name)
    if not targets:
        return
    row = (await session.execute(_TICKET, {"number": event.ticket_number})).first()
    ticket = ticket_from_row(row) if row is not None else None
    body = ticket_payload(name, event, ticket)
    rows = [outbox_values(_pending(_delivery(s, body, event.ticket_number), at)) for s in targets]
    await session.execute(insert(OUTBOX), rows)


async def queue_policy_published(session: AsyncSession, policy: Policy, at: datetime) -> None:
    targets = subscriptions_wanting(await _active(session), "policy.published")
    if not targets:
        return
    body = {
        "event": "policy.published",
        "policy": {"id": policy.id, "title": policy.title, "status": policy.status.value},
        "at": at.isoformat(),
    }
    rows = [outbox_values(_pending(_delivery(s, body, None), at)) for s in targets]
    await session.execute(insert(OUTBOX), rows)


def _pending(message: OutboxMessage, at: datetime) -> OutboxMessage:
    return replace(message, status=DeliveryStatus.PENDING, next_attempt_at=at, created_at=at)
