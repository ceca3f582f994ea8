"""Issue 16 item 5: the database failing under the handlers and the sender, for real: a SQLite
file whose write lock another connection holds, and PostgreSQL connections killed by the server
(`pg_terminate_backend`) while people write. The update waits (kept unacknowledged, or kept and
tried again), nothing is half done, and every answer arrives once, in order, when the database
is back; the log says what happened."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.bootstrap import build_app, upgrade_database
from bot.config import load_settings
from tests.channels.telegram_runtime import telegram_running
from tests.channels.test_telegram import DEMAND, ENTREPRENEUR, Running, running, write_config
from tests.fake_telegram import FakeBotApi

__all__ = ["running"]  # the fixture, shared with the main Telegram suite

ANSWERS = ("工单号", "贵公司的全称", "统一社会信用代码是", "谢谢，已记录")
USCC = "91350206MA2Y3K8P13"


def once_each_in_order(api: FakeBotApi, person: int, fragments: tuple[str, ...]) -> None:
    said = [s.text for s in api.to(person)]
    places = [[i for i, t in enumerate(said) if fragment in t] for fragment in fragments]
    assert all(len(found) == 1 for found in places), (person, said)
    assert [found[0] for found in places] == sorted(found[0] for found in places), said


async def test_a_write_lock_held_elsewhere_delays_the_demand_and_loses_nothing(
    running: Running, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    api = running.api
    holder = sqlite3.connect(tmp_path / "tg.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program writing for a long time
    try:
        await api.user_sends(ENTREPRENEUR, DEMAND)
        await api.wait_until(
            lambda: any("database is locked" in str(r.exc_info and r.exc_info[1]) for r in caplog.records),
            "the lock to be met and logged",
            within=60,
        )
        assert not api.to(ENTREPRENEUR)  # nothing said while nothing could be kept
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    await api.wait_text(ENTREPRENEUR, "贵公司的全称", within=60)
    once_each_in_order(api, ENTREPRENEUR, ANSWERS[:2])
    async with running.app.deps.storage() as uow:
        assert await uow.tickets.get(1) is not None
        assert await uow.tickets.get(2) is None  # handled once


async def terminate_connections(admin_url: str, database: str) -> int:
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            killed = await connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": database},
            )
            return int(killed.scalar_one())
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_connections_killed_by_the_server_mid_run_lose_and_repeat_nothing(
    tmp_path: Path, postgres_url: str, postgres_database: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    await upgrade_database(postgres_database)
    settings = load_settings(write_config(tmp_path, officers={}, groups={}))
    app = await build_app(settings, postgres_database)
    api = FakeBotApi()
    await api.start()
    people = [ENTREPRENEUR + i for i in range(8)]
    killed = 0
    try:
        async with telegram_running(app.deps, api):

            async def converse(person: int) -> None:
                for message in (DEMAND, f"厦门第{person}精工机械有限公司", USCC):
                    before = len(api.to(person))
                    await api.user_sends(person, message)
                    await api.wait_until(
                        lambda before=before: len(api.to(person)) > before,  # type: ignore[misc]
                        f"an answer to {person}",
                        60,
                    )

            talking = asyncio.gather(*(converse(person) for person in people))
            while not talking.done():  # the server drops every connection, over and over
                killed += await terminate_connections(postgres_url, postgres_database.rsplit("/", 1)[1])
                await asyncio.wait([talking], timeout=0.5)
            await talking
            for person in people:
                await api.wait_text(person, ANSWERS[-1], within=60)
    finally:
        await api.stop()
        await app.close()
    assert killed > 0
    for person in people:
        once_each_in_order(api, person, ANSWERS)
    engine = create_async_engine(postgres_database)
    try:
        async with engine.connect() as connection:
            tickets = (await connection.execute(text("SELECT count(*) FROM tickets"))).scalar_one()
            stuck = (
                await connection.execute(text("SELECT count(*) FROM outbox WHERE status <> 'sent'"))
            ).scalar_one()
            waiting = (
                await connection.execute(text("SELECT count(*) FROM inbox WHERE NOT done"))
            ).scalar_one()
    finally:
        await engine.dispose()
    assert (tickets, stuck, waiting) == (len(people), 0, 0)
