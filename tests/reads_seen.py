"""The reads of some tables that an engine runs, for tests that check a read is not run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from storage.sql import SqlStorage


@contextmanager
def reads_of(storage: SqlStorage, *tables: str) -> Iterator[list[str]]:
    """The SELECTs from any of `tables` run on the storage's engine while the block runs."""
    seen: list[str] = []

    def cursor(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and any(
            f"FROM {table}" in statement for table in tables
        ):
            seen.append(statement)

    event.listen(storage.engine.sync_engine, "before_cursor_execute", cursor)
    try:
        yield seen
    finally:
        event.remove(storage.engine.sync_engine, "before_cursor_execute", cursor)
