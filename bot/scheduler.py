"""The scheduler inside `xiaoer run`: APScheduler's AsyncIOScheduler with its in-memory job store.

It holds no state of its own (the database does). Each job does its handler's work and queues
what it says in one transaction (handlers.outgoing.Outgoing.run): the reminder sweep every few
minutes, the morning digests, the weekly report, the closing of surveys left unanswered. Several
instances may run it: the handlers claim their work in the database, so nothing is sent twice,
and a claim commits with its messages, so a crash never leaves a claimed nudge unsaid.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import RemindersConfig
from bot.domain.bulletin import Schedule
from bot.domain.messages import Reply
from handlers import housekeeping, reminders, reports, survey
from handlers.bulletin import delivery as bulletin
from handlers.deps import Deps
from handlers.outgoing import Outgoing

log = logging.getLogger(__name__)


# told each sweep's duration in seconds and whether it succeeded (the runtime's /metrics)
SweepObserver = Callable[[float, bool], None]


async def sweep_job(deps: Deps, outgoing: Outgoing, on_sweep: SweepObserver | None = None) -> None:
    """One sweep, and its line in the log: tickets due a look, nudges claimed, messages queued, ms."""
    swept: list[reminders.SweepResult] = []

    async def work() -> Sequence[Reply]:
        swept.append(await reminders.sweep(deps))
        return swept[-1].replies

    start = time.perf_counter()
    try:
        queued = await outgoing.run(work)
    except Exception:
        if on_sweep is not None:
            on_sweep(time.perf_counter() - start, False)
        raise
    seconds = time.perf_counter() - start
    if on_sweep is not None:
        on_sweep(seconds, True)
    result = swept[-1]
    fields = {
        "due": result.looked_at,
        "claimed": len(result.replies),
        "sent": queued,
        "ms": round(seconds * 1000, 1),
    }
    log.info("sweep held until working time" if result.held_until else "sweep", extra={"fields": fields})


async def digest_job(deps: Deps, outgoing: Outgoing) -> None:
    await outgoing.run(lambda: reminders.daily_digest(deps))


async def weekly_report_job(deps: Deps, outgoing: Outgoing) -> None:
    await outgoing.run(lambda: reports.weekly_report_once(deps, deps.clock()))


async def bulletin_job(deps: Deps, outgoing: Outgoing) -> None:
    """The leadership bulletin of last week, built outside any transaction, then claimed in its
    archive in the transaction that queues it: of several instances, one sends it."""
    prepared = await bulletin.scheduled(deps)
    if prepared is not None:
        await outgoing.run(lambda: bulletin.keep_scheduled(deps, prepared))


async def close_surveys_job(deps: Deps, outgoing: Outgoing) -> None:
    async def work() -> Sequence[Reply]:
        _closed, notices = await survey.close_unanswered(deps)
        return notices

    await outgoing.run(work)


async def forget_expired_job(deps: Deps) -> None:
    gone = await housekeeping.forget_expired_secrets(deps)
    log.info("expired links and sessions forgotten", extra={"fields": {"deleted": gone}})


def build_scheduler(
    deps: Deps, config: RemindersConfig, outgoing: Outgoing, on_sweep: SweepObserver | None = None
) -> Any:
    """The scheduler with its jobs, not yet started (start it inside the running event loop)."""
    zone = deps.sla.calendar.timezone
    # A job that missed its time (the machine slept) runs once, late, rather than several times.
    scheduler = AsyncIOScheduler(
        timezone=zone, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}
    )
    first: dict[str, datetime] = {}
    if config.first_sweep_seconds is not None:
        # APScheduler's own clock: the job store compares this with the wall clock, not deps.clock
        first["next_run_time"] = datetime.now(zone) + timedelta(seconds=config.first_sweep_seconds)
    scheduler.add_job(
        sweep_job,
        IntervalTrigger(minutes=config.sweep_minutes, timezone=zone),
        args=(deps, outgoing, on_sweep),
        id="sweep",
        **first,
    )
    morning = config.digest_time()
    # Every day at that time; the handler itself skips days that are not working days.
    scheduler.add_job(
        digest_job,
        CronTrigger(hour=morning.hour, minute=morning.minute, timezone=zone),
        args=(deps, outgoing),
        id="digest",
    )
    # Mondays at digest time: last week's figures for the leadership
    scheduler.add_job(
        weekly_report_job,
        CronTrigger(day_of_week="mon", hour=morning.hour, minute=morning.minute, timezone=zone),
        args=(deps, outgoing),
        id="weekly_report",
    )
    rules = deps.bulletin
    if rules.schedule is Schedule.WEEKLY:
        # Every day at that time, not only on its weekday: the period asked for stays the last
        # scheduled one until the next is due, so a run missed while no process was up is made
        # the next day, and on the other days the period is found claimed (one cheap read).
        scheduler.add_job(
            bulletin_job,
            CronTrigger(hour=rules.at.hour, minute=rules.at.minute, timezone=zone),
            args=(deps, outgoing),
            id="bulletin",
        )
    scheduler.add_job(
        close_surveys_job, IntervalTrigger(hours=1, timezone=zone), args=(deps, outgoing), id="close_surveys"
    )
    # Nightly, when nobody signs in: the hashes of links and sessions expired over a day ago go.
    scheduler.add_job(
        forget_expired_job, CronTrigger(hour=3, minute=17, timezone=zone), args=(deps,), id="forget_expired"
    )
    return scheduler
