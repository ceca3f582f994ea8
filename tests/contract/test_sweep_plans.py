"""The sweep's lookup of earlier reminders on PostgreSQL is planned for each page's numbers, even
on a connection where PostgreSQL would reuse one plan for any (its choice after five runs of a
prepared statement): a plan made without the numbers compares each ledger row to every number."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel import SQLModel

from bot.domain.escalation import NudgeKey
from storage import migrate, reminders_sql
from storage.sql import SqlStorage
from tests.conftest import NOW

pytestmark = pytest.mark.postgres


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


async def test_earlier_reminders_are_planned_for_the_pages_numbers(generic_plans_engine: AsyncEngine) -> None:
    storage = SqlStorage(generic_plans_engine)
    keys = [NudgeKey(n, "resolve", NOW - timedelta(hours=n), "remind", 1) for n in range(1, 50)]
    async with storage() as uow:
        await uow.reminders.claim([key._replace(repeat=0) for key in keys], NOW)
        assert await uow.reminders.earlier_reminders(keys) == [1] * len(keys)
        await uow.commit()
    assert await _plans(generic_plans_engine, reminders_sql.REMINDERS_OF_PG) == [(0, 1)]


async def test_a_one_page_sweeps_early_read_is_planned_for_its_numbers_and_leaves_the_mode_as_it_was(
    generic_plans_engine: AsyncEngine,
) -> None:
    storage = SqlStorage(generic_plans_engine)
    keys = [NudgeKey(n, "resolve", NOW - timedelta(hours=n), "remind", 0) for n in range(1, 50)]
    async with storage() as uow:
        await uow.reminders.claim(keys, NOW)
        for _ in range(3):
            _, sent = await uow.reminders.for_messages([key.ticket for key in keys])
            assert len(sent) == len(keys)
        # what follows in the transaction (the sweep's claim) is planned as the connection plans
        assert await uow.reminders.claim([key._replace(repeat=1) for key in keys], NOW) == [True] * len(keys)
        await uow.commit()
    assert await _plans(generic_plans_engine, reminders_sql.FOR_MESSAGES_PG) == [(0, 3)]
    # the first claim, and the one after the early reads
    assert await _plans(generic_plans_engine, reminders_sql.CLAIM_PG) == [(2, 0)]


async def _plans(engine: AsyncEngine, sql: str) -> list[tuple[int, int]]:
    """How PostgreSQL planned a prepared statement on the engine's one connection: (generic
    plans, custom plans)."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = :sql"),
            {"sql": sql},
        )
        return [(generic, custom) for generic, custom in rows.all()]
