"""A contact inserted by this transaction has no tickets and was asked no policy question: a
person's first message reads neither (storage/new_contacts.py), until this transaction writes a
ticket for it; after the commit both are read as for anyone."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy import event

from storage.sql import SqlStorage
from tests import builders
from tests.conftest import NOW
from tests.databases import FreshDatabases, throwaway_engine


@pytest.fixture
async def storage(fresh_databases: FreshDatabases) -> AsyncIterator[SqlStorage]:
    made = SqlStorage(throwaway_engine(fresh_databases.url()))
    try:
        yield made
    finally:
        await made.engine.dispose()


@pytest.fixture
def reads(storage: SqlStorage) -> Iterator[list[str]]:
    """The reads of tickets and policy responses the engine runs."""
    seen: list[str] = []

    def cursor(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and (
            "FROM tickets" in statement or "FROM policy_responses" in statement
        ):
            seen.append(statement)

    event.listen(storage.engine.sync_engine, "before_cursor_execute", cursor)
    yield seen
    event.remove(storage.engine.sync_engine, "before_cursor_execute", cursor)


async def test_a_first_message_reads_no_tickets_and_no_question(
    storage: SqlStorage, reads: list[str]
) -> None:
    async with storage() as uow:
        contact = await uow.contacts.add(builders.contact(enterprise_id=None))
        assert contact.id is not None
        assert await uow.tickets.for_contact(contact.id) == []
        assert await uow.policy_responses.open_question(contact.id, NOW) is None
        await uow.commit()
    assert reads == []
    async with storage() as uow:  # committed: read as anyone's
        assert await uow.tickets.for_contact(contact.id) == []
        assert await uow.policy_responses.open_question(contact.id, NOW) is None
    assert len(reads) == 2


async def test_a_ticket_written_for_the_new_contact_is_read(storage: SqlStorage) -> None:
    async with storage() as uow:
        contact = await uow.contacts.add(builders.contact(enterprise_id=None))
        assert contact.id is not None
        ticket = await uow.tickets.add(builders.ticket(contact_id=contact.id, enterprise_id=None))
        assert [t.number for t in await uow.tickets.for_contact(contact.id)] == [ticket.number]
        await uow.commit()


async def test_a_contact_added_after_a_rollback_is_known_again(storage: SqlStorage) -> None:
    async with storage() as uow:
        await uow.contacts.add(builders.contact(enterprise_id=None))  # rolled back
    async with storage() as uow:
        contact = await uow.contacts.add(builders.contact(enterprise_id=None))
        assert contact.id is not None
        ticket = await uow.tickets.add(builders.ticket(contact_id=contact.id, enterprise_id=None))
        await uow.commit()
    async with storage() as uow:
        assert [t.number for t in await uow.tickets.for_contact(contact.id)] == [ticket.number]
