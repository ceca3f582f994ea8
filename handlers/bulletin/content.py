"""What a period's bulletin says, read from storage (`read`) and then composed (`compose`): the demands
by category and by clusters of similar demands across enterprises (nlu.demand_clusters), a quote
per category, what was answered and how, the blocking points, and the visits' notes."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from bot.domain.bulletin import (
    BulletinContent,
    BulletinRules,
    CategoryCount,
    Cluster,
    Note,
    PeriodDemand,
    Quote,
    Resolved,
    TicketMark,
    blocking_points,
)
from bot.domain.tickets import Status
from handlers.deps import Deps
from nlu.demand_clusters import Demand, Group, cluster_demands
from storage.protocols import UnitOfWork


def state(status: str) -> str:
    """open / answered / closed, as leadership reads a demand's progress."""
    found = Status(status)
    if found is Status.CLOSED:
        return "closed"
    return "answered" if found.is_answered else "open"


def categories(demands: list[PeriodDemand]) -> tuple[CategoryCount, ...]:
    counted: dict[str, Counter[str]] = defaultdict(Counter)
    for demand in demands:
        counted[demand.category or "other"][state(demand.status)] += 1
    ordered = sorted(counted.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    return tuple(
        CategoryCount(category, sum(c.values()), c["open"], c["answered"], c["closed"])
        for category, c in ordered
    )


def quotes(demands: list[PeriodDemand]) -> tuple[Quote, ...]:
    """One demand per category, the most recent, in the order of the categories' counts."""
    latest: dict[str, PeriodDemand] = {}
    for demand in demands:
        latest[demand.category or "other"] = demand
    return tuple(
        Quote(latest[c.category].number, latest[c.category].company, latest[c.category].text)
        for c in categories(demands)
    )


def clusters(demands: list[PeriodDemand], groups: list[Group]) -> tuple[Cluster, ...]:
    by_number = {d.number: d for d in demands}
    found = []
    for group in groups:
        quoted = by_number[group.representative]
        found.append(
            Cluster(
                group.terms,
                group.members,
                group.enterprises,
                Quote(quoted.number, quoted.company, quoted.text),
            )
        )
    return tuple(found)


def bounds(deps: Deps, since: date, until: date) -> tuple[datetime, datetime]:
    """The period's days as moments: local midnight to local midnight."""
    return (
        datetime.combine(since, time(), deps.timezone),
        datetime.combine(until, time(), deps.timezone),
    )


@dataclass(frozen=True)
class PeriodRows:
    """What storage says of the period, read in one unit of work and then let go of (on SQLite a
    transaction holds the write lock: the clustering runs after it)."""

    since: date
    until: date
    demands: list[PeriodDemand]
    resolved: list[Resolved]
    marks: list[TicketMark]
    notes: list[Note]


async def read(uow: UnitOfWork, deps: Deps, rules: BulletinRules, since: date, until: date) -> PeriodRows:
    start, end = bounds(deps, since, until)
    return PeriodRows(
        since,
        until,
        await uow.bulletins.period_demands(start, end),
        await uow.bulletins.resolved(start, end),
        # each mark's moment on the office's clock: the bulletin prints its day, and from 00:00 to
        # 08:00 in Xiamen the day in UTC is still yesterday
        [
            replace(mark, at=mark.at.astimezone(deps.timezone))
            for mark in await uow.bulletins.marks(
                start, end, deps.clock() - timedelta(days=rules.overdue_days)
            )
        ],
        await uow.bulletins.notes(since, until),
    )


async def compose(rows: PeriodRows, rules: BulletinRules) -> BulletinContent:
    demands = rows.demands
    texts = [Demand(d.number, d.text, d.enterprise_key) for d in demands]
    groups = await asyncio.to_thread(cluster_demands, texts, rules.cluster_threshold)
    return BulletinContent(
        since=rows.since,
        until=rows.until,
        demands=len(demands),
        enterprises=len({d.enterprise_key for d in demands}),
        categories=categories(demands),
        clusters=clusters(demands, groups),
        quotes=quotes(demands),
        resolved=tuple(rows.resolved),
        blocking=tuple(blocking_points(rows.marks)),
        notes=tuple(rows.notes),
        overdue_days=rules.overdue_days,
    )
