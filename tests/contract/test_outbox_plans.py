"""On PostgreSQL the outbox sender's claim and its pause read the outbox's partial indexes even in
a prepared statement's generic plan, the one made without the values (PostgreSQL's choice after
five runs): the states are in the statements' text (storage/outbox_states.py). The outbox here
holds mostly delivered messages, as it does after a while, with statistics that say so.
tests/unit/test_hot_query_plans.py checks the same statements on SQLite."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.policies_sql import _CLAIM, _NEXT_DUE

pytestmark = pytest.mark.postgres

# 20,000 messages to 20,000 chats, the first 30 waiting, the rest delivered
_HISTORY = text(
    "INSERT INTO outbox (kind, channel, chat_id, lang, text, buttons, status, attempts, next_attempt_at,"
    " in_doubt, created_at, priority, more_ids)"
    " SELECT 'answer', 'telegram', 'chat' || n, 'en', 'text', '[]',"
    " CASE WHEN n <= 30 THEN 'pending' ELSE 'sent' END, 0, now(), false, now(), 0, '[]'"
    " FROM generate_series(1, 20000) AS n"
)


async def _generic_plan(conn: AsyncConnection, statement: Any, values: str) -> str:
    """PostgreSQL's generic plan for the statement (the connection plans no other kind), run
    with `values` for its parameters in order, the channels' list last."""
    sql = str(statement.compile(dialect=conn.dialect))
    numbers = [int(n) for n in re.findall(r"\$(\d+)", sql)]
    # the channels, an expanding list, as one parameter more: one channel
    sql = sql.replace("(__[POSTCOMPILE_channels])", f"(${max(numbers, default=0) + 1}::VARCHAR)")
    await conn.exec_driver_sql(f"PREPARE planned AS {sql}")
    try:
        rows = await conn.exec_driver_sql(f"EXPLAIN EXECUTE planned({values})")
        return "\n".join(str(row[0]) for row in rows)
    finally:
        await conn.exec_driver_sql("DEALLOCATE planned")


async def _with_history(engine: AsyncEngine) -> AsyncConnection:
    conn = await engine.connect()
    await conn.execute(_HISTORY)
    await conn.commit()
    await conn.execute(text("ANALYZE outbox"))
    return conn


@pytest.mark.parametrize(
    ("attempt_answers", "values"),
    [
        # the new status, the sender, now, the answers' priority (0), the limit, the channel
        (True, "'sending', 's', now(), 0, 10, 'telegram'"),
        # the new status, the sender, now, the attempt time (none), the limit, the channel
        (False, "'sending', 's', now(), NULL, 10, 'telegram'"),
    ],
)
async def test_the_claim_walks_the_waiting_queue_and_asks_for_earlier_messages_among_the_unsent(
    generic_plans_engine: AsyncEngine, attempt_answers: bool, values: str
) -> None:
    conn = await _with_history(generic_plans_engine)
    try:
        plan = await _generic_plan(conn, _CLAIM[attempt_answers], values)
    finally:
        await conn.close()
    assert "Index Scan using ix_outbox_queue on outbox" in plan, plan
    assert re.search(r"Index (Only )?Scan using ix_outbox_chat on outbox earlier", plan), plan
    assert "Seq Scan" not in plan, plan


async def test_the_pause_reads_the_due_times_of_the_waiting_messages_alone(
    generic_plans_engine: AsyncEngine,
) -> None:
    conn = await _with_history(generic_plans_engine)
    try:
        plan = await _generic_plan(conn, _NEXT_DUE[False], "'telegram'")
    finally:
        await conn.close()
    assert "ix_outbox_due" in plan, plan
    assert "Seq Scan" not in plan, plan
