"""API keys, the audit of API calls, webhook subscriptions and the API's ticket listing, on
SQLite and PostgreSQL; and webhook deliveries written with the audit event that causes them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.api_keys import ApiKey, token_hash
from bot.domain.messages import Role
from bot.domain.tickets import Action, Status, TicketEvent
from bot.domain.webhooks import CHANNEL, Subscription
from storage.api_protocols import TicketFilter
from storage.protocols import Duplicate, UnitOfWorkFactory
from tests import builders

NOW = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)


async def _enterprise_and_contact(storage: UnitOfWorkFactory) -> int:
    async with storage() as uow:
        await uow.enterprises.add(builders.enterprise("acme"))
        contact = await uow.contacts.add(builders.contact("acme"))
        await uow.commit()
    assert contact.id is not None
    return contact.id


async def test_keys_are_found_by_hash_revoked_and_audited(storage: UnitOfWorkFactory) -> None:
    async with storage() as uow:
        await uow.api_keys.add(ApiKey("portal", ("read", "write"), 60, NOW), token_hash("t1"))
        await uow.commit()
    async with storage() as uow:
        with pytest.raises(Duplicate):
            await uow.api_keys.add(ApiKey("portal", ("read",), 60, NOW), token_hash("t2"))
    async with storage() as uow:
        found = await uow.api_keys.by_hash(token_hash("t1"))
        assert found is not None
        assert (found.name, found.scopes, found.active) == ("portal", ("read", "write"), True)
        assert await uow.api_keys.by_hash(token_hash("t2")) is None
        await uow.api_keys.record_call("portal", "GET", "/api/v1/tickets?x=1", 200, NOW)
        await uow.api_keys.record_call(None, "GET", "/api/v1/tickets", 401, NOW)
        assert await uow.api_keys.revoke("portal", NOW)
        assert not await uow.api_keys.revoke("portal", NOW)
        await uow.commit()
    async with storage() as uow:
        (key,) = await uow.api_keys.all()
        calls = await uow.api_keys.calls()
    assert (key.active, key.last_used_at) == (False, NOW)
    assert [(c.key_name, c.status) for c in calls] == [(None, 401), ("portal", 200)]


async def test_events_become_deliveries_for_the_subscribers_that_want_them(
    storage: UnitOfWorkFactory,
) -> None:
    async with storage() as uow:
        everything = await uow.webhooks.add(Subscription(None, "http://a", "s", ("*",), created_at=NOW))
        closing = await uow.webhooks.add(
            Subscription(None, "http://b", "s", ("ticket.closed",), created_at=NOW)
        )
        city = await uow.webhooks.add(
            Subscription(None, "http://c", "s", (), platform="city", created_at=NOW)
        )
        with pytest.raises(Duplicate):
            await uow.webhooks.add(Subscription(None, "http://d", "s", (), platform="city", created_at=NOW))
        await uow.commit()
    contact = await _enterprise_and_contact(storage)
    async with storage() as uow:
        ticket = await uow.tickets.add(builders.ticket(contact, at=NOW))
        number = ticket.number
        assert number is not None

        def event(action: Action, to: Status, note: str = "") -> TicketEvent:
            return TicketEvent(number, NOW, "api:portal", Role.ADMIN, action, Status.DISPATCHED, to, note)

        await uow.events.append(event(Action.NOTE, Status.DISPATCHED))  # no webhook event
        await uow.events.append(event(Action.TRANSFER, Status.IN_PROGRESS, "external:city 联办"))
        await uow.events.append(event(Action.WITHDRAW, Status.CLOSED))
        await uow.commit()
    async with storage() as uow:
        rows = list(reversed(await uow.webhooks.deliveries()))
        assert await uow.webhooks.platform("city") == city
        assert await uow.webhooks.platform("nowhere") is None
    sent = [(int(m.chat_id), json.loads(m.text)["event"]) for m in rows]
    assert sent == [
        (city.id, "ticket.transferred"),
        (everything.id, "ticket.closed"),
        (closing.id, "ticket.closed"),
    ]
    assert {m.channel for m in rows} == {CHANNEL}
    assert json.loads(rows[0].text)["ticket"]["number"] == number


async def test_tickets_are_filtered_and_paged_by_number(storage: UnitOfWorkFactory) -> None:
    contact = await _enterprise_and_contact(storage)
    async with storage() as uow:
        numbers = []
        for i, category in enumerate(["finance", "tax", "finance"]):
            added = await uow.tickets.add(
                builders.ticket(contact, category=category, at=NOW + timedelta(hours=i))
            )
            numbers.append(added.number)
        await uow.commit()
    async with storage() as uow:
        listing = uow.webhooks.tickets
        assert [t.number for t in await listing(TicketFilter(), 2)] == numbers[:2]
        assert [t.number for t in await listing(TicketFilter(after=numbers[1] or 0), 2)] == numbers[2:]
        assert [t.number for t in await listing(TicketFilter(category="finance"), 10)] == [
            numbers[0],
            numbers[2],
        ]
        since = NOW + timedelta(minutes=30)
        assert [t.number for t in await listing(TicketFilter(updated_since=since), 10)] == numbers[1:]
        assert await listing(TicketFilter(status=Status.CLOSED), 10) == []
