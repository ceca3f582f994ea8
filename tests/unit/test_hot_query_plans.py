"""The hot path's reads on SQLite walk an index in the order they want and stop at their limit:
the outbox sender's claim reads the queue as it serves it (ix_outbox_queue: the waiting messages
by priority and id) rather than every due message sorted (which messages it claims is the session
statement's: tests/unit/test_fast_statements.py compares the two); a new demand's shared-problem
check reads its category's newest open tickets (ix_tickets_open_category) rather than every newer
ticket. The outbox's indexes hold only the messages still on their way (storage/outbox_states.py),
so every statement that reads the outbox by its state must name the state as they do: none of
them walks the whole outbox, which holds every message ever delivered."""

from __future__ import annotations

import re
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from storage import fast_statements as fast
from storage.policies_sql import _MARK_SENT_FAST, _claim_fast
from storage.sql import _RECENT_DEMANDS, _RECENT_DEMANDS_UNCATEGORISED, SqlStorage
from tests.conftest import NOW
from tests.databases import copy_template, statements_run, throwaway_engine


def plan(database: Path, statement: fast.FastStatement) -> list[str]:
    """SQLite's plan for the statement on a migrated database, step by step."""
    compiled = cast(ClauseElement, statement.statement).compile(dialect=sqlite.dialect())
    assert isinstance(compiled, SQLCompiler)
    unbound = [None] * len(compiled.positiontup or [])  # a plan needs no values
    return plan_sql(database, str(compiled), unbound)


def plan_sql(database: Path, sql: str, parameters: Any) -> list[str]:
    connection = sqlite3.connect(database)
    try:
        return [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", parameters)]
    finally:
        connection.close()


# a step that reads the outbox (under any of the names the statements give it) from end to end
_WHOLE_OUTBOX = re.compile(r"^SCAN (outbox|earlier|there)\b(?! USING)")


@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("attempt_answers", [True, False])
def test_the_claim_walks_the_queue_index_without_sorting(
    sqlite_template: Path, attempt_answers: bool, channels: int
) -> None:
    steps = plan(sqlite_template, _claim_fast(attempt_answers, channels))
    assert any("USING INDEX ix_outbox_queue" in step for step in steps), steps
    assert not any("TEMP B-TREE" in step for step in steps), steps


@pytest.mark.parametrize("attempt_answers", [True, False])
def test_the_claim_asks_for_a_chats_earlier_messages_through_the_index_of_unsent_ones(
    sqlite_template: Path, attempt_answers: bool
) -> None:
    steps = plan(sqlite_template, _claim_fast(attempt_answers, 1))
    assert any("USING INDEX ix_outbox_chat (channel=? AND chat_id=? AND id<?)" in step for step in steps), (
        steps
    )


def test_marking_a_message_sent_finds_it_by_its_number(sqlite_template: Path) -> None:
    assert plan(sqlite_template, _MARK_SENT_FAST) == ["SEARCH outbox USING INTEGER PRIMARY KEY (rowid=?)"]


async def _outbox_plans(database: Path, engine: AsyncEngine, work: Any) -> list[list[str]]:
    """The plans of the statements over the outbox that `work(uow)` runs, made without their
    values: SQLite, given a value a partial index's predicate names, prepares the statement again
    for that value at each run (and a PostgreSQL generic plan has no values at all), so the states
    must be in the statement's text (storage/outbox_states.py)."""
    with statements_run(engine) as ran:
        async with SqlStorage(engine)() as uow:
            await work(uow)
    return [plan_sql(database, sql, [None] * len(parameters)) for sql, parameters in ran if "outbox" in sql]


async def test_the_senders_other_statements_and_the_operators_figures_read_the_unsent_messages_alone(
    sqlite_template: Path, tmp_path: Path
) -> None:
    database = tmp_path / "plans.db"
    engine = throwaway_engine(copy_template(sqlite_template, database))
    try:
        # what each reads it by: (work, the index it must use)
        cases: list[tuple[str, Any, str]] = [
            ("the pause", lambda uow: uow.outbox.next_due(["telegram"], NOW), "ix_outbox_due"),
            ("the backlog", lambda uow: uow.outbox.backlog(), "ix_outbox_chat"),
            (
                "a dead sender's",
                lambda uow: uow.outbox.release_abandoned(NOW - timedelta(minutes=1)),
                "ix_outbox_chat",
            ),
            ("a failed round's", lambda uow: uow.outbox.release_claims("s"), "ix_outbox_chat"),
            ("the figures", lambda uow: uow.ops.figures(NOW), "ix_outbox_chat"),
            (
                "a chat's move",
                lambda uow: uow.chats.move("telegram", "-1", "-2", "admin", NOW),
                "ix_outbox_chat",
            ),
        ]
        for name, work, index in cases:
            plans = await _outbox_plans(database, engine, work)
            assert plans, name
            for steps in plans:
                assert not [step for step in steps if _WHOLE_OUTBOX.match(step)], (name, steps)
            assert any(f"INDEX {index}" in step for steps in plans for step in steps), (name, plans)
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    "statement", [_RECENT_DEMANDS, _RECENT_DEMANDS_UNCATEGORISED], ids=["category", "none"]
)
def test_the_shared_problem_check_reads_its_categorys_open_tickets_newest_first(
    sqlite_template: Path, statement: fast.FastStatement
) -> None:
    steps = plan(sqlite_template, statement)
    assert any("USING INDEX ix_tickets_open_category" in step for step in steps), steps
    assert not any("TEMP B-TREE" in step for step in steps), steps
