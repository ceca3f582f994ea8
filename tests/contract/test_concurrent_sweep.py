"""Two instances of Xiaoer sweep the same overdue tickets at the same time on PostgreSQL: every
nudge is sent exactly once."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import Settings
from bot.domain.messages import ToOfficer
from bot.domain.tickets import Status
from handlers import reminders
from handlers.deps import Deps
from storage import migrate
from storage.sql import SqlStorage
from tests import builders
from tests.conftest import NOW, postgres_engine
from tests.fakes import FakeNlu

TICKETS = 40
XIAMEN = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def schema(postgres_url: str) -> AsyncIterator[str]:
    name = f"xiaoer_sweep_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(postgres_url)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield name
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        await admin.dispose()


def _instance(storage: SqlStorage, settings: Settings) -> Deps:
    sla = settings.sla_policy()
    return Deps(
        storage=storage,
        directory=settings.bootstrap_directory(),
        nlu=FakeNlu(),
        sla=sla,
        ladder=settings.ladder(sla.calendar),
    )


@pytest.mark.postgres
async def test_two_sweeps_at_once_send_each_nudge_once(
    postgres_url: str, schema: str, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reminders, "PAGE", 5)  # many small transactions, so the two interleave
    monkeypatch.setattr(reminders, "DETAILED", TICKETS)  # every nudge is a line of its own
    engines = [postgres_engine(postgres_url, schema) for _ in range(2)]
    try:
        await migrate.upgrade(engines[0])
        first, second = (SqlStorage(engine) for engine in engines)
        # due Friday 20 November 10:00; on Monday 23rd at 10:00 (NOW) they are one working day
        # late: a reminder to the officer (the first one sent, though the ladder's third rung), and
        # supervision to the head of department
        due = datetime(2026, 11, 20, 10, 0, tzinfo=XIAMEN)
        async with first() as uow:
            await uow.enterprises.add(builders.enterprise("acme"))
            contact = await uow.contacts.add(builders.contact("acme"))
            assert contact.id is not None
            for _ in range(TICKETS):
                ticket = builders.ticket(
                    contact.id,
                    at=datetime(2026, 11, 19, 10, 0, tzinfo=XIAMEN),
                    status=Status.IN_PROGRESS,
                    department_id="industry_it",
                    assignee_id="wang_lei",
                    signed_at=due,
                    first_contact_at=due,
                    resolve_by=due,
                )
                await uow.tickets.add(ticket)
            await uow.commit()

        results = await asyncio.gather(
            reminders.sweep(_instance(first, settings), NOW),
            reminders.sweep(_instance(second, settings), NOW),
        )
    finally:
        for engine in engines:
            await engine.dispose()

    replies = [reply for result in results for reply in result.replies]
    # each instance sends a recipient one message listing its nudges, a line each
    lines = [(reply.to, line) for reply in replies for line in reply.text.splitlines()]
    sent = Counter((to, ref) for to, line in lines for ref in re.findall(r"工单 (#\d+)", line))
    assert len(sent) == 2 * TICKETS
    assert set(sent.values()) == {1}
    assert {to for to, _ in sent} == {ToOfficer("wang_lei"), ToOfficer("zheng_yu")}
    reminded = [line for to, line in lines if to == ToOfficer("wang_lei") and "工单 #" in line]
    assert len(reminded) == TICKETS
    assert all(line.startswith("🔔 催办") for line in reminded)
    assert sum(result.looked_at for result in results) >= TICKETS


@pytest.mark.postgres
async def test_a_change_made_while_the_sweep_moves_its_check_keeps_its_own(
    postgres_url: str, schema: str
) -> None:
    """The sweep read a ticket; before it moves the ticket's check on, an officer changes the
    ticket in a transaction still open. The sweep's move waits for that transaction and then
    finds another version: the change's "look again now" stands."""
    engines = [postgres_engine(postgres_url, schema) for _ in range(2)]
    try:
        await migrate.upgrade(engines[0])
        sweeper, officer = (SqlStorage(engine) for engine in engines)
        async with officer() as uow:
            await uow.enterprises.add(builders.enterprise("acme"))
            contact = await uow.contacts.add(builders.contact("acme"))
            assert contact.id is not None
            ticket = await uow.tickets.add(builders.ticket(contact.id, at=NOW, status=Status.DISPATCHED))
            await uow.commit()
        async with sweeper() as sweep:
            [read] = await sweep.reminders.due(NOW)
            async with officer() as change:
                changed = await change.tickets.update(
                    replace(ticket, status=Status.SIGNED, updated_at=NOW + timedelta(minutes=1))
                )
                moving = asyncio.create_task(sweep.reminders.reschedule([(read, None)]))
                await asyncio.sleep(0.2)
                assert not moving.done()  # waiting on the change's lock on the check's row
                await change.commit()
            await moving
            await sweep.commit()
        async with sweeper() as uow:
            assert [
                (t.number, t.version, t.check_at) for t in await uow.reminders.due(NOW + timedelta(hours=1))
            ] == [(changed.number, changed.version, changed.updated_at)]
    finally:
        for engine in engines:
            await engine.dispose()
