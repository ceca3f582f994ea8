"""Three `xiaoer run` processes send one policy from a shared PostgreSQL outbox to a fake Bot API
that enforces Telegram's limits (30 a second for the bot, 20 a minute per group, about one a
second per chat): they keep the bot's limit together (handlers/send_slots.py), so no call is
refused with 429, and every recipient has the notice exactly once. Counts, not times."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from bot.bootstrap import build_app
from bot.config import load_settings
from bot.domain.enterprise import Contact, Enterprise
from bot.domain.policies import MemberGroup, Policy
from handlers.policy_publish import add_policy, publish
from tests.channels.test_telegram import write_config
from tests.fake_telegram import FakeBotApi
from tests.processes import free_port, healthy, start_webhook, stop_all, upgraded

PROCESSES = 3
GROUPS, CHATS = 10, 80  # past the bot's burst of 30, so the shared rate is what holds the sends back


@pytest.mark.postgres
async def test_three_processes_send_a_broadcast_within_the_limits_each_notice_once(
    tmp_path: Path, postgres_database: str
) -> None:
    config = write_config(tmp_path)
    await upgraded(postgres_database, config)
    api = FakeBotApi()
    await api.start()
    api.enforce_limits()
    ports = [free_port() for _ in range(PROCESSES)]
    running = []
    try:
        for port in ports:
            hook = f"http://127.0.0.1:{port}/telegram/hook"
            running.append(
                await start_webhook(
                    api, config, postgres_database, port, hook, XIAOER_CHANNELS__TELEGRAM__SENDERS="3"
                )
            )
        for port in ports:
            await healthy(port)
        app = await build_app(load_settings(config), postgres_database)
        try:  # queued once all three run: the broadcast is what they share
            async with app.deps.storage() as uow:
                await uow.audience.sync_groups(
                    [MemberGroup(f"g{i}", f"群 {i}", "telegram", str(-2_000_000 - i)) for i in range(GROUPS)]
                )
                for i in range(CHATS):
                    await uow.enterprises.add(Enterprise(f"co{i}", f"企业 {i}"))
                    chat = str(2_000_000 + i)
                    await uow.contacts.add(Contact(None, "telegram", chat, "x", "zh-CN", f"co{i}"))
                await uow.commit()
            draft = await add_policy(
                app.deps, Policy(None, "普惠政策", "所有企业适用。", "industry_it", "cli", app.deps.clock())
            )
            queued = (await publish(app.deps, draft.id or 0, via=None)).queued
        finally:
            await app.close()
        expected = {-2_000_000 - i for i in range(GROUPS)} | {2_000_000 + i for i in range(CHATS)}
        assert queued >= len(expected)
        async with asyncio.timeout(120):
            while not expected <= {s.chat_id for s in api.sent}:
                assert all(p.returncode is None for p in running), "a xiaoer run process stopped"
                await asyncio.sleep(0.1)
        await asyncio.sleep(2)  # a copy sent twice would have arrived by now
    finally:
        await stop_all(running)
        await api.stop()
    copies = Counter(s.chat_id for s in api.sent if s.chat_id in expected)
    assert set(copies) == expected  # no loss
    assert set(copies.values()) == {1}  # no duplicate
    assert (api.limited, api.too_early) == (0, 0)  # no 429, and none ignored
