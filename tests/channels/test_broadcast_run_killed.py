"""`xiaoer run` SIGKILLed in the middle of a broadcast (the chaos test kills it among demands,
tests/channels/test_outbox_crash.py kills `xiaoer policy send`): the restarted `xiaoer run` sends
the rest, and every chat has the notice exactly once. The fake Bot API drops the request in flight
at the kill, as a server that never got it would; SQLite, long polling, real HTTP."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from pathlib import Path

from bot.bootstrap import build_app
from bot.config import load_settings
from bot.domain.outbox import DeliveryStatus, MessageKind
from tests.channels.test_outbox_crash import COMPANIES, GROUPS, KILL_AT, kill_at_the_call_after, prepare
from tests.fake_telegram import FakeBotApi
from tests.processes import ended, environment, start


async def test_xiaoer_run_killed_mid_broadcast_sends_the_rest_once(tmp_path: Path) -> None:
    config, url = await prepare(tmp_path)
    expected = {-100_000 - i for i in range(GROUPS)} | {500_000 + i for i in range(COMPANIES)}
    api = FakeBotApi()
    await api.start()
    try:
        first = await start(environment(api, config), url)
        killed = kill_at_the_call_after(api, KILL_AT, first.pid)
        await asyncio.wait_for(killed.wait(), 60)
        await ended(first)
        assert first.returncode == -signal.SIGKILL
        api.on_send = None
        assert len(api.sent) == KILL_AT

        second = await start(environment(api, config), url)
        try:
            await api.wait_until(lambda: expected <= {s.chat_id for s in api.sent}, "every chat", within=90)
            await asyncio.sleep(2)  # a copy sent twice would have arrived by now
        finally:
            second.send_signal(signal.SIGTERM)
            await ended(second)
    finally:
        await api.stop()
    copies = Counter(s.chat_id for s in api.sent if s.chat_id in expected)
    assert set(copies) == expected
    assert set(copies.values()) == {1}
    app = await build_app(load_settings(config), url)
    try:
        async with app.deps.storage() as uow:
            notices = await uow.outbox.for_policy(1, MessageKind.NOTICE)
    finally:
        await app.close()
    assert {m.status for m in notices} == {DeliveryStatus.SENT}
    assert sum(m.in_doubt for m in notices) == 1  # the call in flight at the kill
