"""A unit of work's transaction on SQLite run in place, begun without the ORM session.

Most units of work on the hot path run only driver statements (storage/fast_statements.py), yet
each paid the session's transaction machinery to begin and end: `AsyncSession.connection()`
(a greenlet, the session's transaction, the pool's checkout through it), then `commit()`,
`rollback()` and `close()`, each a greenlet of its own, a few hundred microseconds of CPU a
unit of work. Here the unit of work checks a Core connection out of the same pool and begins
its transaction itself (`BEGIN IMMEDIATE`, in place: storage/engine.py's begin listener), in one
greenlet; the commit and the connection's return are one more.

Nothing else changes: the same pool and sqlite3 connection, the writer lock held by the unit of
work, the engine's begin/commit/rollback and cursor events fired as before (the benchmarks count
through them). The session is bound to this connection once it is begun, so a statement that does
go through the session (or a flush) joins the same transaction ("rollback_only": the session may
roll it back but leaves the commit to the unit of work).
"""

from __future__ import annotations

import sqlite3

from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.util import greenlet_spawn

from storage.sqlite_inline import InlineConnection

Driver = tuple[Connection, sqlite3.Connection]
BEGIN = "xiaoer_driver_begin"  # session.info: begins the unit of work's own transaction


class Inline:
    """Whether an engine's connections are sqlite3 in place: learnt at the first checkout (an
    in-memory database runs on aiosqlite's thread, and its units of work keep the session's way)."""

    def __init__(self) -> None:
        self.known: bool | None = None


class DriverTransaction:
    """The transaction of one unit of work, on a connection of its own from the engine's pool.
    Begun on the first driver statement (`begin`), ended by `end`."""

    def __init__(self, engine: AsyncEngine, session: AsyncSession, inline: Inline) -> None:
        self._engine = engine  # the session's bind, given back when the transaction ends
        self._session = session
        self._inline = inline
        self.driver: Driver | None = None
        session.info[BEGIN] = self.begin

    async def begin(self) -> Driver | None:
        """The transaction's connection, begun if need be; None when the engine's connections are
        not in place (the session then begins its own, as before)."""
        if self.driver is not None or self._inline.known is False:
            return self.driver
        if self._session.sync_session.in_transaction():
            return None  # the session began first: its own transaction is the unit of work's
        self.driver = await greenlet_spawn(self._connect)
        return self.driver

    def _connect(self) -> Driver | None:
        connection = self._engine.sync_engine.connect()
        driver = connection.connection.driver_connection
        if not isinstance(driver, InlineConnection):
            self._inline.known = False
            connection.close()
            return None
        self._inline.known = True
        try:
            connection.begin()  # BEGIN IMMEDIATE, in place (storage/engine._sqlite_begin)
        except BaseException:
            connection.close()
            raise
        # anything the session runs joins it (bound as the session translates its binds)
        self._session.bind = AsyncConnection(self._engine, connection)
        return connection, driver.sqlite

    async def end(self, *, commit: bool) -> None:
        """Commit (or roll back) and give the connection back to the pool; a commit that fails is
        rolled back. A no-op when nothing was begun."""
        if self.driver is None:
            return
        connection, _ = self.driver
        self.driver = None
        self._session.bind = self._engine
        await greenlet_spawn(_end, connection, commit)


def _end(connection: Connection, commit: bool) -> None:
    try:
        if commit:
            connection.commit()
    finally:
        connection.close()  # rolls back whatever was not committed
