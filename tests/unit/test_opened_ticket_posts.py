"""A ticket opened in this transaction has no group posts yet: asking for them runs no statement
(a new demand's replies ask, handlers/outgoing._post_edits), unless the same transaction recorded
one; once committed, they are read as before."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from storage.sql import SqlStorage
from tests import builders
from tests.reads_seen import reads_of


@pytest.fixture
async def storage(sqlite_storage: SqlStorage) -> SqlStorage:
    async with sqlite_storage() as uow:
        await uow.enterprises.add(builders.enterprise())
        contact = await uow.contacts.add(builders.contact())
        assert contact.id == 1  # the builders' tickets name contact 1
        await uow.commit()
    return sqlite_storage


@pytest.fixture
def reads(storage: SqlStorage) -> Iterator[list[str]]:
    with reads_of(storage, "sent_messages") as seen:
        yield seen


async def test_a_ticket_just_opened_has_no_posts_and_none_are_read(
    storage: SqlStorage, reads: list[str]
) -> None:
    async with storage() as uow:
        ticket = await uow.tickets.add(builders.ticket())
        assert ticket.number is not None
        assert await uow.sent.posts("telegram", ticket.number) == []
        await uow.commit()
    assert reads == []
    async with storage() as uow:  # committed: read as any other ticket's
        assert await uow.sent.posts("telegram", ticket.number) == []
    assert len(reads) == 1


async def test_a_post_recorded_in_the_same_transaction_is_read(storage: SqlStorage) -> None:
    async with storage() as uow:
        ticket = await uow.tickets.add(builders.ticket())
        assert ticket.number is not None
        await uow.sent.record("telegram", "-100", "7", ticket.number, is_post=True)
        assert await uow.sent.posts("telegram", ticket.number) == [("-100", "7")]
        await uow.commit()
    async with storage() as uow:
        assert await uow.sent.posts("telegram", ticket.number) == [("-100", "7")]


async def test_a_post_recorded_after_the_commit_is_read(storage: SqlStorage) -> None:
    async with storage() as uow:
        ticket = await uow.tickets.add(builders.ticket())
        assert ticket.number is not None
        await uow.commit()
        await uow.sent.record("telegram", "-100", "7", ticket.number, is_post=True)
        assert await uow.sent.posts("telegram", ticket.number) == [("-100", "7")]
