"""`/find` at a district centre's scale: 50,000 enterprises (each with a contact and a phone) and
200,000 tickets, searched through the storage's own query (uow.search.find, the SQL behind /find)
on the embedded SQLite file (FTS5 trigram) and on PostgreSQL (pg_trgm GIN), in a schema of its own.

    python -m benchmarks.find_bench [--enterprises 50000] [--tickets 200000] [--runs 60] [--sqlite-only]
        [--explain]

Prints p50/p95 per kind of query and, as the baseline measured in the same run, a ticket read by
its primary key through the same unit of work. Goal (issue 14): p95 ≤ 50 ms on both databases.
`--explain` also prints the plan of every statement each query made (EXPLAIN (ANALYZE, BUFFERS)
on PostgreSQL, EXPLAIN QUERY PLAN on SQLite), run again with the parameters the driver bound.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import re
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks.pg_schema import migrated_schema, with_load_average
from nlu.uscc import CHARSET, check_character
from storage import migrate
from storage.engine import create_engine
from storage.search_protocols import TicketScope
from storage.sql import SqlStorage
from storage.tables import CONTACTS, ENTERPRISES, TICKETS

SCHEMA = "xiaoer_bench_find"
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
CHUNK = 5_000
PLACES = ["湖里", "思明", "集美", "海沧", "同安", "翔安", "鼓浪", "五缘", "杏林", "灌口"]
WORDS = [
    "鑫源",
    "海悦",
    "蓝鲸",
    "同心",
    "华信",
    "宏达",
    "恒通",
    "瑞丰",
    "金桥",
    "新创",
    "博远",
    "联合",
    "嘉禾",
    "正泰",
]
TRADES = ["精密机械", "进出口贸易", "软件科技", "食品", "电子", "物流", "建材", "医药", "新能源", "服装"]
DEMANDS = [
    "急需一笔流动资金贷款，下月发工资都困难了",
    "厂房扩产需要新增用地，希望协调",
    "出口退税迟迟没有到账，请帮忙催一下",
    "用电增容审批太慢，生产线等着投产",
    "招工难，急需30名熟练技术工人",
    "We need help recruiting skilled workers before the new line starts",
    "The export tax refund has not arrived for three months",
    "高新技术企业认定材料怎么准备",
    "园区道路破损，货车进出困难",
    "申请专精特新奖励资金的进度如何",
]
SECRET = 0xF1D  # random's seed: the same data every run


# Xiamen's districts as GB/T 2260 numbers them: a district centre's enterprises are registered in
# its own and the neighbouring districts.
DIVISIONS = ["350203", "350205", "350206", "350211", "350212", "350213"]
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714, the organisation code's check digit


def _org_check(first8: str) -> str:
    total = sum(int(c, 36) * w for c, w in zip(first8, _ORG_WEIGHTS, strict=True))
    digit = 11 - total % 11
    return "X" if digit == 10 else "0" if digit == 11 else str(digit)


def uscc(i: int) -> str:
    """A valid credit code, unique per i, shaped as real ones are (GB 32100): registration
    authority and kind (91 enterprise, 92 sole trader, 93 co-operative), the district's division
    number, the 9-character organisation code, the check character. Codes issued since 2015 have
    "MA" and six characters of the code set; older ones a numeric organisation code. So codes share
    the first 8 characters (authority, kind, district) and then look random, as a register's do
    (the shared 10-character prefix of a counter is what made every code's trigrams common)."""
    kind = ("91", "91", "91", "91", "92", "93")[i % 6]
    division = DIVISIONS[(i // 6) % len(DIVISIONS)]
    if i % 10 < 7:
        scrambled = (i * 2_654_435_761 + 97_531) % 31**6  # a bijection of i: unique, looks random
        body = "MA" + "".join(CHARSET[scrambled // 31**k % 31] for k in reversed(range(6)))
    else:
        body = f"{(i * 48_271 + 10_000_019) % 10**8:08d}"  # also a bijection (48,271 is prime)
    first17 = kind + division + body + _org_check(body)
    check = check_character(first17)
    assert check is not None
    return first17 + check


def phone(i: int) -> str:
    return f"86139{i:08d}"


def enterprises(count: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    for i in range(count):
        name = (
            f"厦门{rng.choice(PLACES)}{rng.choice(WORDS)}{rng.choice(WORDS)}{rng.choice(TRADES)}有限公司{i}"
        )
        yield {"id": f"e{i}", "name": name, "uscc": uscc(i), "tags": [], "district": rng.choice(PLACES)}


def contacts(count: int) -> Iterator[dict[str, Any]]:
    for i in range(count):
        yield {
            "id": i + 1,
            "channel": "telegram",
            "external_id": str(100_000 + i),
            "display_name": f"联系人{i}",
            "lang": "zh-CN",
            "enterprise_id": f"e{i}",
            "phone": phone(i),
        }


def tickets(count: int, companies: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    for i in range(count):
        owner = rng.randrange(companies)
        opened = NOW - timedelta(minutes=count - i)
        closed = rng.random() < 0.9  # most of two years' tickets are closed
        yield {
            "id": i + 1,
            "enterprise_id": f"e{owner}",
            "contact_id": owner + 1,
            "channel": "telegram",
            "chat_id": str(100_000 + owner),
            "text": f"{rng.choice(DEMANDS)}（编号{i}）",
            "lang": "zh-CN",
            "intent": "report_demand",
            "category": "finance",
            "urgent": rng.random() < 0.05,
            "status": "closed" if closed else "dispatched",
            "department_id": rng.choice(["finance_office", "tax_bureau", "hr_social"]),
            "respond_by": opened + timedelta(hours=24),
            "resolve_by": opened + timedelta(days=7),
            "created_at": opened,
            "updated_at": opened,
            "closed_at": opened + timedelta(days=3) if closed else None,
            "version": 0,
            "co_departments": [],
            "confidential": False,
            "urge_count": 0,
        }


async def load(engine: AsyncEngine, n_enterprises: int, n_tickets: int) -> float:
    rng = random.Random(SECRET)
    start = time.perf_counter()
    for table, rows in (
        (ENTERPRISES, enterprises(n_enterprises, rng)),
        (CONTACTS, contacts(n_enterprises)),
        (TICKETS, tickets(n_tickets, n_enterprises, rng)),
    ):
        chunk: list[dict[str, Any]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) == CHUNK:
                async with engine.begin() as conn:
                    await conn.execute(insert(table), chunk)
                chunk = []
        if chunk:
            async with engine.begin() as conn:
                await conn.execute(insert(table), chunk)
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(
                text("SELECT setval(pg_get_serial_sequence('tickets', 'id'), :n)"), {"n": n_tickets}
            )
            await conn.execute(text("VACUUM ANALYZE"))
        else:
            await conn.execute(text("ANALYZE"))
            await conn.commit()
    return time.perf_counter() - start


_COLUMNS = re.compile(r"^SELECT (\w+)\.\w+, .*? FROM")  # a row's every column, shown as table.*
EVERYONE = TicketScope(confidential=True)  # a dispatcher or admin: every department
TAX_OFFICER = TicketScope(viewer_id="zhao", department_id="tax_bureau")


def queries(n_enterprises: int, n_tickets: int) -> dict[str, tuple[str, TicketScope]]:
    """One of each kind /find is asked, as handlers/centre_view reads them, and who asks."""
    middle = n_enterprises // 2
    return {
        "keyword zh": ("流动资金贷款", EVERYONE),
        "keyword zh, one dept": ("流动资金贷款", TAX_OFFICER),
        "keyword en": ("tax refund", EVERYONE),
        "company name": ("鑫源海悦", EVERYONE),
        "credit code": (uscc(middle), EVERYONE),
        "part of a code": (uscc(middle)[8:16], EVERYONE),  # the organisation code, as printed apart
        "phone": (phone(middle)[2:], EVERYONE),  # as a person types it: 139…
        "ticket number": (f"#{n_tickets // 2}", EVERYONE),
        "short word": ("用地", EVERYONE),
        "short, none": ("氢能", EVERYONE),  # in no name and no ticket: every bounded row is read
        "rare": (f"编号{n_tickets - 5}）", EVERYONE),
        "nowhere": ("区块链应用", EVERYONE),  # in nothing at all
    }


async def timed(call: Callable[[], Awaitable[object]], runs: int) -> list[float]:
    for _ in range(3):
        await call()  # warm the caches and the statement cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await call()
        times.append((time.perf_counter() - start) * 1000)
    return times


async def measure(engine: AsyncEngine, name: str, n_enterprises: int, n_tickets: int, args: Options) -> None:
    from handlers.centre_view import search_terms

    storage = SqlStorage(engine)

    async def by_key() -> object:
        async with storage() as uow:
            return await uow.tickets.get(n_tickets // 3)

    baseline = await timed(by_key, args.runs)
    base_p50 = statistics.median(baseline)
    print(f"\n{name}: baseline (a ticket by primary key) p50={base_p50:.2f} ms")
    print(f"{'query':<22}{'p50 ms':>9}{'p95 ms':>9}{'p50/base':>10}  found")
    plans: list[str] = []
    for kind, (query, scope) in queries(n_enterprises, n_tickets).items():
        terms = search_terms(query)
        found: list[Any] = []

        async def find(terms: Any = terms, scope: TicketScope = scope, found: list[Any] = found) -> object:
            async with storage() as uow:
                result = await uow.search.find(terms, scope)
            found[:] = [len(result.enterprises), len(result.tickets)]
            return result

        times = sorted(await timed(find, args.runs))
        p50, p95 = statistics.median(times), times[math.ceil(len(times) * 0.95) - 1]
        ratio = p50 / base_p50
        print(f"{kind:<22}{p50:9.2f}{p95:9.2f}{ratio:10.1f}  {found[0]} enterprises, {found[1]} tickets")
        if args.explain:
            plans.append(f"\n=== {name}, {kind}: /find {query}")
            plans += await explained(engine, find)
    print("\n".join(plans))


async def explained(engine: AsyncEngine, call: Callable[[], Awaitable[object]]) -> list[str]:
    """The plan of every SELECT a call makes, run again with its parameters as the driver bound
    them: EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL, EXPLAIN QUERY PLAN on SQLite."""
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        await call()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    postgres = engine.dialect.name == "postgresql"
    lines = []
    async with engine.connect() as conn:
        if postgres:
            await conn.exec_driver_sql("SET plan_cache_mode = force_custom_plan")  # as find does
        for statement, parameters in statements:
            shown = _COLUMNS.sub(r"SELECT \1.* FROM", " ".join(statement.split()), count=1)
            lines.append(f"-- {shown}  {tuple(parameters)}")
            prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
            result = await conn.exec_driver_sql(prefix + statement, tuple(parameters))
            lines += ["   " + (str(row[0]) if postgres else str(row[-1])) for row in result]
    return lines


async def on_sqlite(args: Options) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp}/find.db")
        try:
            await migrate.upgrade(engine)
            seconds = await load(engine, args.enterprises, args.tickets)
            print(
                f"sqlite: loaded {args.enterprises} enterprises and {args.tickets} tickets in {seconds:.1f} s"
            )
            await measure(engine, "sqlite (FTS5 trigram)", args.enterprises, args.tickets, args)
        finally:
            await engine.dispose()


async def on_postgres(args: Options) -> None:
    async with migrated_schema(SCHEMA) as engine:
        seconds = await load(engine, args.enterprises, args.tickets)
        print(
            f"postgres: loaded {args.enterprises} enterprises and {args.tickets} tickets in {seconds:.1f} s"
        )
        await measure(engine, "postgresql (pg_trgm GIN)", args.enterprises, args.tickets, args)


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
    explain: bool


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--enterprises", type=int, default=50_000)
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument(
        "--explain", "-v", action="store_true", help="print each query's plans (EXPLAIN ANALYZE, BUFFERS)"
    )
    asyncio.run(main(parser.parse_args(namespace=Options())))
