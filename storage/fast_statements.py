"""The hot path's statements run on the driver: SQLAlchemy builds each one once, per dialect.

Through `AsyncSession.execute` one small indexed read costs 11-22 times its CPU on sqlite3 alone
(benchmarks/statement_cost.py): the ORM session, the compiled cache's lookup, the execution
context, the result's metadata and the greenlet hop all run for every statement, a dozen and
more per update. A `FastStatement` is a Core statement compiled once for SQLite, with its
parameters' order, SQLAlchemy's own bind and result processors (the UTC datetimes, the JSON
columns, booleans) and a row type taken from the compilation: running it is one call on the
session's own sqlite3 connection, in the unit of work's transaction (`BEGIN IMMEDIATE`,
storage/engine.py; begun on the driver's connection by the unit of work itself,
storage/driver_transaction.py, or by the session when it ran something first), with the engine's
cursor events fired as SQLAlchemy fires them (the benchmarks count statements through them) and
the driver's errors raised as SQLAlchemy's.

On PostgreSQL (asyncpg) the same statements go through the session as before, and so they do on
SQLite run on aiosqlite's thread (a URL with options, an in-memory database), whose connection
belongs to that thread. asyncpg's transaction is begun lazily by SQLAlchemy's adapter, which a
statement run beside it would skip: running these on asyncpg itself is left for a measurement on
PostgreSQL (the benchmarks of issue 22 goal 1 run SQLite).

Rows come back as named tuples (a Core row's attributes by column name, its indexes and its
`_mapping`, which is all storage/mapping reads). Only statements whose every parameter is given
or fixed qualify: no expanding `IN` lists, no Python-side column defaults (those need
SQLAlchemy's execution context).
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Executable
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from storage import driver_transaction
from storage.sqlite_binds import fast_processor, fast_result_processor
from storage.sqlite_inline import InlineConnection

Processor = Callable[[Any], Any]
T = TypeVar("T")
_DRIVER = "xiaoer_fast_driver"  # session.info: (the transaction, its connection) once looked up


def _row_type(names: tuple[str, ...]) -> type[tuple[Any, ...]]:
    """A named tuple that also answers `_mapping` as a Core `Row` does (storage/mapping reads a
    ticket's 34 columns through it, where a `Row`'s attribute access is the slow way)."""
    fields = namedtuple("Row", names)  # type: ignore[misc]

    class FastRow(fields):
        __slots__ = ()

        @property
        def _mapping(self) -> dict[str, Any]:
            return dict(zip(self._fields, self, strict=True))

    return FastRow


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the bound parameters in positional order
    fixed: Mapping[str, Any]  # values the statement carries itself (literals, LIMIT's offset)
    binds: Mapping[str, Processor]
    row: type[tuple[Any, ...]] | None  # the returned columns, if any
    results: tuple[tuple[int, Processor], ...]
    processed: tuple[tuple[int, Processor], ...]  # the parameters with a processor, by position

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        # The values first, then the few that need processing (a third of the ticket's and the
        # outbox's columns): one look-up a name rather than two (40% less CPU for the outbox's 29).
        fixed = self.fixed
        out = [values[name] if name in values else fixed[name] for name in self.names]
        for index, process in self.processed:
            value = out[index]
            if value is not None:
                out[index] = process(value)
        return tuple(out)

    def rows(
        self, fetched: Sequence[Sequence[Any]], make: Callable[[Sequence[Any]], Any] | None = None
    ) -> list[Any]:
        assert self.row is not None
        if make is None:
            make = self.row._make  # type: ignore[attr-defined]
        results = self.results
        if not results:
            return [make(row) for row in fetched]
        out = []
        for row in fetched:
            values = list(row)
            for index, process in results:
                values[index] = process(values[index])
            out.append(make(values))
        return out


class FastStatement:
    """A Core statement, compiled for SQLite the first time it runs there. An INSERT or UPDATE is
    compiled for the columns its values name (once for each set of them), as SQLAlchemy does: the
    values given at execution are what it inserts or sets."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._dml = bool(getattr(statement, "is_dml", False))
        self._compiled: dict[tuple[str, ...] | None, _Compiled] = {}

    def compiled(self, dialect: Dialect, values: Mapping[str, Any]) -> _Compiled:
        columns = tuple(values) if self._dml else None
        found = self._compiled.get(columns)
        if found is None:
            found = self._compiled[columns] = self._compile(dialect, columns)
        return found

    def _compile(self, dialect: Dialect, columns: tuple[str, ...] | None) -> _Compiled:
        keys = list(columns) if columns is not None else None
        compiled = cast(ClauseElement, self.statement).compile(dialect=dialect, column_keys=keys)
        assert isinstance(compiled, SQLCompiler)
        if any(bind.expanding for bind in compiled.binds.values()):
            raise ValueError(f"an expanding parameter cannot be run on the driver: {compiled.string}")
        if compiled.insert_prefetch or compiled.update_prefetch:
            raise ValueError(f"columns with Python-side defaults need the session: {compiled.string}")
        names = tuple(compiled.positiontup or ())
        fixed = {name: compiled.binds[name].effective_value for name in names if name in compiled.binds}
        returned = compiled._result_columns
        row: type[tuple[Any, ...]] | None = None
        results: list[tuple[int, Processor]] = []
        if returned:
            row = _row_type(tuple(column.keyname for column in returned))
            for index, column in enumerate(returned):
                process = column.type._cached_result_processor(dialect, None)
                if process is not None:
                    results.append((index, fast_result_processor(column.type, dialect, process)))
        binds = {
            name: fast_processor(compiled.binds[name].type, dialect, process)
            for name, process in compiled._bind_processors.items()
            if callable(process)
        }
        return _Compiled(
            sql=compiled.string,
            names=names,
            fixed=fixed,
            binds=binds,
            row=row,
            results=tuple(results),
            processed=tuple((index, binds[name]) for index, name in enumerate(names) if name in binds),
        )


