"""SQLite for the async engine without a thread hop per call.

aiosqlite runs every call (each execute, fetch, commit, even a cursor's close) on its own thread
and wakes the event loop when it is done: about 0.1 ms of CPU a call, a dozen calls for the
smallest unit of work. On a local SQLite file the call itself takes microseconds, so Xiaoer runs
it in place: this module gives SQLAlchemy's aiosqlite dialect (through `create_async_engine`'s
documented `async_creator` hook) a connection with aiosqlite's async interface whose methods do
the work directly.

The price: while SQLite waits for another *process* that holds the write lock (up to the busy
timeout), the event loop waits too. Within one process units of work already take turns on an
asyncio lock before they touch SQLite (storage/sql.py), so this only happens when a second
process writes the same file, such as a CLI command beside `xiaoer run`; those write for
milliseconds. Deployments with several writing processes belong on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from types import TracebackType
from typing import Any, Self


class InlineCursor:
    """aiosqlite's Cursor interface over a sqlite3 cursor, doing the work as it is asked."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._cursor.close()

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._rows()

    async def _rows(self) -> AsyncIterator[Any]:
        for row in self._cursor:
            yield row

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> Self:
        self._cursor.execute(sql, () if parameters is None else parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> Self:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def nextset(self) -> None:
        return None

    async def setinputsizes(self, *sizes: Any) -> None:
        return None

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _CursorOpening:
    """What aiosqlite's `connection.cursor()` returns: awaitable, and an async context manager."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def __await__(self) -> Any:
        return self._open().__await__()

    async def _open(self) -> InlineCursor:
        return InlineCursor(self._connection.cursor())

    async def __aenter__(self) -> InlineCursor:
        return await self._open()

    async def __aexit__(self, *exc: object) -> None:
        return None


class _RunAtOnce:
    """Stands in for aiosqlite's queue of calls for its thread, which SQLAlchemy's dialect uses
    to set the isolation level: the call runs at once and its future is settled."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:
            future.set_exception(error)


class InlineConnection:
    """aiosqlite's Connection interface over a sqlite3 connection, doing the work in place."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._connection: sqlite3.Connection | None = connection  # None once closed, as aiosqlite
        self._tx = _RunAtOnce()

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._conn.isolation_level = value  # type: ignore[assignment]

    @property
    def sqlite(self) -> sqlite3.Connection:
        """The sqlite3 connection itself (storage/fast_statements runs the hot statements on it)."""
        return self._conn

    def cursor(self) -> _CursorOpening:
        return _CursorOpening(self._conn)

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        return await InlineCursor(self._conn.cursor()).execute(sql, parameters)

    def begin_immediate(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    def stop(self) -> None:
        """Terminate: close at once (there is no thread to stop)."""
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    async def create_function(self, *args: Any, **kw: Any) -> None:
        self._conn.create_function(*args, **kw)


def connector(database: str, timeout_s: float) -> Callable[[], Any]:
    """The `async_creator` for `create_async_engine`: opens the file the URL names."""

    async def connect() -> InlineConnection:
        # check_same_thread off: the pool may close a connection from the garbage collector's
        # thread at shutdown; every call is otherwise made on the event loop's thread.
        return InlineConnection(
            sqlite3.connect(
                database, timeout=timeout_s, check_same_thread=False, uri=database.startswith("file:")
            )
        )

    return connect
