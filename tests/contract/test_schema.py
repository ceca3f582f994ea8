"""Opening a database: the schema checks and the failures an operator is told about (storage.schema,
storage.engine), on SQLite; the PostgreSQL paths run end to end in tests/e2e/test_shell.py."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from storage import migrate
from storage.engine import (
    DatabaseUnavailable,
    create_engine,
    disposed_on_failure,
    failure_during_work,
)
from storage.schema import prepare_schema, upgrade_database


async def test_an_embedded_database_upgrades_itself(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        await prepare_schema(engine)
        assert await migrate.current_revision(engine) == migrate.head_revision()
    finally:
        await engine.dispose()


async def test_a_revision_from_a_newer_xiaoer_is_refused(sqlite_url: str) -> None:
    assert await upgrade_database(sqlite_url) == migrate.head_revision()
    engine = create_engine(sqlite_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
        with pytest.raises(DatabaseUnavailable, match="does not know") as refused:
            await prepare_schema(engine)
        assert "newer Xiaoer" in refused.value.hint
    finally:
        await engine.dispose()


async def test_a_driver_error_while_opening_is_described(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    with pytest.raises(DatabaseUnavailable, match="no such table"):
        async with disposed_on_failure(engine), engine.connect() as conn:
            await conn.execute(text("SELECT * FROM no_such_table"))


def test_only_failures_of_the_database_itself_end_the_work() -> None:
    url = "sqlite+aiosqlite:///x.db"
    locked = OperationalError("BEGIN", {}, Exception("database is locked"))
    described = failure_during_work(url, locked)
    assert described is not None
    assert "lock" in described.hint
    unavailable = DatabaseUnavailable(url, "gone", "look")
    assert failure_during_work(url, unavailable) is unavailable
    assert failure_during_work(url, IntegrityError("INSERT", {}, Exception("UNIQUE"))) is None
    assert failure_during_work(url, ValueError("one message's data")) is None
