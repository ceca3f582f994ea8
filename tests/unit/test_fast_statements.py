"""The hot path's statements on the driver (storage/fast_statements.py): a new demand's reads and
writes go past the ORM session on an SQLite file, still counted by the engine's cursor events,
with the values SQLAlchemy would give (UTC datetimes, JSON, booleans), SQLAlchemy's errors, and
what the session holds flushed first. The same repositories on PostgreSQL are the contract
tests' (tests/contract), which run them through the session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import bindparam, event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import ORMExecuteState

from bot.domain.messages import Capabilities, Inbound, Sender
from bot.domain.outbox import MessageKind, OutboxMessage
from storage import fast_statements as fast
from storage import policies_sql, reminders_sql
from storage.mapping import ticket_check_values
from storage.policy_mapping import outbox_from_values
from storage.sql import SqlStorage
from storage.tables import CONTACTS, OUTBOX, TICKET_CHECKS, ForumTopicRow
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


def counted(storage: SqlStorage) -> tuple[list[str], list[str]]:
    """(statements the session executed, statements the engine's cursor events saw)."""
    through_session: list[str] = []
    on_cursor: list[str] = []

    def executed(state: ORMExecuteState) -> None:
        through_session.append(str(state.statement))

    def cursor(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        on_cursor.append(statement)

    event.listen(storage._sessions.class_.sync_session_class, "do_orm_execute", executed)
    event.listen(storage.engine.sync_engine, "before_cursor_execute", cursor)
    return through_session, on_cursor


def inbound(user: str) -> Inbound:
    return Inbound(
        sender=Sender("telegram", user, "Li"),
        chat_id=user,
        text="停电了",
        received_at=NOW,
        delivery_id=f"d-{user}",
        capabilities=Capabilities(),
    )


async def test_a_new_demands_statements_go_past_the_session_and_are_counted(storage: SqlStorage) -> None:
    async with storage() as uow:
        await uow.enterprises.add(builders.enterprise())
        await uow.commit()
    through_session, on_cursor = counted(storage)
    async with storage() as uow:
        assert await uow.inbox.keep_handled("telegram:9", inbound("9"), NOW)
        assert not await uow.inbox.waiting_in("telegram:9")
        contact = await uow.contacts.add(builders.contact(enterprise_id=None))
        assert contact.id is not None
        assert await uow.contacts.by_identity(contact.channel, contact.external_id) == contact
        await uow.contacts.set_asking(contact.id, "company")
        entry = await uow.messages.record(
            received_at=NOW, channel="telegram", chat_id="9", sender_id="9", text="停电了", payload=None
        )
        ticket = await uow.tickets.add(builders.ticket(contact.id, enterprise_id=None))
        assert ticket.number is not None
        await uow.messages.link_ticket(entry, ticket.number)
        assert [t.number for t in await uow.tickets.for_contact(contact.id)] == [ticket.number]
        assert await uow.tickets.recent_demands(ticket.category, NOW - timedelta(days=1), 5)
        await uow.sent.record("telegram", "-100", "77", ticket.number, is_post=True)
        assert await uow.sent.posts("telegram", ticket.number) == [("-100", "77")]
        await uow.outbox.add([OutboxMessage(MessageKind.REPLY, "telegram", "9", "收到")], NOW)
        assert await uow.policy_responses.open_question(contact.id, NOW) is None
        await uow.commit()
    # without the driver path, every one of them (the ticket's check time included)
    assert through_session == []
    assert len(on_cursor) == 15  # the benchmarks count statements on these events
    async with storage() as uow:
        read = await uow.contacts.get(contact.id)
    assert read is not None
    assert read.asking == "company"


async def test_values_come_back_as_sqlalchemy_gives_them(storage: SqlStorage) -> None:
    async with storage() as uow:
        contact = await uow.contacts.add(builders.contact(enterprise_id=None))
        assert contact.id is not None
        await uow.contacts.set_unreachable(contact.channel, contact.external_id, NOW)
        ticket = await uow.tickets.add(builders.ticket(contact.id, enterprise_id=None))
        await uow.commit()
    async with storage() as uow:
        fast_read = await uow.contacts.get(contact.id)
        fast_tickets = await uow.tickets.for_contact(contact.id)
    assert fast_read is not None
    assert fast_read.unreachable_since == NOW
    assert fast_read.unreachable_since.tzinfo is not None
    async with storage() as uow:  # the same ticket through the session, as before
        assert ticket.number is not None
        assert fast_tickets == [await uow.tickets.get(ticket.number)]


async def test_a_sent_message_is_marked_only_by_the_sender_holding_it(storage: SqlStorage) -> None:
    async with storage() as uow:
        await uow.outbox.add([OutboxMessage(MessageKind.REPLY, "telegram", "9", "收到")], NOW)
        await uow.commit()
    async with storage() as uow:
        (claimed,) = await uow.outbox.claim("me", ["telegram"], NOW, 10, attempt_answers=True)
        assert claimed.id is not None
        assert not await uow.outbox.mark_sent(claimed.id, "someone else", "1", NOW)
        assert await uow.outbox.mark_sent(claimed.id, "me", "1", NOW, ("2", "3"))
        await uow.commit()
    async with storage() as uow:  # read through the session
        outbox = uow.outbox
        (row,) = (
            await uow._session.execute(select(OUTBOX.c.status, OUTBOX.c.message_id, OUTBOX.c.more_ids))
        ).all()
    assert tuple(row) == ("sent", "1", ["2", "3"])
    assert outbox is not None


async def test_the_drivers_errors_are_sqlalchemys(storage: SqlStorage) -> None:
    duplicate = fast.FastStatement(CONTACTS.insert())
    async with storage() as uow:
        contact = await uow.contacts.add(builders.contact(enterprise_id=None))
        values = {"id": contact.id, "channel": "telegram", "external_id": "other", "display_name": "x"}
        with pytest.raises(IntegrityError):
            await fast.changed(uow._session, duplicate, {**values, "lang": "zh-CN"})


async def test_what_the_session_holds_is_flushed_first(storage: SqlStorage) -> None:
    topics = ForumTopicRow.__table__  # type: ignore[attr-defined]
    thread = fast.FastStatement(select(topics.c.thread_id).where(topics.c.chat_id == bindparam("chat")))
    async with storage() as uow:
        contact = await uow.contacts.add(builders.contact(enterprise_id=None))
        assert contact.id is not None
        ticket = await uow.tickets.add(builders.ticket(contact.id, enterprise_id=None))
        assert ticket.number is not None
        uow._session.add(
            ForumTopicRow(channel="telegram", chat_id="-100", ticket_number=ticket.number, thread_id="5")
        )
        assert [row.thread_id for row in await fast.rows(uow._session, thread, {"chat": "-100"})] == ["5"]


async def test_sqlite_on_aiosqlites_thread_goes_through_the_session(fresh_databases: FreshDatabases) -> None:
    """A URL with options runs SQLite on aiosqlite's own thread (storage/engine.py), whose
    connection may not be used from the event loop's: the same calls, through the session."""
    storage = SqlStorage(throwaway_engine(fresh_databases.url() + "?timeout=5"))
    try:
        through_session, _ = counted(storage)
        async with storage() as uow:
            contact = await uow.contacts.add(builders.contact(enterprise_id=None))
            assert await uow.contacts.get(contact.id or 0) == contact
        assert len(through_session) == 2
    finally:
        await storage.engine.dispose()


def _queued() -> list[OutboxMessage]:
    """Messages on three channels: answers and notices, two chats with a second message waiting
    behind their first, and a chat of a channel the sender does not serve."""
    return [
        OutboxMessage(MessageKind.NOTICE, "telegram", "1", "通知", policy_id=None),
        OutboxMessage(MessageKind.REPLY, "telegram", "2", "收到"),
        OutboxMessage(MessageKind.REPLY, "telegram", "2", "第二条"),
        OutboxMessage(MessageKind.EDIT, "wecom", "3", "改"),
        OutboxMessage(MessageKind.REPLY, "wecom", "3", "后面"),
        OutboxMessage(MessageKind.REPLY, "dingtalk", "4", "钉钉"),
        OutboxMessage(MessageKind.REMINDER, "wecom", "5", "提醒"),
    ]


@pytest.mark.parametrize("attempt_answers", [True, False])
@pytest.mark.parametrize("channels", [["telegram"], ["telegram", "wecom"], ["wecom", "telegram", "console"]])
async def test_the_senders_claim_runs_on_the_driver_and_claims_what_the_session_claimed(
    storage: SqlStorage, channels: list[str], attempt_answers: bool
) -> None:
    async with storage() as uow:
        await uow.outbox.add(_queued(), NOW)
        await uow.commit()
    async with storage() as uow:  # the claim as it was, one expanding list through the session
        parameters = {"sender": "me", "now": NOW, "channels": channels, "limit": 10}
        result = await uow._session.execute(policies_sql._CLAIM[attempt_answers], parameters)
        before = sorted((outbox_from_values(row) for row in result.mappings()), key=lambda m: m.id or 0)
        # rolled back
    through_session, on_cursor = counted(storage)
    async with storage() as uow:
        claimed = await uow.outbox.claim("me", channels, NOW, 10, attempt_answers=attempt_answers)
    assert not [sql for sql in through_session if "UPDATE outbox" in sql]
    assert [sql for sql in on_cursor if sql.startswith("UPDATE outbox")]  # still counted
    assert sorted(claimed, key=lambda m: m.id or 0) == before
    assert {m.channel for m in claimed} == set(channels) & {"telegram", "wecom"}
    assert len({(m.channel, m.chat_id) for m in claimed}) == len(claimed)  # one a chat
    assert all((m.attempted_at is not None) == (attempt_answers and m.kind.priority == 0) for m in claimed)


async def test_a_tickets_check_row_is_written_on_the_driver_as_the_session_wrote_it(
    storage: SqlStorage,
) -> None:
    async with storage() as uow:
        contact = await uow.contacts.add(builders.contact(enterprise_id=None))
        assert contact.id is not None
        first = await uow.tickets.add(builders.ticket(contact.id, enterprise_id=None))
        second = await uow.tickets.add(builders.ticket(contact.id, enterprise_id=None))
        assert first.number is not None
        assert second.number is not None
        # the second's row rewritten through the session, with the same values as the first's
        values = ticket_check_values(first, second.number, 0)
        statement = reminders_sql._UPSERT_CHECK["sqlite"]
        await uow._session.execute(statement, values)
        await uow.commit()
    async with storage() as uow:
        rows = {
            row.ticket_id: row._mapping
            for row in await uow._session.execute(select(TICKET_CHECKS).order_by(TICKET_CHECKS.c.ticket_id))
        }
    by_driver, by_session = (dict(rows[n]) for n in (first.number, second.number))
    assert by_driver.pop("ticket_id") != by_session.pop("ticket_id")
    assert by_driver == by_session
    assert by_driver["next_check_at"] == first.updated_at
    assert by_driver["next_check_at"].tzinfo is not None


async def test_a_contacts_language_is_set_on_the_driver(storage: SqlStorage) -> None:
    async with storage() as uow:
        contact = await uow.contacts.add(builders.contact(enterprise_id=None))
        await uow.commit()
    assert contact.id is not None
    through_session, on_cursor = counted(storage)
    async with storage() as uow:
        await uow.contacts.set_lang(contact.id, "en")
        await uow.commit()
    assert (through_session, len(on_cursor)) == ([], 1)
    async with storage() as uow:
        stored = await uow.contacts.get(contact.id)
    assert stored is not None
    assert (stored.lang, stored.lang_chosen) == ("en", False)


async def test_rows_as_makes_each_row_once_from_the_values_rows_gives(storage: SqlStorage) -> None:
    """`rows_as` hands `make` the values as `rows` gives them (a UTC datetime converted back)."""
    async with storage() as uow:
        contact = await uow.contacts.add(builders.contact(enterprise_id=None))
        await uow.contacts.set_unreachable(contact.channel, contact.external_id, NOW)
        await uow.commit()
    read = fast.FastStatement(
        select(CONTACTS.c.id, CONTACTS.c.unreachable_since).where(CONTACTS.c.id == bindparam("contact_id"))
    )
    made: list[tuple[Any, ...]] = []

    def make(values: Any) -> tuple[Any, ...]:
        made.append(tuple(values))
        return ("made", *values)

    async with storage() as uow:
        session = uow._session
        as_made = await fast.rows_as(session, read, {"contact_id": contact.id}, make)
        plain = await fast.rows(session, read, {"contact_id": contact.id})
    assert made == [tuple(row) for row in plain] == [(contact.id, NOW)]
    assert as_made == [("made", contact.id, NOW)]
