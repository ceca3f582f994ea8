"""`xiaoer sweep` SIGKILLed while it hands its nudges to Telegram (through real HTTP against the
fake Bot API), then run again: what the first one claimed and queued is delivered, once (the
second sweep claims nothing new: before, it sent nothing either, and the nudges waited in the
outbox for the next `xiaoer run`)."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import Settings
from tests.channels.test_telegram import write_config
from tests.e2e.test_shell import DEMAND, xiaoer
from tests.fake_telegram import FakeBotApi
from tests.processes import XIAOER, environment

WANG, ZHENG = 9101, 9102  # the liaison officer and his head, who get the reminder and supervision


async def sweep(api: FakeBotApi, config: Path, database: str, now: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        XIAOER,
        "sweep",
        "--now",
        now,
        "-d",
        database,
        env=environment(api, config),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_a_sweep_killed_while_sending_is_finished_by_the_next(
    tmp_path: Path, settings: Settings
) -> None:
    config = write_config(tmp_path, officers={"wang_lei": WANG, "zheng_yu": ZHENG}, groups={})
    database = f"sqlite+aiosqlite:///{tmp_path / 'sweep.db'}"
    opened = xiaoer("shell", "-d", database, stdin=f"{DEMAND}\n", cwd=tmp_path, config=config)
    assert opened.returncode == 0, opened.stderr
    calendar = settings.working_calendar()
    late = calendar.next_working_moment(
        calendar.add_working_days(datetime.now(UTC), 5) + timedelta(minutes=1)
    )
    now = late.astimezone(calendar.timezone).isoformat()
    api = FakeBotApi()
    await api.start()
    try:
        first = await sweep(api, config, database, now)
        killed = asyncio.Event()

        def kill_on_the_first_call(chat_id: int) -> bool:
            if not killed.is_set():
                os.kill(first.pid, signal.SIGKILL)
                killed.set()
            return False  # the request in flight at the kill never lands

        api.on_send = kill_on_the_first_call
        await asyncio.wait_for(killed.wait(), 60)
        await first.communicate()
        assert first.returncode == -signal.SIGKILL
        api.on_send = None
        assert api.sent == []

        second = await sweep(api, config, database, now)
        out, err = await asyncio.wait_for(second.communicate(), 90)
        assert second.returncode == 0, err.decode()
    finally:
        await api.stop()
    copies = Counter(s.chat_id for s in api.sent)
    assert copies == {WANG: 1, ZHENG: 1}, out.decode()  # the reminder and the supervision, once each
    assert "催办：工单 #1" in next(s.text for s in api.sent if s.chat_id == WANG)
