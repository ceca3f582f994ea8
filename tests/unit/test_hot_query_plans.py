"""The hot path's reads on SQLite walk an index in the order they want and stop at their limit:
the outbox sender's claim reads the queue as it serves it (ix_outbox_queue: status, priority,
id) rather than every due message sorted (which messages it claims is the session statement's:
tests/unit/test_fast_statements.py compares the two); a new demand's shared-problem check reads
its category's newest open tickets (ix_tickets_open_category) rather than every newer ticket."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from storage import fast_statements as fast
from storage.policies_sql import _claim_fast
from storage.sql import _RECENT_DEMANDS, _RECENT_DEMANDS_UNCATEGORISED


def plan(database: Path, statement: fast.FastStatement) -> list[str]:
    """SQLite's plan for the statement on a migrated database, step by step."""
    compiled = cast(ClauseElement, statement.statement).compile(dialect=sqlite.dialect())
    assert isinstance(compiled, SQLCompiler)
    unbound = [None] * len(compiled.positiontup or [])  # a plan needs no values
    connection = sqlite3.connect(database)
    try:
        return [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {compiled}", unbound)]
    finally:
        connection.close()


@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("attempt_answers", [True, False])
def test_the_claim_walks_the_queue_index_without_sorting(
    sqlite_template: Path, attempt_answers: bool, channels: int
) -> None:
    steps = plan(sqlite_template, _claim_fast(attempt_answers, channels))
    assert any("USING INDEX ix_outbox_queue" in step for step in steps), steps
    assert not any("TEMP B-TREE" in step for step in steps), steps


@pytest.mark.parametrize(
    "statement", [_RECENT_DEMANDS, _RECENT_DEMANDS_UNCATEGORISED], ids=["category", "none"]
)
def test_the_shared_problem_check_reads_its_categorys_open_tickets_newest_first(
    sqlite_template: Path, statement: fast.FastStatement
) -> None:
    steps = plan(sqlite_template, statement)
    assert any("USING INDEX ix_tickets_open_category" in step for step in steps), steps
    assert not any("TEMP B-TREE" in step for step in steps), steps
