"""`/metrics` in Prometheus's text format, one registry per Runtime (several runtimes in one test
process must not count into each other, so not prometheus_client's global registry).

Counters and histograms move as work is done here; what the database knows for every instance
alike (tickets by status, overdue tickets by department, the outbox backlog and its oldest
message) is read at scrape time, a few aggregate queries (storage/ops_sql.py).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from storage.protocols import OpsFigures, UnitOfWorkFactory

log = logging.getLogger(__name__)

# Handling an update is a transaction or two and an NLU parse: milliseconds, seconds when slow.
_HANDLING_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_NLU_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_SWEEP_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class Metrics:
    def __init__(self, storage: UnitOfWorkFactory, clock: Callable[[], datetime]) -> None:
        self.storage, self.clock = storage, clock
        self.registry = CollectorRegistry()
        r = self.registry
        self.updates = Counter(
            "xiaoer_updates", "Updates handled, by channel and outcome.", ["channel", "outcome"], registry=r
        )
        self.handling_seconds = Histogram(
            "xiaoer_update_handling_seconds",
            "Time to handle one update, from taking it to committing its answer.",
            ["channel"],
            buckets=_HANDLING_BUCKETS,
            registry=r,
        )
        self.nlu_seconds = Histogram(
            "xiaoer_nlu_seconds",
            "Time the NLU backend took to parse a message.",
            buckets=_NLU_BUCKETS,
            registry=r,
        )
        self.sends = Counter(
            "xiaoer_sends",
            "Platform calls by the outbox sender, by platform and result "
            "(sent, rate_limited, transient, blocked, failed, moved, in_doubt).",
            ["platform", "result"],
            registry=r,
        )
        self.rate_limited = Counter(
            "xiaoer_platform_rate_limited", "Platform 429 answers (retry after).", ["platform"], registry=r
        )
        self.sweep_seconds = Histogram(
            "xiaoer_sweep_seconds", "Duration of a reminder sweep.", buckets=_SWEEP_BUCKETS, registry=r
        )
        self.sweep_last_success = Gauge(
            "xiaoer_sweep_last_success_timestamp_seconds",
            "When a reminder sweep last finished without error (Unix time).",
            registry=r,
        )
        self._database = _DatabaseFigures()
        r.register(self._database)

    def count_send(self, platform: str, result: str) -> None:
        self.sends.labels(platform, result).inc()
        if result == "rate_limited":
            self.rate_limited.labels(platform).inc()

    def sweep_done(self, seconds: float, succeeded: bool) -> None:
        self.sweep_seconds.observe(seconds)
        if succeeded:
            self.sweep_last_success.set_to_current_time()

    async def refresh(self) -> None:
        """Read the database's figures for this scrape; on failure they are left out and
        `xiaoer_database_up` says 0."""
        now = self.clock()
        try:
            async with self.storage() as uow:
                self._database.figures = await uow.ops.figures(now)
            self._database.at = now
            self._database.up = True
        except Exception as error:
            log.warning("metrics: could not read the database's figures: %s", error)
            self._database.figures, self._database.up = None, False

    def handler(self) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def metrics(_: web.Request) -> web.Response:
            await self.refresh()
            # CONTENT_TYPE_LATEST carries its charset; aiohttp wants it in the header itself
            return web.Response(
                body=generate_latest(self.registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
            )

        return metrics


class _DatabaseFigures(Collector):
    """The figures of the last `refresh`, reported as they stand."""

    def __init__(self) -> None:
        self.figures: OpsFigures | None = None
        self.up = False
        self.at: datetime | None = None

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        yield GaugeMetricFamily(
            "xiaoer_database_up", "Whether the last scrape could read the database.", value=int(self.up)
        )
        figures = self.figures
        if figures is None:
            return
        by_status = GaugeMetricFamily("xiaoer_tickets", "Tickets by status.", labels=["status"])
        for status, count in sorted(figures.tickets_by_status.items()):
            by_status.add_metric([status], count)
        yield by_status
        yield CounterMetricFamily(
            "xiaoer_tickets_opened",
            "Tickets ever opened (the same on every instance).",
            value=figures.tickets_opened,
        )
        overdue = GaugeMetricFamily(
            "xiaoer_tickets_overdue",
            "Open, unanswered tickets past their resolve deadline, by department.",
            labels=["department"],
        )
        for department, count in sorted(figures.overdue_by_department.items()):
            overdue.add_metric([department], count)
        yield overdue
        yield GaugeMetricFamily(
            "xiaoer_outbox_backlog", "Messages not yet delivered nor given up.", value=figures.outbox_backlog
        )
        oldest = figures.outbox_oldest
        age = 0.0
        if oldest is not None and self.at is not None:
            age = max((self.at - oldest).total_seconds(), 0.0)
        yield GaugeMetricFamily(
            "xiaoer_outbox_oldest_age_seconds",
            "Age of the oldest message in the backlog (0: none).",
            value=age,
        )