async def _driver(session: AsyncSession) -> tuple[Connection, sqlite3.Connection] | None:
    """The session's sqlite3 connection in its current transaction (begun if need be), or None
    on another database. Looked up once a transaction."""
    transaction = session.sync_session.get_transaction()
    if transaction is not None:
        known = session.info.get(_DRIVER)
        if known is not None and known[0] is transaction:
            return known[1]  # type: ignore[no-any-return]
    else:
        begin = session.info.get(driver_transaction.BEGIN)  # the unit of work's own, on SQLite
        if begin is not None:
            own: tuple[Connection, sqlite3.Connection] | None = await begin()
            if own is not None:
                return own
    if session.bind is not None and session.bind.dialect.name != "sqlite":
        return None
    connection = await session.connection()  # begins the transaction (BEGIN IMMEDIATE) if need be
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection  # aiosqlite's own (an in-memory database) runs on its thread
    assert connection.sync_connection is not None
    found = (connection.sync_connection, driver.sqlite) if isinstance(driver, InlineConnection) else None
    session.info[_DRIVER] = (session.sync_session.get_transaction(), found)
    return found


async def _prepare(session: AsyncSession) -> tuple[Connection, sqlite3.Connection] | None:
    # What the session has pending is flushed first, as its own execute would (autoflush).
    sync = session.sync_session
    if sync._new or sync._deleted or sync.identity_map._modified:
        await session.flush()
    return await _driver(session)


def _run(
    connection: Connection,
    driver: sqlite3.Connection,
    compiled: _Compiled,
    parameters: Any,
    *,
    many: bool = False,
) -> sqlite3.Cursor:
    events = connection._has_events or connection.engine._has_events
    if events:
        connection.dispatch.before_cursor_execute(connection, None, compiled.sql, parameters, None, many)
    try:
        if many:
            cursor = driver.executemany(compiled.sql, parameters)
        else:
            cursor = driver.execute(compiled.sql, parameters)
    except sqlite3.Error as error:
        raise DBAPIError.instance(compiled.sql, parameters, error, sqlite3.Error) from error
    if events:
        connection.dispatch.after_cursor_execute(connection, cursor, compiled.sql, parameters, None, many)
    return cursor


async def rows(session: AsyncSession, statement: FastStatement, values: Mapping[str, Any]) -> list[Any]:
    """The rows the statement returns (a SELECT, or a write with RETURNING)."""
    return await _rows(session, statement, values, None)


async def rows_as(
    session: AsyncSession,
    statement: FastStatement,
    values: Mapping[str, Any],
    make: Callable[[Sequence[Any]], T],
) -> list[T]:
    """The rows, each made by `make` from its values in the statement's column order (a named
    tuple's `_make`): one object a row where `rows` and a conversion made two (the shared-problem
    check reads sixty rows a new demand: 0.36 us a row saved)."""
    return await _rows(session, statement, values, make)


async def _rows(
    session: AsyncSession,
    statement: FastStatement,
    values: Mapping[str, Any],
    make: Callable[[Sequence[Any]], Any] | None,
) -> list[Any]:
    found = await _prepare(session)
    if found is None:
        fetched = (await session.execute(statement.statement, dict(values))).all()
        return list(fetched) if make is None else [make(row) for row in fetched]
    connection, driver = found
    compiled = statement.compiled(connection.dialect, values)
    cursor = _run(connection, driver, compiled, compiled.parameters(values))
    return compiled.rows(cursor.fetchall(), make)


async def changed(session: AsyncSession, statement: FastStatement, values: Mapping[str, Any]) -> int:
    """Run a write; how many rows it changed."""
    found = await _prepare(session)
    if found is None:
        result = await session.execute(statement.statement, dict(values))
        return cast(CursorResult[Any], result).rowcount
    connection, driver = found
    compiled = statement.compiled(connection.dialect, values)
    return _run(connection, driver, compiled, compiled.parameters(values)).rowcount


async def run_many(
    session: AsyncSession, statement: FastStatement, values: Sequence[Mapping[str, Any]]
) -> None:
    """Run a write once for each set of values, in one call."""
    if not values:
        return
    found = await _prepare(session)
    if found is None:
        await session.execute(statement.statement, [dict(v) for v in values])
        return
    connection, driver = found
    compiled = [statement.compiled(connection.dialect, v) for v in values]
    if any(each is not compiled[0] for each in compiled):  # an INSERT whose rows give different columns
        for each, v in zip(compiled, values, strict=True):
            _run(connection, driver, each, each.parameters(v))
        return
    _run(connection, driver, compiled[0], [compiled[0].parameters(v) for v in values], many=True)
