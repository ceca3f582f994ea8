"""The scheduler's jobs call the handlers and queue their messages in the same transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.config import BulletinConfig, Settings
from bot.domain.messages import Reply, ToOfficer
from bot.domain.outbox import Origin
from bot.domain.web_console import token_hash
from bot.scheduler import build_scheduler, digest_job, forget_expired_job, weekly_report_job
from handlers.deps import Deps
from handlers.outgoing import Outgoing
from storage.protocols import UnitOfWork
from storage.web_protocols import TokenKind, TokenState
from tests.conftest import Clock
from tests.world import DEMAND, XINYUAN, make_world


class Outbox(Outgoing):
    """The way out, keeping what it is given to queue (in the job's transaction)."""

    def __init__(self, deps: Deps) -> None:
        super().__init__(deps, [])
        self.sent: list[Reply] = []
        self.arrived = asyncio.Event()

    async def queue(self, uow: UnitOfWork, replies: Sequence[Reply], origin: Origin | None = None) -> int:
        self.sent.extend(replies)
        if replies:
            self.arrived.set()
        return len(replies)


def test_the_jobs_and_when_they_run(settings: Settings, clock: Clock) -> None:
    async def build() -> list[tuple[str, str]]:
        world = await make_world(settings, clock)
        scheduler = build_scheduler(world.deps, settings.reminders, Outbox(world.deps))
        return [(job.id, str(job.trigger)) for job in scheduler.get_jobs()]

    assert asyncio.run(build()) == [
        ("sweep", "interval[0:05:00]"),
        ("digest", "cron[hour='9', minute='0']"),
        ("weekly_report", "cron[day_of_week='mon', hour='9', minute='0']"),
        ("bulletin", "cron[hour='9', minute='0']"),  # daily: a missed Monday is made on Tuesday
        ("close_surveys", "interval[1:00:00]"),
        ("forget_expired", "cron[hour='3', minute='17']"),
    ]


async def test_the_nightly_job_forgets_links_expired_over_a_day_ago(settings: Settings, clock: Clock) -> None:
    world = await make_world(settings, clock)
    now = clock.now
    async with world.storage() as uow:
        for secret, expires in (("two days", now - timedelta(days=2)), ("an hour", now - timedelta(hours=1))):
            await uow.web.add_token(token_hash(secret), TokenKind.LINK, "wu_bin", "officer", now, expires)
        await uow.commit()
    await forget_expired_job(world.deps)
    async with world.storage() as uow:  # an hour ago: still kept, so following it says "expired"
        assert (await uow.web.redeem_link(token_hash("an hour"), now))[0] is TokenState.EXPIRED
        assert (await uow.web.redeem_link(token_hash("two days"), now))[0] is TokenState.UNKNOWN


async def test_the_running_scheduler_sweeps_and_delivers(settings: Settings, clock: Clock) -> None:
    world = await make_world(settings, clock)
    await world.say(XINYUAN, DEMAND)  # urgent: to be signed for within 2 working hours
    clock.now += timedelta(hours=3)  # Monday 13:00 in Xiamen: lunch, nothing is sent
    outbox = Outbox(world.deps)
    scheduler = build_scheduler(world.deps, settings.reminders, outbox)
    scheduler.start()
    try:
        clock.now += timedelta(hours=1)  # 14:00: overdue
        scheduler.modify_job("sweep", next_run_time=datetime.now(UTC))
        await asyncio.wait_for(outbox.arrived.wait(), timeout=30)
    finally:
        scheduler.shutdown(wait=False)
    assert [reply.to for reply in outbox.sent] == [ToOfficer("wang_lei")]
    assert "签收已超时" in outbox.sent[0].text


async def test_the_first_sweep_may_come_soon_after_the_start(settings: Settings, clock: Clock) -> None:
    world = await make_world(settings, clock)
    await world.say(XINYUAN, DEMAND)
    clock.now += timedelta(hours=4)  # Monday 14:00 in Xiamen: overdue to sign for
    outbox = Outbox(world.deps)
    soon = settings.reminders.model_copy(update={"first_sweep_seconds": 0})
    scheduler = build_scheduler(world.deps, soon, outbox)
    scheduler.start()
    try:  # not five minutes later, as without first_sweep_seconds
        await asyncio.wait_for(outbox.arrived.wait(), timeout=30)
    finally:
        scheduler.shutdown(wait=False)
    assert [reply.to for reply in outbox.sent] == [ToOfficer("wang_lei")]


async def test_the_digest_job_sends_each_digest_once(settings: Settings, clock: Clock) -> None:
    world = await make_world(settings, clock)
    await world.say(XINYUAN, DEMAND)
    outbox = Outbox(world.deps)
    await digest_job(world.deps, outbox)
    await digest_job(world.deps, outbox)  # a second instance, or a restart
    assert [reply.to for reply in outbox.sent] == [ToOfficer("wang_lei")]


async def test_the_weekly_report_job_sends_last_week_once_with_its_chart(
    settings: Settings, clock: Clock
) -> None:
    world = await make_world(settings, clock)  # Monday 23 November 2026
    clock.now -= timedelta(days=5)  # a demand in the week before
    await world.say(XINYUAN, DEMAND)
    clock.now += timedelta(days=5)
    outbox, again = Outbox(world.deps), Outbox(world.deps)
    await weekly_report_job(world.deps, outbox)
    await weekly_report_job(world.deps, again)  # a second instance, or a restart
    assert again.sent == []  # the week was claimed by the first
    texts = [reply for reply in outbox.sent if reply.attachment is None]
    charts = [reply for reply in outbox.sent if reply.attachment is not None]
    assert texts
    assert len(charts) == len(texts)  # each recipient once: the figures and the chart
    assert all("2026-11-16" in reply.text for reply in texts)
    assert all(chart.attachment is not None and chart.attachment.data[:4] == b"\x89PNG" for chart in charts)


def test_the_bulletin_runs_when_configured_or_not_at_all(settings: Settings, clock: Clock) -> None:
    async def jobs(bulletin: BulletinConfig) -> dict[str, str]:
        world = await make_world(settings, clock)
        deps = replace(world.deps, bulletin=bulletin.rules())
        scheduler = build_scheduler(deps, settings.reminders, Outbox(deps))
        return {job.id: str(job.trigger) for job in scheduler.get_jobs()}

    thursday = asyncio.run(jobs(BulletinConfig(weekday="thu", time="17:30")))
    assert thursday["bulletin"] == "cron[hour='17', minute='30']"  # the weekday: scheduled_period
    assert "bulletin" not in asyncio.run(jobs(BulletinConfig(schedule="off")))
