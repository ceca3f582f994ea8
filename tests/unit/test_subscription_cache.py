"""The webhook subscriptions an audit event is queued for, remembered for a second by each
storage (storage/subscription_cache.py): read once for many events, forgotten when this process
commits a change, and a change committed by another process heard within the time-to-live."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import event

from bot.domain.messages import Role
from bot.domain.tickets import Action, Status, TicketEvent
from bot.domain.webhooks import Subscription
from storage.sql import SqlStorage
from tests import builders
from tests.conftest import NOW
from tests.databases import FreshDatabases, throwaway_engine


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Two:
    """Two storages on one database, as two processes have: `here` and `there`."""

    here: SqlStorage
    there: SqlStorage
    clock: Clock
    reads: list[str]  # the statements that read the subscriptions, on `here`
    ticket: int


@pytest.fixture
async def two(fresh_databases: FreshDatabases) -> AsyncIterator[Two]:
    url = fresh_databases.url()
    here, there = SqlStorage(throwaway_engine(url)), SqlStorage(throwaway_engine(url))
    clock = Clock()
    here.subscriptions.clock = clock
    reads: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "webhook_subscriptions" in statement:
            reads.append(statement)

    event.listen(here.engine.sync_engine, "before_cursor_execute", seen)
    async with here() as uow:
        await uow.enterprises.add(builders.enterprise())
        contact = await uow.contacts.add(builders.contact())
        assert contact.id is not None
        ticket = await uow.tickets.add(builders.ticket(contact.id))
        await uow.commit()
    assert ticket.number is not None
    try:
        yield Two(here, there, clock, reads, ticket.number)
    finally:
        await here.engine.dispose()
        await there.engine.dispose()


def replied(number: int) -> TicketEvent:
    return TicketEvent(
        number, NOW, "wang", Role.OFFICER, Action.REPLY, Status.IN_PROGRESS, Status.IN_PROGRESS
    )


def wanting_replies(url: str) -> Subscription:
    return Subscription(None, url, "secret", ("ticket.replied",), created_at=NOW)


async def subscribe(storage: SqlStorage, url: str) -> None:
    async with storage() as uow:
        await uow.webhooks.add(wanting_replies(url))
        await uow.commit()


async def record_reply(two: Two) -> None:
    async with two.here() as uow:
        await uow.events.append(replied(two.ticket))
        await uow.commit()


async def deliveries(two: Two) -> list[str]:
    """The subscriber URLs each queued delivery went to, oldest first (by subscription id)."""
    async with two.here() as uow:
        urls = {s.id: s.url for s in await uow.webhooks.all()}
        return [urls[int(m.chat_id)] for m in reversed(await uow.webhooks.deliveries())]


async def test_events_within_a_second_read_the_subscriptions_once(two: Two) -> None:
    await subscribe(two.here, "http://city/a")
    for _ in range(5):
        await record_reply(two)
        two.clock.now += 0.1
    assert len(two.reads) == 1
    two.clock.now += 1.0  # past the time-to-live: read again
    await record_reply(two)
    assert len(two.reads) == 2
    assert await deliveries(two) == ["http://city/a"] * 6  # each event still queued for it


async def test_a_subscription_added_here_hears_the_very_next_event(two: Two) -> None:
    await record_reply(two)  # nobody subscribed: remembered as none
    await subscribe(two.here, "http://city/a")  # committed here: forgotten
    await record_reply(two)
    assert await deliveries(two) == ["http://city/a"]


async def test_a_subscription_added_by_another_process_is_heard_within_the_ttl(two: Two) -> None:
    await record_reply(two)  # remembered as none
    await subscribe(two.there, "http://city/b")
    two.clock.now += two.here.subscriptions.ttl  # the documented bound
    await record_reply(two)
    assert await deliveries(two) == ["http://city/b"]


async def test_a_transactions_own_uncommitted_subscription_is_not_lent_to_others(two: Two) -> None:
    async with two.here() as uow:
        await uow.webhooks.add(wanting_replies("http://city/rolled-back"))
        await uow.events.append(replied(two.ticket))  # its own events hear it …
        # … but it is rolled back (no commit)
    await record_reply(two)
    assert await deliveries(two) == []  # the next transaction did not get it from the memory
