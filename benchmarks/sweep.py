"""The reminder sweep on a large PostgreSQL table: 1,000,000 tickets, 10,000 of them due.

    python -m benchmarks.sweep [--tickets 1000000] [--due 10000] [--database URL]

Loads the tickets with COPY into a schema of its own (dropped at the end): most closed, the
other open ones with their next check in the future, and `--due` overdue ones whose check time
has come. Then runs one sweep (reading the due tickets page by page, working out the nudges,
claiming them in the ledger, moving each ticket's next check on) and prints its time, and the
EXPLAIN (ANALYZE, BUFFERS) of the sweep's query, which should read the partial index on open
tickets' check time: its cost follows the number due, not the size of the table.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.config import load_settings
from handlers import reminders
from handlers.deps import Deps
from storage import migrate
from storage.reminders_sql import due_statement
from storage.sql import SqlStorage
from tests.fakes import FakeNlu

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = os.environ.get("XIAOER_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
SCHEMA = "xiaoer_bench_sweep"
XIAMEN = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=XIAMEN)  # a Wednesday morning
CHUNK = 50_000
COLUMNS = (
    "id",
    "enterprise_id",
    "contact_id",
    "channel",
    "chat_id",
    "text",
    "lang",
    "intent",
    "category",
    "urgent",
    "status",
    "department_id",
    "assignee_id",
    "respond_by",
    "resolve_by",
    "sign_by",
    "created_at",
    "updated_at",
    "closed_at",
    "version",
    "co_departments",
    "confidential",
    "urge_count",
    "signed_at",
    "first_contact_at",
    "next_check_at",
)
OFFICERS = (("wang_lei", "industry_it"), ("wu_bin", "finance_office"), ("fang_yi", "hr_social"))


def rows(total: int, due: int) -> Iterator[tuple[Any, ...]]:
    """Every 100th ticket is due (up to `due`); of the rest, 70% are closed and the others are
    open with their next check after NOW."""
    step = max(total // due, 1) if due else total + 1
    made_due = 0
    opened = NOW - timedelta(days=10)
    resolve_by = NOW - timedelta(days=2)  # Monday 10:00: overdue by 1.5 working days at NOW
    for number in range(1, total + 1):
        officer, department = OFFICERS[number % len(OFFICERS)]
        is_due = made_due < due and number % step == 0
        if is_due:
            made_due += 1
            status, next_check, closed_at = "in_progress", NOW - timedelta(minutes=number % 600), None
        elif number % 10 < 7:
            status, next_check, closed_at = "closed", opened, opened + timedelta(days=1)
        else:
            status, next_check, closed_at = "in_progress", NOW + timedelta(hours=1 + number % 500), None
        yield (
            number,
            "acme",
            1,
            "console",
            "enterprise:acme",
            "出口退税一直没到账，资金很紧张，希望帮忙协调",
            "zh-CN",
            "report_demand",
            "tax",
            False,
            status,
            department,
            officer,
            opened + timedelta(hours=8),
            resolve_by if is_due else NOW + timedelta(days=5),
            opened + timedelta(hours=4),
            opened,
            opened,
            closed_at,
            1,
            "[]",
            False,
            0,
            opened + timedelta(hours=1),
            opened + timedelta(hours=2),
            next_check,
        )


async def load(engine: AsyncEngine, total: int, due: int) -> float:
    start = time.perf_counter()
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO enterprises (id, name, tags) VALUES ('acme', 'acme 有限公司', '[]')")
        )
        await conn.execute(
            text(
                "INSERT INTO contacts (id, channel, external_id, display_name, lang, enterprise_id) "
                "VALUES (1, 'console', 'u1', '张总', 'zh-CN', 'acme')"
            )
        )
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        chunk: list[tuple[Any, ...]] = []
        for row in rows(total, due):
            chunk.append(row)
            if len(chunk) == CHUNK:
                await driver.copy_records_to_table(
                    "tickets", records=chunk, columns=COLUMNS, schema_name=SCHEMA
                )
                chunk = []
        if chunk:
            await driver.copy_records_to_table("tickets", records=chunk, columns=COLUMNS, schema_name=SCHEMA)
        await conn.execute(text("SELECT setval(pg_get_serial_sequence('tickets', 'id'), :n)"), {"n": total})
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE tickets"))
    return time.perf_counter() - start


async def explain(engine: AsyncEngine, limit: int) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the sweep's own query, with its parameters bound as the
    driver binds them."""
    compiled = due_statement(NOW.astimezone(UTC), None, limit).compile(dialect=engine.dialect)
    params = tuple(compiled.params[name] for name in compiled.positiontup or ())
    async with engine.connect() as conn:
        result = await conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}", params)
        return "\n".join(row[0] for row in result)


