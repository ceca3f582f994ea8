"""Answers go out while a flood of updates is still arriving: the outbox sender is not starved by
the intake. Long polling hands the bot up to a hundred updates at a time and the inbox handles
them one after another; with SQLite run in place nothing in handling an update waits for I/O,
so unless intake gives the event loop back between updates, the sender (and the heartbeat, and
the web server) get a turn only between batches and the acknowledgements, each a promise to the
person who wrote, wait until the flood is over.

Counted, not timed: a steady stream of new demands through the fake Bot API (a hundred always
waiting to be fetched, topped up as soon as the bot takes them) against `xiaoer run`'s pipeline
with Telegram's limits opened wide; when the last update of the stream is handed out, a good part
of the demands handled by then have been acknowledged."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.bootstrap import build_app
from bot.channels.pacing import Pacer
from bot.config import load_settings
from tests.channels.telegram_runtime import telegram_running
from tests.conftest import ROOT
from tests.fake_telegram import FakeBotApi

STREAM = 400
WAITING = 100  # what Telegram hands out at most in one getUpdates
FIRST_USER = 80_000
DEMAND = "我们公司急需一笔200万的流动资金贷款，下月发工资都困难了"
ACKNOWLEDGED = "已受理您的诉求"  # the acknowledgement (it names the ticket)


def acknowledged(api: FakeBotApi) -> set[int]:
    return {s.chat_id for s in api.sent if s.chat_id >= FIRST_USER and ACKNOWLEDGED in s.text}


async def test_acknowledgements_flow_while_a_flood_is_still_arriving(tmp_path: Path) -> None:
    settings = load_settings(ROOT / "config.yaml")
    api = FakeBotApi()
    await api.start()
    app = await build_app(settings, f"sqlite+aiosqlite:///{tmp_path / 'flood.db'}")
    groups = {department: -1_000_000 - i for i, department in enumerate(app.deps.directory.departments)}
    try:
        async with telegram_running(app.deps, api, groups) as run:
            # Telegram's limits opened: the sender is held back by nothing but its turns
            run.transport.pacer = Pacer(
                per_chat=(10**6, 10**6), per_group=(10**6, 10**6), overall=(10**6, 10**6)
            )
            for i in range(STREAM):
                # topped up at every turn of the event loop (a count of turns, not a time)
                while len(api.pending) >= WAITING:  # noqa: ASYNC110
                    await asyncio.sleep(0)
                await api.user_sends(FIRST_USER + i, DEMAND)
            handled = run.runtime.conversations.handled
            early = acknowledged(api)
            for i in range(STREAM):
                await api.wait_text(FIRST_USER + i, ACKNOWLEDGED, within=60)
    finally:
        await app.close()
        await api.stop()
    # By the last update the bot has handled all but the last hundred or two. Without turns for
    # the sender in between, 9 of 300 were acknowledged by then (the first batch's, in the few
    # turns between batches); with a turn after each update, about half (156 of 300: every
    # demand is three messages, its acknowledgement, the department's post and a question).
    assert handled >= STREAM - 2 * WAITING, handled
    assert len(early) >= handled // 4, (len(early), handled)
