"""Counts the units of work an engine runs: every BEGIN, COMMIT and ROLLBACK on its connections,
and how many of the commits had written something (on SQLite in WAL mode with synchronous=FULL,
those are the commits that fsync; a commit with nothing written does not touch the disk). On the
in-place SQLite connection "written" is SQLite's own count of changed rows; elsewhere, any
statement that is not a read.

    with counting(engine) as count: ...; print(count.line(per=demands))
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event

from storage.engine import Engine

_READS = ("SELECT", "PRAGMA", "WITH")  # a WITH … SELECT that writes does not occur on these paths


@dataclass
class UnitsOfWork:
    begins: int = 0
    commits: int = 0
    written_commits: int = 0
    rollbacks: int = 0
    statements: int = 0
    cpu_seconds: float = 0.0  # the process's CPU while counting, when the caller measures it

    def line(self, per: int) -> str:
        def each(n: int) -> str:
            return f"{n / per:.2f}"

        return (
            f"per update: units of work {each(self.begins)} (BEGIN), commits {each(self.commits)}, "
            f"of which wrote (fsync'd) {each(self.written_commits)}, rollbacks {each(self.rollbacks)}, "
            f"statements {each(self.statements)}"
        )


@contextmanager
def counting(engine: Engine) -> Iterator[UnitsOfWork]:
    """Count on `engine` while the block runs."""
    count = UnitsOfWork()
    sync = engine.sync_engine
    wrote: dict[int, bool] = {}
    before: dict[int, int | None] = {}

    def changes(connection: Any) -> int | None:
        """SQLite's count of rows changed on this connection (an UPDATE that matched nothing
        changes nothing and its commit writes nothing); None on other drivers."""
        driver = getattr(connection.connection, "driver_connection", None)
        sqlite = getattr(driver, "_conn", None)
        return sqlite.total_changes if isinstance(sqlite, sqlite3.Connection) else None

    def begin(connection: Any) -> None:
        count.begins += 1
        wrote[id(connection)] = False
        before[id(connection)] = changes(connection)

    def statement(connection: Any, _cursor: Any, sql: str, *_: Any) -> None:
        count.statements += 1
        if not sql.lstrip()[:6].upper().startswith(_READS):
            wrote[id(connection)] = True

    def commit(connection: Any) -> None:
        count.commits += 1
        written = wrote.pop(id(connection), False)
        changed, then = changes(connection), before.pop(id(connection), None)
        if changed is not None and then is not None:
            written = changed != then
        if written:
            count.written_commits += 1

    def rollback(connection: Any) -> None:
        count.rollbacks += 1
        wrote.pop(id(connection), None)

    listeners: list[tuple[str, Callable[..., None]]] = [
        ("begin", begin),
        ("before_cursor_execute", statement),
        ("commit", commit),
        ("rollback", rollback),
    ]
    for name, listener in listeners:
        event.listen(sync, name, listener)
    try:
        yield count
    finally:
        for name, listener in listeners:
            event.remove(sync, name, listener)
