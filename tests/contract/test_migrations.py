"""Migrations build exactly the schema the tables describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel import SQLModel

from storage import migrate
from storage.engine import create_engine
from storage.search_sql import outside_search
from tests.conftest import postgres_engine


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_name": outside_search}
    )
    return list(compare_metadata(context, SQLModel.metadata))


async def _check(engine: AsyncEngine) -> None:
    await migrate.upgrade(engine)
    assert await migrate.current_revision(engine) == migrate.head_revision()
    async with engine.connect() as conn:
        assert await conn.run_sync(_differences) == []
        tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    assert {"tickets", "ticket_events", "enterprises", "contacts", "officers", "message_log"} <= tables
    await migrate.upgrade(engine)  # a second upgrade is a no-op


async def test_sqlite_schema_matches_tables(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        await _check(engine)
    finally:
        await engine.dispose()


async def _in_a_schema_of_its_own(postgres_url: str, check: Callable[[AsyncEngine], Awaitable[None]]) -> None:
    """The shared test schema is migrated by the contract fixture already: a check of migrations
    on PostgreSQL runs in a new, empty schema, dropped after."""
    schema = f"xiaoer_mig_{uuid.uuid4().hex[:8]}"

    async def ddl(statement: str) -> None:
        admin = create_async_engine(postgres_url)
        async with admin.begin() as conn:
            await conn.execute(text(statement))
        await admin.dispose()

    await ddl(f'CREATE SCHEMA "{schema}"')
    engine = postgres_engine(postgres_url, schema)
    try:
        await check(engine)
    finally:
        await engine.dispose()
        await ddl(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.mark.postgres
async def test_postgres_schema_matches_tables(postgres_url: str) -> None:
    await _in_a_schema_of_its_own(postgres_url, _check)


async def test_a_failed_upgrade_leaves_nothing_behind_on_postgres(postgres_url: str) -> None:
    schema = f"xiaoer_mig_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(postgres_url)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = postgres_engine(postgres_url, schema)
    try:
        await _clashing_table(engine)
        with pytest.raises(Exception, match="already exists"):
            await migrate.upgrade(engine)
        assert await _tables(engine) == {"tickets"}
    finally:
        await engine.dispose()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


async def _clashing_table(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE tickets (x INTEGER)"))


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def test_a_failed_upgrade_leaves_nothing_behind_on_sqlite(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        await _clashing_table(engine)  # the migration creates other tables first, then fails here
        with pytest.raises(Exception, match="already exists"):
            await migrate.upgrade(engine)
        assert await _tables(engine) == {"tickets"}
    finally:
        await engine.dispose()


async def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        async with engine.connect() as conn:
            assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
            assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() == 5000
            assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
    finally:
        await engine.dispose()


async def test_a_database_with_data_upgrades_from_the_first_revision(sqlite_url: str) -> None:
    """Tickets, events and contacts made by the first loop survive every later migration."""
    from storage.sql import SqlStorage

    engine = create_engine(sqlite_url)
    try:
        await migrate.upgrade(engine, "0001")
        async with engine.begin() as conn:
            for statement in (
                "INSERT INTO enterprises (id, name, tags) VALUES ('acme', 'Acme 有限公司', '[]')",
                "INSERT INTO contacts (id, channel, external_id, display_name, lang, enterprise_id)"
                " VALUES (1, 'console', 'u', '张总', 'zh-CN', 'acme')",
                "INSERT INTO tickets (id, enterprise_id, contact_id, channel, chat_id, text, lang, intent,"
                " urgent, status, department_id, assignee_id, respond_by, resolve_by, created_at,"
                " updated_at, version)"
                " VALUES (1, 'acme', 1, 'console', 'u', '需要贷款', 'zh-CN', 'report_demand', 0, 'replied',"
                " 'finance_office', 'wu_bin', '2026-11-23 02:00:00', '2026-11-30 02:00:00',"
                " '2026-11-22 02:00:00', '2026-11-22 02:00:00', 3)",
                "INSERT INTO ticket_events (ticket_id, at, actor_id, actor_role, action, from_status,"
                " to_status, note) VALUES (1, '2026-11-22 03:00:00', 'contact:1', 'enterprise',"
                " 'reject_resolution',"
                " 'replied', 'in_progress', 'no')",
            ):
                await conn.exec_driver_sql(statement)
        await migrate.upgrade(engine)
        storage = SqlStorage(engine)
        async with storage() as uow:
            ticket = await uow.tickets.get(1)
            events = await uow.events.for_ticket(1)
            # its check time came along to ticket_checks (0011 set it to the last change)
            due = await uow.reminders.due(datetime(2026, 11, 23, tzinfo=UTC))
        assert [(t.number, t.check_at) for t in due] == [(1, datetime(2026, 11, 22, 2, tzinfo=UTC))]
        assert ticket is not None
        assert ticket.status.value == "survey"
        assert [e.action.value for e in events] == ["answer_resolution"]
    finally:
        await engine.dispose()


async def _ledger_from_0022(engine: AsyncEngine) -> None:
    """A ledger made before 0023 (serial ids beside the key) upgraded: every nudge kept, keyed by
    itself now, and the same nudge cannot go in twice."""
    await migrate.upgrade(engine, "0022")
    insert = (
        "INSERT INTO nudges (ticket_number, kind, due_at, level, repeat, recipient, claimed_at) VALUES"
        " (7, 'resolve', '2026-11-23 02:00:00+00', 'remind', 0, '', '2026-11-24 02:00:00+00'),"
        " (7, 'resolve', '2026-11-23 02:00:00+00', 'leadership', 0, '', '2026-11-24 02:00:00+00'),"
        " (0, 'officer', '2026-11-24 00:00:00+00', 'digest', 0, 'wang_lei', '2026-11-24 01:00:00+00')"
    )
    async with engine.begin() as conn:
        await conn.exec_driver_sql(insert)
    await migrate.upgrade(engine)
    async with engine.connect() as conn:
        key = await conn.run_sync(lambda c: inspect(c).get_pk_constraint("nudges")["constrained_columns"])
        rows = (await conn.exec_driver_sql("SELECT ticket_number, level, recipient FROM nudges")).all()
    assert key == ["ticket_number", "kind", "due_at", "level", "repeat", "recipient"]
    assert sorted(rows) == [(0, "digest", "wang_lei"), (7, "leadership", ""), (7, "remind", "")]
    again = insert.split("),")[0] + ")"  # the first nudge once more
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.exec_driver_sql(again)


async def test_the_ledger_is_keyed_by_the_nudge_after_0023_on_sqlite(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        await _ledger_from_0022(engine)
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_the_ledger_is_keyed_by_the_nudge_after_0023_on_postgres(postgres_url: str) -> None:
    await _in_a_schema_of_its_own(postgres_url, _ledger_from_0022)


async def _due_index(engine: AsyncEngine) -> str:
    """The due index's definition on PostgreSQL, from its columns on."""
    query = (
        "SELECT indexdef FROM pg_indexes"
        " WHERE indexname = 'ix_ticket_checks_due' AND schemaname = current_schema()"
    )
    async with engine.connect() as conn:
        definition = str((await conn.exec_driver_sql(query)).scalar_one())
    return definition.split(" USING btree ", 1)[1]


