"""Campaign coverage and the bulletin at the scale of Shenzhen's round (issue 15): a campaign of
3,400 enterprises assigned to 12 officers, 10,000 visits (most enterprises visited, some several
times), 1,000 demands (each a ticket) and 3,000 opinions and project plans, on the embedded SQLite
file and on PostgreSQL (a schema of its own).

    python -m benchmarks.campaign_bench [--enterprises 3400] [--visits 10000] [--demands 1000]
        [--runs 30] [--sqlite-only]

Measures, through the handlers as chat and the CLI run them: `/campaign status` (the coverage by
department and officer, as text), an officer's `/visits` list, and the bulletin (its items and
coverage read, Markdown and .xlsx written), and the leadership bulletin (动态) of the
campaign's weeks (every demand read and clustered, what was answered, the blocking points;
Markdown, then also .docx). Demands are ten themes in varied words, with resolve, return,
extension and reopen events. Prints p50/p95 and, as the baseline measured in the same run, a
ticket read by its primary key through the same unit of work. Goals (issue 15): `/campaign`
≤ 100 ms, the bulletin ≤ 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks.find_bench import timed
from benchmarks.pg_schema import migrated_schema, with_load_average
from bot.config import load_settings
from bot.domain.campaigns import CampaignStatus
from handlers.bulletin.content import compose, read
from handlers.bulletin.docx_file import to_docx
from handlers.bulletin.text import to_markdown as period_markdown
from handlers.campaigns.bulletin import build_bulletin, to_markdown, to_xlsx
from handlers.campaigns.coverage import coverage_report, remaining_text, status_text
from handlers.deps import Deps
from nlu.types import Parse
from storage import migrate
from storage.campaigns_sql import CAMPAIGNS, ITEMS, TARGETS, VISITS
from storage.engine import create_engine
from storage.sql import SqlStorage
from storage.tables import CONTACTS, ENTERPRISES, EVENTS, TICKETS
from tests.conftest import ROOT

SCHEMA = "xiaoer_bench_campaign"
NOW = datetime(2026, 12, 20, 2, 0, tzinfo=UTC)
FIRST_DAY, LAST_DAY = date(2026, 11, 1), date(2026, 12, 31)
CHUNK = 5_000
SEED = 0xCA3  # random's seed: the same data every run
# 12 officers of the shipped organisation, in 4 departments
OFFICERS = [
    ("wang_lei", "industry_it"),
    ("zheng_yu", "industry_it"),
    ("wu_bin", "finance_office"),
    ("lin_hui", "finance_office"),
    ("fang_yi", "hr_social"),
    ("zhou_min", "hr_social"),
    ("chen_jing", "service_center"),
    ("li_na", "service_center"),
    ("huang_tao", "natural_resources"),
    ("xu_ning", "approval_bureau"),
    ("guo_ping", "tax_bureau"),
    ("ye_fang", "commerce"),
]
CATEGORIES = ["finance", "talent", "land_space", "utilities", "approval", "tax", "subsidy", "other"]
STATUSES = ["dispatched", "signed", "in_progress", "replied", "closed", "closed", "closed"]
# What the demands say: themes several enterprises raise in their own words (the leadership
# bulletin clusters them), each with a detail of its own
THEMES = [
    "园区限电，生产线停了，希望协调供电公司",
    "招工难，缺少熟练技术工人，希望对接职业院校",
    "出口退税办理太慢，资金周转困难",
    "厂房租金上涨太快，希望给予租金补贴",
    "申请高新技术企业认定，材料不知道怎么准备",
    "银行抽贷断贷，流动资金紧张，希望协调续贷",
    "园区道路施工，货车进出困难",
    "环评审批时间太长，新项目无法开工",
    "员工子女入学难，希望协调学位",
    "消防验收迟迟不通过，影响投产",
]
DETAILS = ["已经两周了", "影响订单交付", "损失很大", "请尽快协调", "多次反映未解决", "", "", ""]
NOTES = [
    "希望简化审批流程",
    "建议多组织政策宣讲",
    "计划明年新建二期厂房",
    "拟投资建设研发中心",
    "希望加强产业链对接",
]


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def rows(n_enterprises: int, n_visits: int, n_demands: int) -> dict[str, list[dict[str, Any]]]:
    """Every row to load. Visits: each enterprise of the first 85% once, the rest of the visits
    spread over them; a visit in twenty has no situation (not counted)."""
    rng = random.Random(SEED)
    enterprises = [
        {"id": f"e{i}", "name": f"深圳企业{i:05d}有限公司", "tags": [], "district": "南山区"}
        for i in range(n_enterprises)
    ]
    contacts = [
        {
            "id": i + 1,
            "channel": "telegram",
            "external_id": str(100_000 + i),
            "display_name": f"联系人{i}",
            "lang": "zh-CN",
            "enterprise_id": f"e{i}",
        }
        for i in range(n_enterprises)
    ]
    targets = [
        {
            "campaign_id": 1,
            "enterprise_id": f"e{i}",
            "officer_id": OFFICERS[i % 12][0],
            "department_id": OFFICERS[i % 12][1],
        }
        for i in range(n_enterprises)
    ]
    visited = int(n_enterprises * 0.85)
    visits: list[dict[str, Any]] = []
    for v in range(n_visits):
        i = v if v < visited else rng.randrange(visited)
        day = FIRST_DAY + timedelta(days=rng.randrange(50))
        at = datetime(day.year, day.month, day.day, 8, tzinfo=UTC)
        visits.append(
            {
                "id": v + 1,
                "campaign_id": 1,
                "enterprise_id": f"e{i}",
                "officer_id": OFFICERS[i % 12][0],
                "visited_on": day,
                "met": "总经理",
                "situation": None if v % 20 == 19 else "生产经营正常",
                "step": None,
                "created_at": at,
                "updated_at": at,
            }
        )
    recorded = [v for v in visits if v["situation"] is not None]
    tickets: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for d in range(n_demands):
        visit = recorded[rng.randrange(len(recorded))]
        owner = int(visit["enterprise_id"][1:])
        status = rng.choice(STATUSES)
        tickets.append(
            {
                "id": d + 1,
                "enterprise_id": visit["enterprise_id"],
                "contact_id": owner + 1,
                "channel": "telegram",
                "chat_id": str(100_000 + owner),
                "text": f"{rng.choice(THEMES)}{rng.choice(DETAILS)}（{d}）",
                "lang": "zh-CN",
                "intent": "report_demand",
                "category": rng.choice(CATEGORIES),
                "urgent": False,
                "status": status,
                "department_id": OFFICERS[owner % 12][1],
                "respond_by": NOW,
                "resolve_by": visit["created_at"] + timedelta(days=7),
                "created_at": visit["created_at"],
                "updated_at": visit["created_at"],
                "closed_at": NOW if status == "closed" else None,
                "closing_reason": "resolved" if status == "closed" else None,
                "version": 0,
                "co_departments": [],
                "confidential": d % 50 == 0,
                "urge_count": 0,
            }
        )
        items.append(
            {
                "visit_id": visit["id"],
                "kind": "demand",
                "text": tickets[-1]["text"],
                "ticket_id": d + 1,
                "created_at": visit["created_at"],
            }
        )
        at = visit["created_at"] + timedelta(days=2)
        for action, to, applies in (
            ("resolve", "replied", status in ("replied", "closed")),
            ("return", "returned", d % 25 == 0),
            ("request_extension", "extension", d % 40 == 0),
            ("answer_resolution", "reopened", d % 60 == 0),
        ):
            if applies:
                events.append(
                    {
                        "ticket_id": d + 1,
                        "at": at,
                        "actor_id": "wang_lei",
                        "actor_role": "officer",
                        "action": action,
                        "from_status": None,
                        "to_status": to,
                        "note": "resolved: 已协调相关部门办理" if action == "resolve" else "",
                    }
                )
    for n in range(n_demands * 3):
        visit = recorded[rng.randrange(len(recorded))]
        items.append(
            {
                "visit_id": visit["id"],
                "kind": "opinion" if n % 3 else "plan",
                "text": rng.choice(NOTES),
                "ticket_id": None,
                "created_at": visit["created_at"],
            }
        )
    campaign = {
        "id": 1,
        "name": "千人访千企",
        "starts_on": FIRST_DAY,
        "ends_on": LAST_DAY,
        "lead_id": "chen_jing",
        "targeting": {"tags": {}, "codes": []},
        "departments": [],
        "status": CampaignStatus.OPEN.value,
        "created_at": NOW,
    }
    return {
        "enterprises": enterprises,
        "contacts": contacts,
        "tickets": tickets,
        "ticket_events": events,
        "campaigns": [campaign],
        "campaign_targets": targets,
        "visits": visits,
        "visit_items": items,
    }


async def load(engine: AsyncEngine, args: Options) -> float:
    start = time.perf_counter()
    tables = {"enterprises": ENTERPRISES, "contacts": CONTACTS, "tickets": TICKETS, "campaigns": CAMPAIGNS}
    tables |= {"ticket_events": EVENTS}
    tables |= {"campaign_targets": TARGETS, "visits": VISITS, "visit_items": ITEMS}
    for name, table_rows in rows(args.enterprises, args.visits, args.demands).items():
        for chunk in _chunks(iter(table_rows)):
            async with engine.begin() as conn:
                await conn.execute(insert(tables[name]), chunk)
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))
        else:
            await conn.execute(text("ANALYZE"))
            await conn.commit()
    return time.perf_counter() - start


class _NoNlu:
    async def parse(self, text: str) -> Parse:
        raise AssertionError("the benchmark reads no message")


async def measure(engine: AsyncEngine, name: str, args: Options) -> None:
    settings = load_settings(ROOT / "config.yaml")
    storage = SqlStorage(engine)
    deps = Deps(storage=storage, directory=settings.bootstrap_directory(), nlu=_NoNlu(), clock=lambda: NOW)
    async with storage() as uow:
        campaign = await uow.campaigns.get(1)
    assert campaign is not None
    today = NOW.date()

    async def by_key() -> object:
        async with storage() as uow:
            return await uow.tickets.get(args.demands // 3)

    async def status() -> object:
        return status_text(await coverage_report(deps, campaign), "zh-CN", deps, today)

    async def visits_left() -> object:
        async with storage() as uow:
            left = await uow.campaigns.remaining("wang_lei", today)
        return remaining_text("zh-CN", left, today)

    async def bulletin_text() -> object:
        return to_markdown(await build_bulletin(deps, campaign, "zh-CN"), deps)

    async def bulletin_files() -> object:
        built = await build_bulletin(deps, campaign, "zh-CN")
        return to_markdown(built, deps), await asyncio.to_thread(to_xlsx, built, deps)

    async def period_bulletin() -> object:
        """The leadership bulletin of the campaign's weeks: every demand, clustered."""
        async with storage() as uow:
            rows = await read(uow, deps, deps.bulletin, FIRST_DAY, FIRST_DAY + timedelta(days=50))
        content = await compose(rows, deps.bulletin)
        return period_markdown(content, "zh-CN")

    async def period_bulletin_docx() -> object:
        async with storage() as uow:
            rows = await read(uow, deps, deps.bulletin, FIRST_DAY, FIRST_DAY + timedelta(days=50))
        content = await compose(rows, deps.bulletin)
        return period_markdown(content, "zh-CN"), await asyncio.to_thread(to_docx, content, "zh-CN")

    baseline = await timed(by_key, args.runs)
    base_p50 = statistics.median(baseline)
    report = await coverage_report(deps, campaign)
    print(
        f"\n{name}: coverage {report.total.visited}/{report.total.assigned}, {report.total.demands} demands, "
        f"{report.total.notes} notes; baseline (a ticket by primary key) p50={base_p50:.2f} ms"
    )
    async with storage() as uow:
        period = await read(uow, deps, deps.bulletin, FIRST_DAY, FIRST_DAY + timedelta(days=50))
    content = await compose(period, deps.bulletin)
    print(
        f"动态: {content.demands} demands, {len(content.clusters)} clusters covering "
        f"{sum(len(c.members) for c in content.clusters)} (largest: "
        + "; ".join(f"{'/'.join(c.terms)} {len(c.members)}" for c in content.clusters[:3])
        + f"), {len(content.blocking)} blocking points, {len(content.resolved)} answered"
    )
    print(f"{'what':<24}{'p50 ms':>10}{'p95 ms':>10}{'p50/base':>10}  goal")
    for what, call, runs, goal in (
        ("/campaign status", status, args.runs, "≤ 100 ms"),
        ("/visits (one officer)", visits_left, args.runs, ""),
        ("bulletin (read + md)", bulletin_text, max(args.runs // 3, 3), "≤ 2000 ms"),
        ("bulletin (+ .xlsx)", bulletin_files, max(args.runs // 5, 3), ""),
        ("动态 (read+clusters+md)", period_bulletin, max(args.runs // 3, 3), "≤ 2000 ms"),
        ("动态 (+ .docx)", period_bulletin_docx, max(args.runs // 5, 3), ""),
    ):
        times = sorted(await timed(call, runs))
        p50, p95 = statistics.median(times), times[math.ceil(len(times) * 0.95) - 1]
        print(f"{what:<24}{p50:10.1f}{p95:10.1f}{p50 / base_p50:10.1f}  {goal}")


async def on_sqlite(args: Options) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp}/campaign.db")
        try:
            await migrate.upgrade(engine)
            print(f"sqlite: loaded in {await load(engine, args):.1f} s")
            await measure(engine, "sqlite", args)
        finally:
            await engine.dispose()


async def on_postgres(args: Options) -> None:
    async with migrated_schema(SCHEMA) as engine:
        print(f"postgres: loaded in {await load(engine, args):.1f} s")
        await measure(engine, "postgresql", args)


async def main(args: Options) -> None:
    async def both() -> None:
        await on_sqlite(args)
        if not args.sqlite_only:
            await on_postgres(args)

    await with_load_average(both)


class Options(argparse.Namespace):
    enterprises: int
    visits: int
    demands: int
    runs: int
    sqlite_only: bool


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--enterprises", type=int, default=3_400)
    parser.add_argument("--visits", type=int, default=10_000)
    parser.add_argument("--demands", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--sqlite-only", action="store_true")
    asyncio.run(main(parser.parse_args(namespace=Options())))
