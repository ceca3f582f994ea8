"""Migrations build exactly the schema the tables describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel import SQLModel

from storage import migrate
from storage.engine import create_engine
from tests.conftest import postgres_engine


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
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


@pytest.mark.postgres
async def test_postgres_schema_matches_tables(postgres_url: str) -> None:
    # A schema of its own: the shared test schema is migrated by the contract fixture already.
    schema = f"xiaoer_mig_{uuid.uuid4().hex[:8]}"

    async def ddl(statement: str) -> None:
        admin = create_async_engine(postgres_url)
        async with admin.begin() as conn:
            await conn.execute(text(statement))
        await admin.dispose()

    await ddl(f'CREATE SCHEMA "{schema}"')
    engine = postgres_engine(postgres_url, schema)
    try:
        await _check(engine)
    finally:
        await engine.dispose()
        await ddl(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.mark.postgres
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
