"""SQLite's group commit (storage/sql.py): units of work that run close together share one
transaction and one fsync, each in a savepoint of its own. What must hold whatever the grouping:
one unit of work's failure loses nobody else's data, a redelivered update is still claimed once,
and no unit of work leaves its `async with` before its changes are on disk."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from storage import migrate
from storage.engine import create_engine, sqlite_path
from storage.sql import SqlStorage
from tests.conftest import NOW


@pytest.fixture
async def storage(sqlite_url: str) -> AsyncIterator[SqlStorage]:
    engine = create_engine(sqlite_url)
    await migrate.upgrade(engine)
    try:
        yield SqlStorage(engine)
    finally:
        await engine.dispose()


def _on_disk(storage: SqlStorage, sql: str) -> list[tuple[object, ...]]:
    """What another connection (another process) reads from the file now."""
    path = sqlite_path(storage.engine.url)
    assert path is not None
    with sqlite3.connect(Path(path)) as other:
        return other.execute(sql).fetchall()


async def _log(
    storage: SqlStorage, text: str, *, fail: bool = False, started: asyncio.Event | None = None
) -> int:
    async with storage() as uow:
        entry = await uow.messages.record(
            received_at=NOW, channel="telegram", chat_id="1", sender_id="1", text=text, payload=None
        )
        if started is not None:
            started.set()
        await asyncio.sleep(0)  # let the others in the group get going
        if fail:
            raise RuntimeError("this one fails")
        await uow.commit()
    return entry


async def test_units_of_work_run_together_share_a_commit(storage: SqlStorage) -> None:
    commits = 0
    connection_commit = storage.engine.sync_engine.dialect.do_commit

    def counting(dbapi_connection: Any) -> None:
        nonlocal commits
        commits += 1
        connection_commit(dbapi_connection)

    storage.engine.sync_engine.dialect.do_commit = counting  # type: ignore[method-assign]
    await asyncio.gather(*(_log(storage, f"m{i}") for i in range(20)))
    assert len(_on_disk(storage, "SELECT id FROM message_log")) == 20
    assert commits < 20


async def test_one_failure_loses_nobody_elses_data(storage: SqlStorage) -> None:
    results = await asyncio.gather(
        _log(storage, "first"),
        _log(storage, "broken", fail=True),
        _log(storage, "third"),
        return_exceptions=True,
    )
    assert isinstance(results[1], RuntimeError)
    assert sorted(str(text) for (text,) in _on_disk(storage, "SELECT text FROM message_log")) == [
        "first",
        "third",
    ]


async def test_a_unit_of_work_leaves_only_once_its_changes_are_on_disk(storage: SqlStorage) -> None:
    started = asyncio.Event()
    other = asyncio.create_task(_log(storage, "slow neighbour", started=started))
    await started.wait()
    await _log(storage, "mine")
    assert ("mine",) in _on_disk(storage, "SELECT text FROM message_log")
    await other


async def test_a_redelivered_update_is_claimed_once_within_a_group(storage: SqlStorage) -> None:
    async def claim() -> bool:
        async with storage() as uow:
            first = await uow.updates.claim("telegram", "4242", NOW)
            await asyncio.sleep(0)
            await uow.commit()
        return first

    assert sorted(await asyncio.gather(claim(), claim(), claim())) == [False, False, True]
    assert _on_disk(storage, "SELECT update_id FROM processed_updates") == [("4242",)]


async def test_a_failed_shared_commit_fails_every_unit_of_work_in_it(storage: SqlStorage) -> None:
    def refuse(dbapi_connection: Any) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    storage.engine.sync_engine.dialect.do_commit = refuse  # type: ignore[method-assign]
    results = await asyncio.gather(_log(storage, "a"), _log(storage, "b"), return_exceptions=True)
    assert all(isinstance(result, Exception) for result in results)
