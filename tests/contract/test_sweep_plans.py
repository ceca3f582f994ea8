"""The sweep's lookup of earlier reminders on PostgreSQL is planned for each page's numbers, even
on a connection where PostgreSQL would reuse one plan for any (its choice after five runs of a
prepared statement): a plan made without the numbers compares each ledger row to every number.
A sweep of one page gets there without statements of its own: its first read sets the mode, its
early read resets it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.escalation import NudgeKey
from storage import reminders_sql
from storage.protocols import UnitOfWork
from storage.sql import SqlStorage, SqlUnitOfWork
from tests.conftest import NOW
from tests.contract.test_reminder_ledger import _tickets
from tests.databases import statements_run

pytestmark = pytest.mark.postgres


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


async def test_a_sweep_of_one_page_plans_its_early_read_for_its_numbers_without_statements_of_its_own(
    generic_plans_engine: AsyncEngine,
) -> None:
    storage = SqlStorage(generic_plans_engine)
    tickets = await _tickets(storage, 30, 20, 10)
    numbers = [ticket.number or 0 for ticket in tickets]
    keys = [NudgeKey(n, "resolve", NOW, "remind", 0) for n in numbers]
    with statements_run(generic_plans_engine) as ran:
        async with storage() as uow:
            assert [t.number for t in await uow.reminders.due(NOW)] == numbers  # fewer than asked
            assert await _mode(uow) == "force_custom_plan"
            gists, _ = await uow.reminders.for_messages(numbers)
            assert sorted(gist.number for gist in gists) == numbers
            assert await _mode(uow) == "force_generic_plan"  # the connection's own, as it was
            assert await uow.reminders.claim(keys, NOW) == [True] * len(keys)
            await uow.commit()
    assert not [sql for sql, _ in ran if sql.lstrip().upper().startswith("SET")]
    assert await _plans(generic_plans_engine, reminders_sql.FOR_MESSAGES_PG) == [(0, 1)]
    assert await _plans(generic_plans_engine, reminders_sql.CLAIM_PG) == [(1, 0)]


@pytest.mark.parametrize(
    ("changed_minutes_ago", "limit"),
    [((), 500), ((30, 20), 2)],
    ids=["nothing due", "a full page: the sweep goes on in pages"],
)
async def test_a_first_read_that_is_not_a_whole_sweep_of_one_page_leaves_the_mode_alone(
    generic_plans_engine: AsyncEngine, changed_minutes_ago: tuple[int, ...], limit: int
) -> None:
    storage = SqlStorage(generic_plans_engine)
    await _tickets(storage, *changed_minutes_ago)
    async with storage() as uow:
        assert len(await uow.reminders.due(NOW, limit=limit)) == len(changed_minutes_ago)
        assert await _mode(uow) == "force_generic_plan"


async def _mode(uow: UnitOfWork) -> str:
    """How the unit of work's transaction plans prepared statements now."""
    assert isinstance(uow, SqlUnitOfWork)
    return str((await uow._session.execute(text("SELECT current_setting('plan_cache_mode')"))).scalar_one())
