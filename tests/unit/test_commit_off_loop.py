"""COMMIT on an SQLite file runs on a thread of its own (storage/sqlite_inline.py), so the event loop
goes on with other updates while the disk syncs; the unit of work still holds the process's writer
lock and waits for the outcome, so a failed commit is rolled back and nothing else touches the
connection until the commit is over, even when the waiting task is cancelled."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError

from storage import sqlite_inline
from storage.sql import SqlStorage
from tests import builders
from tests.databases import FreshDatabases, throwaway_engine

WAIT_S = 10.0  # how long a commit held in its thread waits to be let go (never reached when green)


class HeldCommit:
    """Holds each COMMIT inside SQLite until `let_go`, noting the thread it ran on."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.released = threading.Event()
        self.threads: list[int] = []
        self.let_go: list[bool] = []  # per held COMMIT: let go by the test (not by the wait running out)
        self.hold = False

    def traced(self, statement: str) -> None:
        if statement.strip().upper() != "COMMIT":
            return
        self.threads.append(threading.get_ident())
        if self.hold:
            self.started.set()
            self.let_go.append(self.released.wait(WAIT_S))


@pytest.fixture
async def held(fresh_databases: FreshDatabases) -> AsyncIterator[tuple[SqlStorage, HeldCommit]]:
    commits = HeldCommit()
    engine = throwaway_engine(fresh_databases.url())

    def connected(dbapi_connection: Any, _record: Any) -> None:
        driver = dbapi_connection.driver_connection
        assert isinstance(driver, sqlite_inline.InlineConnection)
        driver.sqlite.set_trace_callback(commits.traced)

    event.listen(engine.sync_engine, "connect", connected)
    storage = SqlStorage(engine)
    try:
        yield storage, commits
    finally:
        commits.released.set()
        await engine.dispose()


async def enterprises(storage: SqlStorage) -> list[str]:
    async with storage() as uow:
        return sorted(e.id for e in await uow.enterprises.all())


async def started(commits: HeldCommit) -> None:
    assert await asyncio.to_thread(commits.started.wait, WAIT_S), "no COMMIT began"


async def test_the_commit_runs_off_the_event_loops_thread(held: tuple[SqlStorage, HeldCommit]) -> None:
    storage, commits = held
    async with storage() as uow:
        await uow.enterprises.add(builders.enterprise("E1"))
        await uow.commit()
    assert commits.threads, "no COMMIT was traced"
    assert threading.get_ident() not in commits.threads
    assert await enterprises(storage) == ["E1"]


async def test_other_tasks_run_while_the_disk_syncs(held: tuple[SqlStorage, HeldCommit]) -> None:
    storage, commits = held
    commits.hold = True

    async def meanwhile() -> None:
        await started(commits)
        commits.released.set()

    async def write() -> None:
        async with storage() as uow:
            await uow.enterprises.add(builders.enterprise("E1"))
            await uow.commit()

    await asyncio.gather(write(), meanwhile())
    # In place, the COMMIT would hold the loop until its wait ran out, and `meanwhile` ran after it.
    assert commits.let_go == [True]
    assert await enterprises(storage) == ["E1"]


async def test_a_failed_commit_rolls_back_and_lets_the_next_unit_of_work_write(
    held: tuple[SqlStorage, HeldCommit],
) -> None:
    storage, _ = held
    async with storage() as uow:
        # Checked at COMMIT: a contact of an enterprise that does not exist.
        await uow._session.execute(text("PRAGMA defer_foreign_keys = ON"))
        await uow.contacts.add(builders.contact(enterprise_id="NOWHERE"))
        with pytest.raises(IntegrityError):
            await uow.commit()
    async with asyncio.timeout(WAIT_S):  # the writer lock was given back
        async with storage() as uow:
            await uow.enterprises.add(builders.enterprise("E2"))
            await uow.commit()
    assert await enterprises(storage) == ["E2"]
    async with storage() as uow:
        assert await uow.contacts.by_identity("console", "u1") is None


async def test_a_cancelled_commit_is_waited_for_before_the_connection_is_touched(
    held: tuple[SqlStorage, HeldCommit],
) -> None:
    storage, commits = held
    commits.hold = True
    on_connection_after: list[str] = []

    async def write() -> None:
        async with storage() as uow:
            await uow.enterprises.add(builders.enterprise("E1"))
            await uow.commit()

    task = asyncio.create_task(write())
    await started(commits)
    task.cancel()
    for _ in range(20):
        await asyncio.sleep(0)
    on_connection_after.append("still waiting" if not task.done() else "gone")
    commits.released.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert on_connection_after == ["still waiting"]
    assert commits.let_go == [True]
    commits.hold = False
    # The commit finished in its thread: what it wrote is kept, and the writer lock is free.
    async with asyncio.timeout(WAIT_S):
        assert await enterprises(storage) == ["E1"]
