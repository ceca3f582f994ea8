"""`xiaoer run` SIGKILLed while its scheduled reminder sweep's nudges go out to Telegram (through
real HTTP against the fake Bot API), then started again: every nudge arrives once, and the ledger
holds each once (the restarted process's sweep finds them claimed and claims nothing new).

The sweep runs on the wall clock, so the config gives the test a working calendar in which the
whole test is working time whenever it runs: every day a working day, business hours 00:00-23:59,
in a fixed-offset zone where it is around noon now. The first sweep is a second after the start
(reminders.first_sweep_seconds) instead of one interval later."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from bot.bootstrap import build_app
from bot.config import load_settings
from bot.domain.messages import Inbound
from handlers.dispatch import handle
from tests.channels.test_outbox_crash import kill_at_the_call_after
from tests.channels.test_telegram import write_config
from tests.fake_telegram import FakeBotApi
from tests.processes import ended, environment, start, stop_all
from tests.world import DEMAND, XINYUAN

WANG, ZHENG = 9201, 9202  # the liaison officer and his head: the reminders and the supervision
TICKETS = 4


def zone_where_it_is_noon(now: datetime) -> str:
    """A fixed-offset zone in which `now` is between 11:30 and 12:30 (Etc/GMT-N is N hours east)."""
    east = 12 - round(now.astimezone(UTC).hour + now.minute / 60)
    return "Etc/UTC" if east == 0 else f"Etc/GMT{-east:+d}"


def config_always_working(tmp_path: Path) -> Path:
    config = write_config(tmp_path, officers={"wang_lei": WANG, "zheng_yu": ZHENG}, groups={})
    document = yaml.safe_load(config.read_text(encoding="utf-8"))
    document["timezone"] = zone_where_it_is_noon(datetime.now(UTC))
    document["calendar"].update(
        weekdays=["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        hours=["00:00-23:59"],
        official_holidays=None,
    )
    document["reminders"].update(first_sweep_seconds=1, sweep_minutes=60)
    document["bulletin"]["schedule"] = "off"
    config.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return config


async def open_overdue_tickets(config: Path, database: str) -> None:
    """Urgent demands opened ten days ago: each is overdue to sign, contact and resolve by now."""
    app = await build_app(load_settings(config), database)
    opened = datetime.now(UTC) - timedelta(days=10)
    deps = replace(app.deps, clock=lambda: opened)
    try:
        for n in range(TICKETS):
            inbound = Inbound(XINYUAN, XINYUAN.user_id, DEMAND, opened, delivery_id=f"demand {n}")
            replies = await handle(inbound, deps)
            # the same demand again is asked about ("like your ticket #1"): a new ticket, each time
            new = [b for r in replies for b in r.buttons if b.payload and b.payload.endswith(":new")]
            if new:
                answer = Inbound(XINYUAN, XINYUAN.user_id, new[0].label, opened, payload=new[0].payload)
                replies = await handle(answer, deps)
            assert any(f"工单 #{n + 1}" in reply.text for reply in replies), replies
    finally:
        await app.close()


def ledger(database: Path) -> Counter[tuple[int, str, str, int]]:
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT ticket_number, kind, level, repeat FROM nudges").fetchall()
    return Counter((int(number), str(kind), str(level), int(repeat)) for number, kind, level, repeat in rows)


async def test_xiaoer_run_killed_during_its_scheduled_sweep_delivers_each_nudge_once(tmp_path: Path) -> None:
    config = config_always_working(tmp_path)
    path = tmp_path / "run.db"
    database = f"sqlite+aiosqlite:///{path}"
    await open_overdue_tickets(config, database)
    api = FakeBotApi()
    api.started |= {WANG, ZHENG}  # both have written to the bot: it may write to them
    await api.start()
    try:
        first = await start(environment(api, config), database)
        # the first nudge is in flight (a call delivered but not yet written down would go again,
        # marked in doubt: tests/channels/test_outbox_crash.py covers that window)
        killed = kill_at_the_call_after(api, 0, first.pid)
        await asyncio.wait_for(killed.wait(), 90)
        await ended(first)
        assert first.returncode == -signal.SIGKILL
        api.on_send = None
        before = len(api.sent)
        claimed = ledger(path)
        assert claimed, "the killed sweep had claimed its nudges (they are queued with their claim)"

        second = await start(environment(api, config), database)
        # whatever the dead process had queued and not delivered goes out from the new one
        await api.wait_until(lambda: {s.chat_id for s in api.sent} >= {WANG, ZHENG}, "both nudged", 90)
        await asyncio.sleep(3)  # past the restarted process's own first sweep: nothing more
        await stop_all([second])
    finally:
        await api.stop()
    assert before == 0
    copies = Counter(s.chat_id for s in api.sent)
    assert copies == {WANG: 1, ZHENG: 1}, [s.text for s in api.sent]  # the reminder and the supervision
    reminder = next(s.text for s in api.sent if s.chat_id == WANG)
    assert all(f"#{n}" in reminder for n in range(1, TICKETS + 1)), reminder
    after = ledger(path)
    assert after == claimed  # the second sweep claimed nothing again, nor anything new
    assert set(after.values()) == {1}
    assert {number for number, *_ in after} == set(range(1, TICKETS + 1))
