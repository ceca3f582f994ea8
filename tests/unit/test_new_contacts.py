"""A contact inserted by this transaction has no tickets and was asked no policy question: a
person's first message reads neither (storage/new_contacts.py), until this transaction writes a
ticket for it; after the commit both are read as for anyone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from storage.sql import SqlStorage
from tests import builders
from tests.conftest import NOW
from tests.reads_seen import reads_of


@pytest.fixture
def storage(sqlite_storage: SqlStorage) -> SqlStorage:
    return sqlite_storage


@pytest.fixture
def reads(storage: SqlStorage) -> Iterator[list[str]]:
    with reads_of(storage, "tickets", "policy_responses") as seen:
        yield seen


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
