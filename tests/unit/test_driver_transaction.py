"""A unit of work on an SQLite file begins its transaction on the driver's connection, without
the ORM session's (storage/driver_transaction.py): one BEGIN and one COMMIT as before, what the
session runs in the same unit of work joins that transaction, and whatever ends it early (an
error, a cancellation) rolls it back and lets the next unit of work write."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from bot.domain.policies import PolicyResponse, ResponseKind
from storage.sql import SqlStorage
from tests import builders
from tests.conftest import NOW


@pytest.fixture
def storage(sqlite_storage: SqlStorage) -> SqlStorage:
    return sqlite_storage


@pytest.fixture
def seen(storage: SqlStorage) -> Iterator[list[str]]:
    """The engine's begin, commit and rollback events, and the session's own begins, in order."""
    events: list[str] = []

    def session_began(*_: Any) -> None:
        events.append("session began")

    listeners: list[tuple[Any, str, Any]] = [(Session, "after_begin", session_began)]
    for name in ("begin", "commit", "rollback"):
        listeners.append((storage.engine.sync_engine, name, lambda *_, name=name: events.append(name)))
    for target, name, listener in listeners:
        event.listen(target, name, listener)
    yield events
    for target, name, listener in listeners:
        event.remove(target, name, listener)


async def test_driver_statements_begin_and_commit_without_the_session(
    storage: SqlStorage, seen: list[str]
) -> None:
    async with storage() as uow:
        contact = await uow.contacts.add(builders.contact(enterprise_id=None))
        await uow.commit()
    assert seen == ["begin", "commit"]
    async with storage() as uow:
        assert await uow.contacts.by_identity(contact.channel, contact.external_id) == contact


async def test_what_the_session_runs_joins_the_same_transaction(storage: SqlStorage, seen: list[str]) -> None:
    async with storage() as uow:
        contact = await uow.contacts.add(builders.contact(enterprise_id=None))  # on the driver
        await uow.sent.record_topic("telegram", "-100", 7, "42")  # through the session
        await uow.commit()
    assert seen.count("begin") == 1
    assert seen.count("commit") == 1
    async with storage() as uow:
        assert await uow.contacts.by_identity(contact.channel, contact.external_id) == contact
        assert await uow.sent.topic("telegram", "-100", 7) == "42"


async def test_an_error_rolls_back_both_and_the_next_unit_of_work_writes(storage: SqlStorage) -> None:
    contact = builders.contact(enterprise_id=None)

    async def failing() -> None:
        async with storage() as uow:
            await uow.contacts.add(contact)
            await uow.sent.record_topic("telegram", "-100", 7, "42")
            await uow.sent.topic("telegram", "-100", 7)  # flushed into the transaction
            raise RuntimeError("the handler failed")

    with pytest.raises(RuntimeError):
        await failing()
    async with storage() as uow:
        assert await uow.contacts.by_identity(contact.channel, contact.external_id) is None
        assert await uow.sent.topic("telegram", "-100", 7) is None
        await uow.contacts.add(contact)
        await uow.commit()
    async with storage() as uow:
        assert await uow.contacts.by_identity(contact.channel, contact.external_id) is not None


async def test_a_cancelled_unit_of_work_is_rolled_back(storage: SqlStorage) -> None:
    contact = builders.contact(enterprise_id=None)
    written = asyncio.Event()

    async def interrupted() -> None:
        async with storage() as uow:
            await uow.contacts.add(contact)
            written.set()
            await asyncio.sleep(60)
            await uow.commit()

    task = asyncio.create_task(interrupted())
    await written.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with storage() as uow:
        assert await uow.contacts.by_identity(contact.channel, contact.external_id) is None
        await uow.contacts.add(contact)
        await uow.commit()
    async with storage() as uow:
        assert await uow.contacts.by_identity(contact.channel, contact.external_id) is not None


async def test_a_unit_of_work_goes_on_after_its_commit(storage: SqlStorage) -> None:
    first = builders.contact(enterprise_id=None, external_id="u1")
    second = builders.contact(enterprise_id=None, external_id="u2")
    async with storage() as uow:
        await uow.contacts.add(first)
        await uow.commit()
        await uow.contacts.add(second)  # a new transaction, never committed
    async with storage() as uow:
        assert await uow.contacts.by_identity(first.channel, first.external_id) is not None
        assert await uow.contacts.by_identity(second.channel, second.external_id) is None


async def test_a_savepoint_of_the_session_inside_the_units_transaction(
    storage: SqlStorage, seen: list[str]
) -> None:
    """A policy response is kept in a savepoint (a second one of a kind is refused without
    spoiling the transaction): inside a transaction begun on the driver, as a button press's is."""
    ack = PolicyResponse(1, ResponseKind.ACK, "contact:3", 3, "acme", NOW)
    async with storage() as uow:
        assert await uow.contacts.by_identity("telegram", "nobody") is None  # begins on the driver
        assert await uow.policy_responses.record(ack)
        assert not await uow.policy_responses.record(replace(ack, at=NOW + timedelta(hours=1)))
        contact = await uow.contacts.add(builders.contact(enterprise_id=None))  # still writes
        await uow.commit()
    assert (seen.count("begin"), seen.count("commit")) == (1, 1)
    async with storage() as uow:
        assert await uow.policy_responses.get(1, ResponseKind.ACK, "contact:3") == ack
        assert await uow.contacts.by_identity(contact.channel, contact.external_id) == contact
