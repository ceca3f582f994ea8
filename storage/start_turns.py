"""Processes that prepare the same database take turns: migrating it and seeding it.

Two `xiaoer db upgrade` (or two `xiaoer run` started together by systemd, compose or a deploy
script) on a fresh PostgreSQL database would otherwise both create the same tables or insert the
same departments, and one fails on a duplicate key. So the whole preparation (schema check or
upgrade, then the seed) runs under one PostgreSQL session-level advisory lock: the second process
waits, then finds the work done. SQLite needs nothing: every transaction there begins with the
write lock (storage/engine.py), so preparations already run one after another.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.engine import DatabaseUnavailable, mask_url

PREPARE_LOCK = 0x58_69_61_6F_00_02  # "Xiao" 2: the advisory lock preparations take turns on
WAIT_SECONDS = 300.0  # a long migration of a big database may hold the turn for minutes
POLL_SECONDS = 0.2


@asynccontextmanager
async def preparing_alone(engine: AsyncEngine, wait_seconds: float = WAIT_SECONDS) -> AsyncIterator[None]:
    """Hold the database's preparation turn for the block (PostgreSQL; nothing on SQLite)."""
    if engine.dialect.name != "postgresql":
        yield
        return
    async with engine.connect() as connection:
        await _take_turn(connection, engine, wait_seconds)
        try:
            yield
        finally:
            await _give_turn_back(connection)


async def _take_turn(connection: AsyncConnection, engine: AsyncEngine, wait_seconds: float) -> None:
    # pg_try_advisory_lock in a loop rather than pg_advisory_lock: a process stuck holding the turn
    # ends in a message that names it, not in a start that never finishes.
    deadline = time.monotonic() + wait_seconds
    while True:
        taken = (await connection.execute(select(func.pg_try_advisory_lock(PREPARE_LOCK)))).scalar_one()
        await connection.commit()  # the lock is the session's; no transaction stays open meanwhile
        if taken:
            return
        if time.monotonic() >= deadline:
            holder = await _holder(connection)
            raise DatabaseUnavailable(
                mask_url(engine.url),
                f"another process ({holder}) has been upgrading or seeding it for over {wait_seconds:.0f} s",
                "Wait for it to finish, or stop it if it is stuck, then start again.",
            )
        await asyncio.sleep(POLL_SECONDS)


async def _holder(connection: AsyncConnection) -> str:
    found = await connection.execute(
        text(
            "SELECT a.pid, a.application_name, a.client_addr FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted "
            "AND ((l.classid::bigint << 32) | l.objid::bigint) = :key"
        ),
        {"key": PREPARE_LOCK},
    )
    row = found.first()
    await connection.commit()
    if row is None:
        return "unknown"
    return f"server pid {row.pid}, from {row.client_addr or 'a local socket'}"


async def _give_turn_back(connection: AsyncConnection) -> None:
    try:
        await connection.execute(select(func.pg_advisory_unlock(PREPARE_LOCK)))
        await connection.commit()
    except Exception:
        # The connection broke: never hand it back to the pool still holding the lock. Closing it
        # releases the lock on the server, and the preparation itself has ended either way.
        await connection.invalidate()
    except BaseException:  # cancelled (a stop while starting): the same, and the stop goes on
        await connection.invalidate()
        raise
