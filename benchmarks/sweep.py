"""The reminder sweep on a large PostgreSQL table: 1,000,000 tickets, 10,000 of them due.

    python -m benchmarks.sweep [--tickets 1000000] [--due 10000] [--rounds 5] [--reuse] [--database URL]

Loads the tickets with COPY into a schema of its own (dropped at the end): most closed (no next
check), the other open ones with their next check in the future, and `--due` overdue ones whose
check time has come (their rows of tickets and of ticket_checks). Then runs `--rounds` sweeps,
each from that state (reading the due tickets page by page, working out the nudges, claiming them
in the ledger, moving each ticket's next check on), prints each one's time per due ticket and the
median, fastest and slowest, and the
EXPLAIN (ANALYZE, BUFFERS) of the sweep's query, which should read the partial index on open
tickets' check time: its cost follows the number due, not the size of the table. "The database
alone" is the sweep's own statements (each page's read, claim and reschedule, LIMITed as the
sweep runs them), timed as it runs them; their EXPLAIN (ANALYZE, BUFFERS) follows, each run again
with its first page's parameters on the state before the sweep, rolled back.

`--reuse` keeps the schema at the end, and on the next run with the same `--tickets` and `--due` resets it
(nudges emptied, the due tickets' checks put back) instead of loading a million rows again.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import re
import statistics
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.config import load_settings
from handlers import reminders
from handlers.deps import Deps
from storage import migrate
from storage.reminders_sql import due_statement
from storage.sql import SqlStorage
from storage.tables import TICKET_CHECKS
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
)
CHECK_COLUMNS = tuple(TICKET_CHECKS.c.keys())  # with the ticket's columns the sweep reads
OFFICERS = (("wang_lei", "industry_it"), ("wu_bin", "finance_office"), ("fang_yi", "hr_social"))


def rows(total: int, due: int) -> Iterator[tuple[tuple[Any, ...], tuple[Any, ...]]]:
    """Every 100th ticket is due (up to `due`); of the rest, 70% are closed (no next check) and
    the others are open with their next check after NOW. Each as its row of tickets and its row
    of ticket_checks."""
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
            status, next_check, closed_at = "closed", None, opened + timedelta(days=1)
        else:
            status, next_check, closed_at = "in_progress", NOW + timedelta(hours=1 + number % 500), None
        ticket = (
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
        )
        check = {**dict(zip(COLUMNS, ticket, strict=True)), "ticket_version": 1, "next_check_at": next_check}
        yield ticket, (number, *(check.get(name) for name in CHECK_COLUMNS[1:]))


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
        tickets: list[tuple[Any, ...]] = []
        checks: list[tuple[Any, ...]] = []

        async def copy() -> None:
            await driver.copy_records_to_table(
                "tickets", records=tickets, columns=COLUMNS, schema_name=SCHEMA
            )
            await driver.copy_records_to_table(
                "ticket_checks", records=checks, columns=CHECK_COLUMNS, schema_name=SCHEMA
            )
            tickets.clear()
            checks.clear()

        for ticket, check in rows(total, due):
            tickets.append(ticket)
            checks.append(check)
            if len(tickets) == CHUNK:
                await copy()
        if tickets:
            await copy()
        await conn.execute(text("SELECT setval(pg_get_serial_sequence('tickets', 'id'), :n)"), {"n": total})
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE tickets"))
        await conn.execute(text("VACUUM ANALYZE ticket_checks"))
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


@dataclass
class Statements:
    """The sweep's own statements as it runs them: database time (the driver's execute, round
    trip included) by kind, and the first of each kind with its parameters, to EXPLAIN."""

    seconds: dict[str, float] = field(default_factory=dict)
    count: dict[str, int] = field(default_factory=dict)
    first: dict[str, tuple[str, Any]] = field(default_factory=dict)
    # The CPU time of each PostgreSQL backend the sweep used, when first seen (it runs on this
    # machine): the database's own work, which a statement's time on the client overstates once
    # the sweep plans the next page while the database writes this one (the answer waits).
    backends: dict[int, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    def database_cpu(self) -> float:
        return sum(_backend_cpu(pid) - start for pid, start in self.backends.items())


def _backend_cpu(pid: int) -> float:
    """A process's CPU time (user + system) from /proc, in seconds (10 ms steps)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Round:
    """One timed sweep from the same starting state."""

    elapsed: float
    cpu: float  # this process's CPU time: the ladder, the driver, SQLAlchemy
    due: int
    statements: Statements
    database_cpu: float  # the PostgreSQL backends' CPU time for the sweep's statements

    @property
    def per_due(self) -> float:
        return self.elapsed / max(self.due, 1) * 1e6

    @property
    def ratio(self) -> float:
        return self.elapsed / self.statements.total

    def describe(self) -> str:
        spelled = ", ".join(
            f"{kind} x{self.statements.count[kind]} {seconds * 1000:.0f} ms"
            for kind, seconds in self.statements.seconds.items()
        )
        return (
            f"{self.elapsed * 1000:.0f} ms, {self.per_due:.1f} us per due ticket, process CPU "
            f"{self.cpu * 1000:.0f} ms, database CPU {self.database_cpu * 1000:.0f} ms; "
            f"the database alone (the sweep's own statements, timed as it "
            f"ran them): {spelled}; total {self.statements.total * 1000:.0f} ms; whole sweep / its "
            f"statements: {self.ratio:.2f}"
        )


