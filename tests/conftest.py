"""Shared fixtures: the shipped configuration, a fixed clock, and database servers.

PostgreSQL tests skip with the reason on a machine without the server, and fail under CI=true,
so CI never passes by skipping them.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.config import Settings, load_settings
from storage.sql import SqlStorage
from tests import databases

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("XIAOER_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
T = TypeVar("T")
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # a Monday, 10:00 in Xiamen


def run_in_thread(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even where an event loop is running
    (session fixtures may be first requested from inside an async test)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings(ROOT / "config.yaml")


class Clock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


async def _postgres_reachable() -> str | None:
    engine = create_async_engine(PG_URL, connect_args={"timeout": 3})
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The URL of the test PostgreSQL database, or skip (fail under CI=true) without one."""
    problem = run_in_thread(_postgres_reachable())
    if problem is not None:
        reason = f"PostgreSQL at {PG_URL} is unreachable ({problem})"
        if in_ci():
            pytest.fail(f"{reason}; CI must run the PostgreSQL tests", pytrace=False)
        pytest.skip(reason)
    return PG_URL


@pytest.fixture(scope="session")
def postgres_schema(postgres_url: str) -> Iterator[str]:
    """A schema of our own in the test database for this run, dropped at the end."""
    schema = f"xiaoer_test_{uuid.uuid4().hex[:10]}"

    async def run(statement: str) -> None:
        engine = create_async_engine(postgres_url)
        async with engine.begin() as conn:
            await conn.execute(text(statement))
        await engine.dispose()

    run_in_thread(run(f'CREATE SCHEMA "{schema}"'))
    yield schema
    run_in_thread(run(f'DROP SCHEMA "{schema}" CASCADE'))


@asynccontextmanager
async def created_database(postgres_url: str) -> AsyncIterator[str]:
    """A new, empty database on the test server (a unique name), dropped when the block ends."""
    name = f"xiaoer_mp_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(postgres_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture
async def postgres_database(postgres_url: str) -> AsyncIterator[str]:
    """A database of its own on the test server, for processes that cannot be given a schema
    (`xiaoer run`, pg_dump and pg_restore)."""
    async with created_database(postgres_url) as url:
        yield url


def postgres_engine(url: str, schema: str) -> AsyncEngine:
    return create_async_engine(url, connect_args={"server_settings": {"search_path": schema}})


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'xiaoer.db'}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the head revision once per run, for tests to copy."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    run_in_thread(databases.migrate_template(path))
    return path


@pytest.fixture
async def fresh_databases(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[databases.FreshDatabases]:
    """Fresh migrated SQLite databases for this test (tests/databases.py), all disposed at its end."""
    made = databases.FreshDatabases(sqlite_template, tmp_path)
    databases.opened(made)
    try:
        yield made
    finally:
        databases.opened(None)
        await made.close()


@pytest.fixture
def sqlite_storage(fresh_databases: databases.FreshDatabases) -> SqlStorage:
    """A fresh migrated SQLite database of the test's own."""
    return fresh_databases.storage()
