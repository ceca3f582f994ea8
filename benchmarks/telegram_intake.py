"""Telegram intake throughput: updates through the full pipeline (fake Bot API on loopback,
aiogram, NLU, SQLite, replies sent back) against the same harness with a no-op aiogram handler.

    python -m benchmarks.telegram_intake [--updates 500]

The pacer is opened wide here: this measures Xiaoer's pipeline, not Telegram's flood limits
(30 messages a second overall), which the pacer otherwise keeps.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from aiogram import Dispatcher, Router
from aiogram.types import Message

from benchmarks.intake_bench import TEXTS
from bot.bootstrap import build_app
from bot.channels.pacing import Pacer
from bot.channels.telegram import TelegramChannel
from bot.config import load_settings
from tests.fake_telegram import FakeBotApi

ROOT = Path(__file__).resolve().parent.parent


async def feed(api: FakeBotApi, count: int) -> None:
    for i in range(count):
        await api.user_sends(100_000 + i, TEXTS[i % len(TEXTS)])


async def run_channel(channel: TelegramChannel, api: FakeBotApi, count: int) -> float:
    await feed(api, count)
    start = time.perf_counter()
    polling = asyncio.create_task(channel.run_polling())
    # done when every sender has been answered (each update makes two or three messages)
    await api.wait_until(
        lambda: len({s.chat_id for s in api.sent if s.chat_id > 0}) >= count, "every sender answered", 600
    )
    elapsed = time.perf_counter() - start
    await channel.dispatcher.stop_polling()
    await polling
    return elapsed


async def run_noop(api: FakeBotApi, count: int) -> float:
    """The same transport and aiogram dispatching, with a handler that does nothing."""
    settings = load_settings(ROOT / "config.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        app = await build_app(settings, f"sqlite+aiosqlite:///{tmp}/noop.db")
        channel = TelegramChannel(api.token, api.base, app.deps, polling_timeout=1)
        seen: list[int] = []
        all_seen = asyncio.Event()
        dispatcher = Dispatcher()
        router = Router()

        async def noop(message: Message) -> None:
            seen.append(message.message_id)
            if len(seen) >= count:
                all_seen.set()

        router.message()(noop)
        dispatcher.include_router(router)
        await feed(api, count)
        start = time.perf_counter()
        polling = asyncio.create_task(
            dispatcher.start_polling(channel.bot, handle_signals=False, polling_timeout=1)
        )
        await all_seen.wait()
        elapsed = time.perf_counter() - start
        await dispatcher.stop_polling()
        await polling
        await app.close()
    return elapsed


async def main(count: int) -> None:
    settings = load_settings(ROOT / "config.yaml")
    api = FakeBotApi()
    await api.start()
    try:
        noop = await run_noop(api, count)
        api.sent.clear()
        with tempfile.TemporaryDirectory() as tmp:
            app = await build_app(settings, f"sqlite+aiosqlite:///{tmp}/bench.db")
            channel = TelegramChannel(api.token, api.base, app.deps, polling_timeout=1)
            channel.pacer = Pacer(per_chat=(10**6, 10**6), per_group=(10**6, 10**6), overall=(10**6, 10**6))
            full = await run_channel(channel, api, count)
            await app.close()
    finally:
        await api.stop()
    print(f"no-op aiogram handler: {count / noop:8.0f} updates/s ({count} updates in {noop:.2f} s)")
    print(f"full pipeline (SQLite): {count / full:8.0f} updates/s ({count} updates in {full:.2f} s)")
    print(f"full / no-op: {noop / full:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=500)
    asyncio.run(main(parser.parse_args().updates))
