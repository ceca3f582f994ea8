"""The period report leaders are assessed on: what storage counts, put together. No I/O here.

Over the tickets opened in a period [since, until):

- volume by category and by department (every ticket opened, withdrawn and duplicate ones too:
  they are demand received);
- the rates of bot.domain.kpi (defined there, never here);
- average time to resolve = the mean of (closed − opened) over the tickets the on-time rate counts
  as closed (closed by handling: not withdrawn, not duplicate), in calendar time;
- the most overdue tickets: open tickets past their resolve deadline at the report's time (a ticket
  waiting for the enterprise is measured when its clock stopped), and tickets closed after it,
  by how far past. Withdrawn and duplicate tickets are left out, as for the on-time rate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from bot.domain.kpi import KpiCounts, KpiRates, rates
from bot.domain.tickets import Status

K = TypeVar("K", str, str | None)

OTHER_CATEGORY = "other"  # a ticket without a category is counted where routing sends it


@dataclass(frozen=True, slots=True)
class VolumeCount:
    """How many tickets of one category went to one department (None: not dispatched)."""

    category: str | None
    department_id: str | None
    tickets: int


@dataclass(frozen=True, slots=True)
class ResolveTimes:
    """The tickets closed by handling, and the time they took in all (seconds, calendar time)."""

    closed: int = 0
    total_seconds: float = 0.0

    @property
    def average(self) -> timedelta | None:
        return timedelta(seconds=self.total_seconds / self.closed) if self.closed else None


@dataclass(frozen=True, slots=True)
class OverdueTicket:
    number: int
    category: str | None
    department_id: str | None
    assignee_id: str | None
    status: Status
    resolve_by: datetime
    overdue_seconds: float  # how far past resolve_by: when closed, when paused, or at the report's time
    confidential: bool = False  # listed without its category: readers may not all see the ticket

    @property
    def overdue(self) -> timedelta:
        return timedelta(seconds=self.overdue_seconds)

    @property
    def closed(self) -> bool:
        return not self.status.is_open


@dataclass(frozen=True, slots=True)
class Report:
    since: datetime
    until: datetime
    as_of: datetime  # the time open tickets' overdue is measured at
    opened: int
    by_category: tuple[tuple[str, int], ...]  # most tickets first, then by name
    by_department: tuple[tuple[str | None, int], ...]  # None: not dispatched (yet)
    counts: KpiCounts
    rates: KpiRates
    resolve_times: ResolveTimes
    most_overdue: tuple[OverdueTicket, ...]

    @property
    def average_resolve(self) -> timedelta | None:
        return self.resolve_times.average


def build_report(
    *,
    since: datetime,
    until: datetime,
    as_of: datetime,
    volume: Iterable[VolumeCount],
    counts: KpiCounts,
    resolve_times: ResolveTimes,
    most_overdue: Iterable[OverdueTicket],
) -> Report:
    if since >= until:
        raise ValueError(f"a report period must end after it starts: [{since}, {until})")
    volume = list(volume)
    by_category: Counter[str] = Counter()
    by_department: Counter[str | None] = Counter()
    for row in volume:
        by_category[row.category or OTHER_CATEGORY] += row.tickets
        by_department[row.department_id] += row.tickets
    return Report(
        since=since,
        until=until,
        as_of=as_of,
        opened=sum(row.tickets for row in volume),
        by_category=_ranked(by_category),
        by_department=_ranked(by_department),
        counts=counts,
        rates=rates(counts),
        resolve_times=resolve_times,
        most_overdue=tuple(sorted(most_overdue, key=lambda t: (-t.overdue_seconds, t.number))),
    )


def _ranked(counter: Counter[K]) -> tuple[tuple[K, int], ...]:
    return tuple(sorted(counter.items(), key=lambda item: (-item[1], item[0] or "")))