def _downgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    config = migrate.alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def _checks_from_0023(engine: AsyncEngine) -> None:
    """Tickets made before 0024 (their check rows holding only the check) upgraded: each check row
    carries the ladder's columns of its ticket, so the sweep reads a due ticket as it is; down
    again, the copies go and the checks stay."""
    from dataclasses import replace as changed

    from sqlalchemy import Column, Integer, column, insert, table

    from bot.domain.escalation import DueTicket
    from bot.domain.tickets import Status
    from storage.mapping import ticket_values
    from storage.sql import SqlStorage
    from storage.tables import TICKETS, UtcDateTime
    from tests import builders

    await migrate.upgrade(engine, "0023")
    opened = datetime(2026, 11, 20, 2, tzinfo=UTC)
    minute = opened.resolution * 60_000_000
    ticket = builders.ticket(
        1,
        at=opened,
        status=Status.WAITING_ENTERPRISE,
        department_id="industry_it",
        assignee_id="wang_lei",
        sign_by=opened + 10 * minute,
        paused_at=opened + 3 * minute,
        updated_at=opened + 4 * minute,
    )
    closed = changed(ticket, status=Status.CLOSED, assignee_id="wu_bin", paused_at=None)
    checks_0023 = table(
        "ticket_checks",
        Column("ticket_id", Integer),
        Column("ticket_version", Integer),
        column("next_check_at", UtcDateTime()),
    )
    async with engine.begin() as conn:
        await conn.exec_driver_sql("INSERT INTO enterprises (id, name, tags) VALUES ('acme', 'Acme', '[]')")
        await conn.exec_driver_sql(
            "INSERT INTO contacts (id, channel, external_id, display_name, lang, enterprise_id)"
            " VALUES (1, 'console', 'u', '张总', 'zh-CN', 'acme')"
        )
        for number, written in ((1, ticket), (2, closed)):
            await conn.execute(insert(TICKETS).values(id=number, version=3, **ticket_values(written)))
        await conn.execute(
            insert(checks_0023),
            [
                {"ticket_id": 1, "ticket_version": 3, "next_check_at": ticket.updated_at},
                {"ticket_id": 2, "ticket_version": 3, "next_check_at": None},
            ],
        )
    await migrate.upgrade(engine)
    async with SqlStorage(engine)() as uow:
        due = await uow.reminders.due(datetime(2026, 11, 25, tzinfo=UTC))
    assert due == [DueTicket.of(changed(ticket, number=1, version=3), ticket.updated_at)]
    async with engine.connect() as conn:
        copied = (await conn.exec_driver_sql("SELECT status, assignee_id FROM ticket_checks")).all()
    assert sorted(copied) == [("closed", "wu_bin"), ("waiting_enterprise", "wang_lei")]
    if engine.dialect.name == "postgresql":  # the due index holds what the sweep reads
        assert await _due_index(engine) == (
            "(next_check_at, ticket_id) INCLUDE (ticket_version, status, department_id, assignee_id,"
            " created_at, sign_by, respond_by, resolve_by, signed_at, first_contact_at, paused_at)"
            " WHERE (next_check_at IS NOT NULL)"
        )

    async with engine.begin() as conn:
        await conn.run_sync(_downgrade, "0023")
    async with engine.connect() as conn:
        columns = await conn.run_sync(lambda c: [x["name"] for x in inspect(c).get_columns("ticket_checks")])
        rows = (await conn.exec_driver_sql("SELECT ticket_id, ticket_version FROM ticket_checks")).all()
    assert columns == ["ticket_id", "ticket_version", "next_check_at"]
    assert sorted(rows) == [(1, 3), (2, 3)]
    if engine.dialect.name == "postgresql":
        assert await _due_index(engine) == "(next_check_at, ticket_id) WHERE (next_check_at IS NOT NULL)"
    await migrate.upgrade(engine)
    async with engine.connect() as conn:
        assert await conn.run_sync(_differences) == []


async def test_check_rows_carry_their_tickets_clocks_after_0024_on_sqlite(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        await _checks_from_0023(engine)
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_check_rows_carry_their_tickets_clocks_after_0024_on_postgres(postgres_url: str) -> None:
    await _in_a_schema_of_its_own(postgres_url, _checks_from_0023)