def _median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def _kind(sql: str) -> str:
    words = " ".join(sql.split()).lower()
    if words.startswith("select") and "from ticket_checks" in words and "next_check_at <=" in words:
        return "read due tickets (a page)"
    if words.startswith("with page as materialized (") and "from ticket_checks" in words:
        return "read due tickets (the first page, setting the plan mode for a sweep of one page)"
    if words.startswith("with moved as ( update ticket_checks"):
        return "claim nudges and move checks on (a page)"
    if words.startswith("insert into nudges") or words.startswith("with claimed as ( insert into nudges"):
        return "claim nudges (a page)"
    if words.startswith("update ticket_checks set next_check_at"):
        return "move checks on (a page)"
    if words.startswith("select ticket_number, kind, due_at, repeat from nudges"):
        return "earlier reminders (the lines spelled out)"
    if words.startswith("select true, id, text"):
        return "tickets and earlier reminders (a sweep of one page, while it plans)"
    if words.startswith("set local plan_cache_mode"):
        return "plan mode (around the earlier reminders)"
    return "other"


@contextmanager
def timing_statements(engine: AsyncEngine) -> Iterator[Statements]:
    found = Statements()
    started: dict[int, float] = {}

    def before(conn: Any, cursor: Any, sql: str, parameters: Any, *_: Any) -> None:
        pid = conn.connection.dbapi_connection._connection.get_server_pid()
        if pid not in found.backends:
            found.backends[pid] = _backend_cpu(pid)
        started[id(cursor)] = time.perf_counter()
        found.first.setdefault(_kind(sql), (sql, parameters))

    def after(_conn: Any, cursor: Any, sql: str, *_: Any) -> None:
        kind = _kind(sql)
        found.seconds[kind] = found.seconds.get(kind, 0.0) + time.perf_counter() - started.pop(id(cursor))
        found.count[kind] = found.count.get(kind, 0) + 1

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    event.listen(engine.sync_engine, "after_cursor_execute", after)
    try:
        yield found
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)
        event.remove(engine.sync_engine, "after_cursor_execute", after)