async def read_due(deps: Deps) -> tuple[float, int]:
    """The sweep's query alone: every due ticket, page by page, read as the ladder reads them."""
    start = time.perf_counter()
    count, after = 0, None
    async with deps.storage() as uow:
        while True:
            page = await uow.reminders.due(NOW, after, reminders.PAGE)
            count += len(page)
            if len(page) < reminders.PAGE:
                return time.perf_counter() - start, count
            after = (page[-1].check_at, page[-1].number)


# The same work as one sweep, done by the database alone in three set-based statements (no
# Python per ticket): the floor any sweep that records each nudge and moves each check pays.
_FLOOR = (
    (
        "read the due tickets",
        "CREATE TEMP TABLE due ON COMMIT DROP AS SELECT id, version, status, department_id, assignee_id,"
        " created_at, sign_by, respond_by, resolve_by, signed_at, first_contact_at, paused_at,"
        " next_check_at FROM tickets WHERE status <> 'closed' AND next_check_at <= :now"
        " ORDER BY next_check_at, id",
    ),
    (
        "claim two nudges each",
        "INSERT INTO nudges (ticket_number, kind, due_at, level, repeat, recipient, claimed_at)"
        " SELECT id, 'resolve', resolve_by, level, 0, '', :now FROM due,"
        " unnest(ARRAY['remind', 'supervise']) AS level ORDER BY id ON CONFLICT DO NOTHING"
        " RETURNING ticket_number",
    ),
    (
        "move each check on",
        "UPDATE tickets SET next_check_at = due.next_check_at + interval '2 hours' FROM due"
        " WHERE tickets.id = due.id AND tickets.version = due.version",
    ),
)


async def floor(engine: AsyncEngine) -> list[tuple[str, float]]:
    """Each of `_FLOOR`'s statements timed, in a transaction rolled back at the end."""
    times = []
    async with engine.connect() as conn:
        transaction = await conn.begin()
        for name, statement in _FLOOR:
            start = time.perf_counter()
            await conn.execute(text(statement), {"now": NOW})
            times.append((name, time.perf_counter() - start))
        await transaction.rollback()
    return times


async def main(url: str, total: int, due: int) -> None:
    admin = create_async_engine(url)
    async with admin.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
        await conn.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
    engine = create_async_engine(url, connect_args={"server_settings": {"search_path": SCHEMA}})
    try:
        await migrate.upgrade(engine)
        seconds = await load(engine, total, due)
        print(f"loaded {total:,} tickets ({due:,} due) with COPY in {seconds:.1f} s")
        settings = load_settings(ROOT / "config.yaml")
        sla = settings.sla_policy()
        deps = Deps(
            storage=SqlStorage(engine),
            directory=settings.bootstrap_directory(),
            nlu=FakeNlu(),
            sla=sla,
            ladder=settings.ladder(sla.calendar),
        )
        print(await explain(engine, reminders.PAGE))
        # A running Xiaoer has its statements compiled and its catalogues loaded: a dry run (which
        # reads and plans everything and writes nothing) warms the process up first.
        start = time.perf_counter()
        dry = await reminders.sweep(deps, NOW, dry_run=True)
        print(f"dry run (cold process): {(time.perf_counter() - start) * 1000:.0f} ms, {dry.looked_at:,} due")
        seconds, count = await read_due(deps)
        print(f"the sweep's query alone, all pages: {seconds * 1000:.0f} ms for {count:,}")
        times = await floor(engine)
        spelled = ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in times)
        whole = sum(seconds for _, seconds in times) * 1000
        print(f"the database alone, set-based (rolled back): {spelled}; total {whole:.0f} ms")
        start = time.perf_counter()
        result = await reminders.sweep(deps, NOW)
        elapsed = time.perf_counter() - start
        print(
            f"one sweep: {elapsed * 1000:.0f} ms for {result.looked_at:,} due tickets "
            f"({len(result.replies):,} messages, pages of {reminders.PAGE})"
        )
        start = time.perf_counter()
        again = await reminders.sweep(deps, NOW)
        print(
            f"the same sweep again: {(time.perf_counter() - start) * 1000:.1f} ms, "
            f"{again.looked_at} ticket(s) due, {len(again.replies)} message(s)"
        )
        async with engine.connect() as conn:
            nudges = (await conn.execute(text("SELECT count(*) FROM nudges"))).scalar_one()
        print(f"nudges in the ledger: {nudges:,}")
    finally:
        await engine.dispose()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
        await admin.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--database", default=DEFAULT_URL)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.database, arguments.tickets, arguments.due))
