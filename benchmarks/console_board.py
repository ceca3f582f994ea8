"""The web console's board at a district centre's scale: 50,000 enterprises and 200,000 tickets
(10% open, as in benchmarks/find_bench.py, whose data this reuses) and two door-knocking campaigns
whose visits (one enterprise in 20 each) brought back a demand ticket apiece, the page rendered and served
over HTTP by the console itself (aiohttp, the session checked, the counts by state and department,
a page of 50 tickets with their deadlines, the enterprise names), on the embedded SQLite file and
on PostgreSQL (a schema of its own).

    python -m benchmarks.console_board [--enterprises 50000] [--tickets 200000] [--runs 60] [--sqlite-only]

Prints p50/p95 per kind of page and, as baselines measured in the same run against the same
server: GET /healthz (the web server alone) and the bare SELECT of the same page of rows through a
unit of work (the database alone). Goal (issue 18): p95 ≤ 150 ms on both databases.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import socket
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import Table, insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks.find_bench import NOW, load
from benchmarks.pg_schema import migrated_schema, with_load_average
from bot.bootstrap import NluNotLoaded
from bot.config import load_settings
from bot.domain.web_console import token_hash
from bot.runtime.web import web_app
from bot.webconsole.access import SESSION_COOKIE
from bot.webconsole.app import console_routes
from bot.webconsole.console import Console
from handlers.deps import Deps
from handlers.outgoing import Outgoing
from storage import migrate
from storage.campaign_tables import CampaignRow, VisitItemRow, VisitRow
from storage.engine import create_engine
from storage.search_protocols import OpenFilter, TicketScope
from storage.sql import SqlStorage
from storage.web_protocols import TokenKind

SCHEMA = "xiaoer_bench_console"
ROOT = Path(__file__).resolve().parent.parent
VIEWERS = {"dispatcher": "li_na", "officer": "wu_bin"}  # every department; the finance office


def pages() -> dict[str, tuple[str, str]]:
    """Each kind of board asked for: (who, the address)."""
    return {
        "board, every dept": ("dispatcher", "/console/"),
        "board, overdue": ("dispatcher", "/console/?overdue=1"),
        "board, one dept": ("dispatcher", "/console/?dept=tax_bureau"),
        "board, page 40": ("dispatcher", "/console/?page=40"),
        "board, urgent": ("dispatcher", "/console/?urgent=1&dept=hr_social"),
        "board, officer": ("officer", "/console/"),
        "board, search": ("dispatcher", "/console/?q=流动资金贷款"),
        "board, campaign": ("dispatcher", "/console/?campaign=1"),
        "board.json": ("dispatcher", "/console/board.json"),
    }


CAMPAIGNS: Table = CampaignRow.__table__  # type: ignore[attr-defined]
VISITS: Table = VisitRow.__table__  # type: ignore[attr-defined]
ITEMS: Table = VisitItemRow.__table__  # type: ignore[attr-defined]
VISITED_EVERY = 20  # one enterprise in 20 visited per campaign


async def load_campaigns(engine: AsyncEngine, n_enterprises: int, n_tickets: int) -> int:
    """Campaigns 1 and 2, each visiting one enterprise in 20 (different ones), each visit's demand
    linked to a ticket spread over the table (so about 10% of them open, as of all tickets).
    Returns how many visits campaign 1 made."""
    day = NOW.date()
    campaigns: list[dict[str, Any]] = [
        {
            "id": number,
            "name": f"走访活动{number}",
            "starts_on": day - timedelta(days=60),
            "ends_on": day + timedelta(days=30),
            "lead_id": "chen_jing",
            "targeting": {},
            "departments": [],
            "status": "open",
            "created_at": NOW,
        }
        for number in (1, 2)
    ]
    visits: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    for number in range(n_enterprises // VISITED_EVERY * 2):
        campaign = 1 + number % 2
        visited: date = day - timedelta(days=number % 50)
        visits.append(
            {
                "id": number + 1,
                "campaign_id": campaign,
                "enterprise_id": f"e{number * VISITED_EVERY // 2 + campaign - 1}",
                "officer_id": "wu_bin",
                "visited_on": visited,
                "met": "张总",
                "situation": "经营平稳",
                "step": None,
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
        items.append(
            {
                "id": number + 1,
                "visit_id": number + 1,
                "kind": "demand",
                "text": "需要对接银行",
                "ticket_id": (number * 7919) % n_tickets + 1,
                "created_at": NOW,
            }
        )
    async with engine.begin() as conn:
        await conn.execute(insert(CAMPAIGNS), campaigns)
        for table, rows in ((VISITS, visits), (ITEMS, items)):
            for start in range(0, len(rows), 5_000):
                await conn.execute(insert(table), rows[start : start + 5_000])
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE visits"))
            await conn.execute(text("VACUUM ANALYZE visit_items"))
        else:
            await conn.execute(text("ANALYZE"))
            await conn.commit()
    return sum(1 for visit in visits if visit["campaign_id"] == 1)


async def timed(call: Callable[[], Awaitable[object]], runs: int) -> list[float]:
    for _ in range(3):
        await call()  # warm the caches and the statement cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await call()
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)


def percentiles(times: list[float]) -> tuple[float, float]:
    return statistics.median(times), times[math.ceil(len(times) * 0.95) - 1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def measure(engine: AsyncEngine, name: str, runs: int) -> None:
    settings = load_settings(ROOT / "config.yaml")
    storage = SqlStorage(engine)
    deps = Deps(
        storage=storage,
        directory=settings.bootstrap_directory(),
        nlu=NluNotLoaded(),
        sla=settings.sla_policy(),
        clock=lambda: NOW,
    )
    sessions = {}
    async with storage() as uow:
        for who, officer in VIEWERS.items():
            secret = f"bench-session-{who}"
            role = deps.directory.officers[officer].role.value
            await uow.web.add_token(
                token_hash(secret), TokenKind.SESSION, officer, role, NOW, NOW + timedelta(days=1)
            )
            sessions[who] = secret
        await uow.commit()
    port = _free_port()
    runner = web.AppRunner(web_app([console_routes(Console(deps, Outgoing(deps, [])))]), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:

            async def health() -> object:
                async with http.get(f"{base}/healthz") as answer:
                    return await answer.read()

            async def bare_page() -> object:
                async with storage() as uow:
                    return await uow.search.open_tickets(
                        OpenFilter(by_deadline=True), TicketScope(confidential=False), NOW, 0, 50
                    )

            health_p50, health_p95 = percentiles(await timed(health, runs))
            rows_p50, rows_p95 = percentiles(await timed(bare_page, runs))
            print(f"\n{name}")
            print(f"{'baseline':<22}{'p50 ms':>9}{'p95 ms':>9}")
            print(f"{'GET /healthz':<22}{health_p50:9.2f}{health_p95:9.2f}")
            print(f"{'SELECT page of 50':<22}{rows_p50:9.2f}{rows_p95:9.2f}")
            print(f"{'page':<22}{'p50 ms':>9}{'p95 ms':>9}{'p95/SELECT':>11}  bytes")
            for kind, (who, path) in pages().items():
                cookie = {"Cookie": f"{SESSION_COOKIE}={sessions[who]}"}
                size = [0]

                async def get(
                    path: str = path, cookie: dict[str, str] = cookie, size: list[int] = size
                ) -> object:
                    async with http.get(f"{base}{path}", headers=cookie) as answer:
                        body = await answer.read()
                        assert answer.status == 200, (path, answer.status)
                    size[0] = len(body)
                    return body

                p50, p95 = percentiles(await timed(get, runs))
                print(f"{kind:<22}{p50:9.2f}{p95:9.2f}{p95 / rows_p95:11.1f}  {size[0]}")
    finally:
        await runner.cleanup()


async def on_sqlite(args: Options) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp}/console.db")
        try:
            await migrate.upgrade(engine)
            seconds = await load(engine, args.enterprises, args.tickets)
            print(
                f"sqlite: loaded {args.enterprises} enterprises and {args.tickets} tickets in {seconds:.1f} s"
            )
            visits = await load_campaigns(engine, args.enterprises, args.tickets)
            print(f"campaign 1: {visits} visits, a demand ticket each")
            await measure(engine, "sqlite", args.runs)
        finally:
            await engine.dispose()


async def on_postgres(args: Options) -> None:
    async with migrated_schema(SCHEMA) as engine:
        seconds = await load(engine, args.enterprises, args.tickets)
        print(
            f"postgres: loaded {args.enterprises} enterprises and {args.tickets} tickets in {seconds:.1f} s"
        )
        visits = await load_campaigns(engine, args.enterprises, args.tickets)
        print(f"campaign 1: {visits} visits, a demand ticket each")
        await measure(engine, "postgresql", args.runs)


async def main(args: Options) -> None:
    async def both() -> None:
        await on_sqlite(args)
        if not args.sqlite_only:
            await on_postgres(args)

    await with_load_average(both)


class Options(argparse.Namespace):
    enterprises: int
    tickets: int
    runs: int
    sqlite_only: bool


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--enterprises", type=int, default=50_000)
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--sqlite-only", action="store_true")
    asyncio.run(main(parser.parse_args(namespace=Options())))