async def explain_statements(engine: AsyncEngine, statements: Statements) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the first of each kind the sweep ran, with its own
    parameters, on the state before the sweep (reset first), rolled back."""
    async with engine.connect() as conn:
        transaction = await conn.begin()
        for kind, (sql, parameters) in statements.first.items():
            if kind == "other" or kind.startswith("plan mode"):  # nothing to explain
                continue
            result = await conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", parameters)
            print(f"-- {kind}:")
            print("\n".join(_shortened(row[0]) for row in result))
        await transaction.rollback()


def _shortened(line: str) -> str:
    """A plan's line with a page's array of parameters (2,000 numbers) cut to its first few."""
    return re.sub(r"'\{([^{}']{60})[^{}']*\}'", r"'{\1…}'", line)


async def reset(engine: AsyncEngine, total: int, due: int) -> None:
    """Back to the state `load` leaves: the due tickets' checks where they were, no nudges."""
    step = max(total // due, 1) if due else total + 1
    async with engine.begin() as conn:
        await conn.execute(text("TRUNCATE nudges"))
        await conn.execute(
            text(
                "UPDATE ticket_checks SET next_check_at = CAST(:now AS timestamptz)"
                " - make_interval(mins => ticket_id % 600)"
                " WHERE status <> 'closed' AND ticket_id % :step = 0 AND ticket_id <= :last"
            ),
            {"now": NOW, "step": step, "last": step * due},
        )
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE tickets"))
        await conn.execute(text("VACUUM ANALYZE ticket_checks"))


async def loaded(engine: AsyncEngine, total: int, due: int) -> bool:
    """The schema holds what `load` would make of these numbers (the overdue ones are the only
    tickets whose resolve deadline has passed)."""
    async with engine.connect() as conn:
        exists = (await conn.execute(text("SELECT to_regclass('tickets')"))).scalar_one()
        if exists is None or (await conn.execute(text("SELECT count(*) FROM tickets"))).scalar_one() != total:
            return False
        overdue = text("SELECT count(*) FROM tickets WHERE resolve_by < :now")
        return bool((await conn.execute(overdue, {"now": NOW})).scalar_one() == due)


async def main(url: str, total: int, due: int, reuse: bool, rounds_wanted: int) -> None:
    admin = create_async_engine(url)
    engine = create_async_engine(url, connect_args={"server_settings": {"search_path": SCHEMA}})
    if reuse:
        async with admin.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"'))
    if reuse and await loaded(engine, total, due):
        await migrate.upgrade(engine)
        start = time.perf_counter()
        await reset(engine, total, due)
        print(f"reused {total:,} tickets, reset to {due:,} due in {time.perf_counter() - start:.1f} s")
    else:
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
            await conn.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
        await migrate.upgrade(engine)
        seconds = await load(engine, total, due)
        print(f"loaded {total:,} tickets ({due:,} due) with COPY in {seconds:.1f} s")
    try:
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
        # ... and has claimed before: the driver learns the claim's array types once per process
        # (an introspection query of 60-300 ms here), which a dry run does not reach.
        start = time.perf_counter()
        await reminders.sweep(deps, NOW)
        await reset(engine, total, due)
        # ... and has put what it loaded at start out of the collector's sight (bot/runtime/serve.py)
        gc.collect()
        gc.freeze()
        print(
            f"a first sweep to warm the claim up, then reset: {(time.perf_counter() - start) * 1000:.0f} ms"
        )
        rounds: list[Round] = []
        for number in range(1, rounds_wanted + 1):
            if number > 1:
                await reset(engine, total, due)
            with timing_statements(engine) as statements:
                start, cpu = time.perf_counter(), time.process_time()
                result = await reminders.sweep(deps, NOW)
                elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
                database_cpu = statements.database_cpu()
            rounds.append(Round(elapsed, cpu, result.looked_at, statements, database_cpu))
            print(f"round {number}: {rounds[-1].describe()}")
        last = rounds[-1]
        print(
            f"one sweep, median of {len(rounds)} rounds: "
            f"{_median(r.elapsed for r in rounds) * 1000:.0f} ms for "
            f"{last.due:,} due tickets, {_median(r.per_due for r in rounds):.1f} us each "
            f"(fastest {min(r.per_due for r in rounds):.1f}, slowest {max(r.per_due for r in rounds):.1f}; "
            f"{len(result.replies):,} messages, pages of {reminders.PAGE}); "
            f"whole sweep / its statements: median {_median(r.ratio for r in rounds):.2f}"
        )
        statements = rounds[0].statements
        start = time.perf_counter()
        again = await reminders.sweep(deps, NOW)
        print(
            f"the same sweep again: {(time.perf_counter() - start) * 1000:.1f} ms, "
            f"{again.looked_at} ticket(s) due, {len(again.replies)} message(s)"
        )
        async with engine.connect() as conn:
            nudges = (await conn.execute(text("SELECT count(*) FROM nudges"))).scalar_one()
        print(f"nudges in the ledger: {nudges:,}")
        await reset(engine, total, due)
        await explain_statements(engine, statements)
    finally:
        await engine.dispose()
        if not reuse:
            async with admin.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
        await admin.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--database", default=DEFAULT_URL)
    parser.add_argument("--rounds", type=int, default=5, help="timed sweeps, each from the same state")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help=f"keep the schema {SCHEMA}; reuse it (reset, not reloaded) if it holds --tickets, --due",
    )
    arguments = parser.parse_args()
    asyncio.run(main(arguments.database, arguments.tickets, arguments.due, arguments.reuse, arguments.rounds))
