"""The outbox sender's claim on SQLite reads the queue in the order it serves it
(ix_outbox_queue: status, priority, id) and stops when its round is full, rather than reading
every due message and sorting them; which messages it claims is the session statement's
(tests/unit/test_fast_statements.py compares the two)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from storage.policies_sql import _claim_fast


@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("attempt_answers", [True, False])
def test_the_claim_walks_the_queue_index_without_sorting(
    sqlite_template: Path, attempt_answers: bool, channels: int
) -> None:
    statement = cast(ClauseElement, _claim_fast(attempt_answers, channels).statement)
    compiled = statement.compile(dialect=sqlite.dialect())
    assert isinstance(compiled, SQLCompiler)
    unbound = [None] * len(compiled.positiontup or [])  # a plan needs no values
    database = sqlite3.connect(sqlite_template)
    try:
        plan = [row[3] for row in database.execute(f"EXPLAIN QUERY PLAN {compiled}", unbound)]
    finally:
        database.close()
    assert any("USING INDEX ix_outbox_queue" in step for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan
