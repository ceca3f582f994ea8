"""A ticket opened in this transaction has no group posts yet: asking for them runs no statement
(a new demand's replies ask, handlers/outgoing._post_edits), unless the same transaction recorded
one; once committed, they are read as before."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy import event

from storage.sql import SqlStorage
from tests import builders
from tests.databases import FreshDatabases, throwaway_engine


@pytest.fixture
async def storage(fresh_databases: FreshDatabases) -> AsyncIterator[SqlStorage]:
    made = SqlStorage(throwaway_engine(fresh_databases.url()))
    try:
        async with made() as uow:
            await uow.enterprises.add(builders.enterprise())
            contact = await uow.contacts.add(builders.contact())
            assert contact.id == 1  # the builders' tickets name contact 1
            await uow.commit()
        yield made
    finally:
        await made.engine.dispose()


@pytest.fixture
def reads(storage: SqlStorage) -> Iterator[list[str]]:
    """The reads of sent messages the engine runs."""
    seen: list[str] = []

    def cursor(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "sent_messages" in statement:
            seen.append(statement)

    event.listen(storage.engine.sync_engine, "before_cursor_execute", cursor)
    yield seen
    event.remove(storage.engine.sync_engine, "before_cursor_execute", cursor)


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
