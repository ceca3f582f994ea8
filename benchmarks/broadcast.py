"""Policy broadcast throughput: one policy to 1,000 member-unit groups and 5,000 enterprises'
private chats, through the outbox sender and the Telegram transport, against the fake Bot API
enforcing Telegram's limits with 429s (30 messages a second overall, 20 a minute per group, about
one a second per chat), on the embedded SQLite file.

    python -m benchmarks.broadcast [--scale 1.0]

`--scale 0.05` sends to 50 groups and 250 chats (a quick check); the full run takes over three
minutes, because 6,000 messages at 30 a second take 200 seconds.

Prints the achieved rate as a share of the allowed rate (goal ≥ 95%), the fastest time the
limits permit (a 30-message burst, then 30 a second) against the time taken, the 429s the fake
answered, duplicates (goal 0) and losses (goal 0).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from pathlib import Path

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.bootstrap import build_app
from bot.channels.pacing import Pacer
from bot.channels.telegram.transport import TelegramTransport
from bot.config import load_settings
from bot.domain.enterprise import Contact, Enterprise
from bot.domain.policies import MemberGroup, Policy
from bot.outbox import OutboxSender
from handlers.policy_publish import add_policy, publish
from tests.fake_telegram import FakeBotApi

ROOT = Path(__file__).resolve().parent.parent
ALLOWED_PER_SECOND = 30.0  # Telegram's overall limit: the one a broadcast to distinct chats meets
BURST = 30


async def main(scale: float) -> None:
    groups, chats = round(1000 * scale), round(5000 * scale)
    settings = load_settings(ROOT / "config.yaml")
    api = FakeBotApi()
    await api.start()
    api.enforce_limits()
    with tempfile.TemporaryDirectory() as tmp:
        app = await build_app(settings, f"sqlite+aiosqlite:///{tmp}/broadcast.db")
        bot = Bot(api.token, session=AiohttpSession(api=TelegramAPIServer.from_base(api.base)))
        try:
            async with app.deps.storage() as uow:
                await uow.audience.sync_groups(
                    [MemberGroup(f"g{i}", f"群 {i}", "telegram", str(-1_000_000 - i)) for i in range(groups)]
                )
                for i in range(chats):
                    await uow.enterprises.add(Enterprise(f"co{i}", f"企业 {i}"))
                    await uow.contacts.add(
                        Contact(None, "telegram", str(1_000_000 + i), "x", "zh-CN", f"co{i}")
                    )
                await uow.commit()
            draft = await add_policy(
                app.deps,
                Policy(None, "普惠政策", "所有企业适用。" * 20, "industry_it", "cli", app.deps.clock()),
            )
            queued_at = time.perf_counter()
            published = await publish(app.deps, draft.id or 0, via=None)
            queueing = time.perf_counter() - queued_at
            sender = OutboxSender(app.deps, {"telegram": TelegramTransport(bot, Pacer())})
            start = time.perf_counter()
            stats = await sender.run(until_idle=True)
            elapsed = time.perf_counter() - start
        finally:
            await bot.session.close()
            await app.close()
            await api.stop()
    total = published.queued
    copies = Counter(s.chat_id for s in api.sent)
    expected = {-1_000_000 - i for i in range(groups)} | {1_000_000 + i for i in range(chats)}
    fastest = max(total - BURST, 0) / ALLOWED_PER_SECOND
    rate = len(api.sent) / elapsed
    print(f"recipients: {groups} groups + {chats} private chats = {total} (queued in {queueing:.1f} s)")
    print(f"sent {len(api.sent)} in {elapsed:.1f} s: {rate:.2f} messages/s")
    print(f"achieved / allowed rate ({ALLOWED_PER_SECOND:.0f}/s): {rate / ALLOWED_PER_SECOND:.1%}")
    print(f"fastest the limits permit: {fastest:.1f} s; that / time taken: {fastest / elapsed:.1%}")
    print(f"429s answered: {api.limited}; calls made before their retry_after: {api.too_early}")
    print(f"duplicates: {sum(n - 1 for n in copies.values() if n > 1)}")
    print(f"losses: {len(expected - set(copies))}")
    print(
        f"sender: sent {stats.sent}, retried {stats.retried}, deferred {stats.deferred}, "
        f"failed {stats.failed}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of 1,000 groups and 5,000 chats")
    asyncio.run(main(parser.parse_args().scale))
