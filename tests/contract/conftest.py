"""The storage, behind one fixture: the contract tests run on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel import SQLModel

from storage import migrate
from storage.protocols import UnitOfWorkFactory
from storage.sql import SqlStorage
from tests.conftest import postgres_engine
from tests.databases import copy_template, throwaway_engine

_migrated_schemas: set[str] = set()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def storage(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path
) -> AsyncIterator[UnitOfWorkFactory]:
    if request.param == "sqlite":
        engine = throwaway_engine(copy_template(sqlite_template, tmp_path / "contract.db"))
    else:
        url: str = request.getfixturevalue("postgres_url")
        schema: str = request.getfixturevalue("postgres_schema")
        engine = postgres_engine(url, schema)
        if schema not in _migrated_schemas:
            await migrate.upgrade(engine)
            _migrated_schemas.add(schema)
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    try:
        yield SqlStorage(engine)
    finally:
        await engine.dispose()


@pytest.fixture
async def generic_plans_engine(postgres_url: str, postgres_schema: str) -> AsyncIterator[AsyncEngine]:
    """One connection on which PostgreSQL reuses a prepared statement's generic plan at once."""
    engine = create_async_engine(
        postgres_url,
        pool_size=1,
        max_overflow=0,
        connect_args={
            "server_settings": {"search_path": postgres_schema, "plan_cache_mode": "force_generic_plan"}
        },
    )
    await migrate.upgrade(engine)
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield engine
    await engine.dispose()
