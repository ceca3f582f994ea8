"""Policy broadcast throughput: one policy to 1,000 member-unit groups and 5,000 enterprises'
private chats, through the outbox sender and the Telegram transport, against the fake Bot API
enforcing Telegram's limits with 429s (30 messages a second overall, 20 a minute per group, about
one a second per chat), on the embedded SQLite file.

    python -m benchmarks.broadcast [--scale 1.0] [--processes 3 [--postgres URL]]

With `--processes N`, the policy is queued in a fresh PostgreSQL database (created on the server
of `--postgres`, default the test server, dropped at the end) and sent by N `xiaoer run`
processes sharing its outbox (webhook mode, so they do not compete for getUpdates), each told
`channels.telegram.senders: N` so that together they keep to the bot's 30 a second.

`--scale 0.05` sends to 50 groups and 250 chats (a quick check); the full run takes over three
minutes, because 6,000 messages at 30 a second take 200 seconds.

Prints the achieved rate as a share of the allowed rate (goal ≥ 95%), the fastest time the
limits permit (a 30-message burst, then 30 a second) against the time taken, the 429s the fake
answered, duplicates (goal 0) and losses (goal 0).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.bootstrap import App, build_app
from bot.channels.pacing import Pacer
from bot.channels.telegram.transport import TelegramTransport
from bot.config import load_settings
from bot.domain.enterprise import Contact, Enterprise
from bot.domain.policies import MemberGroup, Policy
from bot.outbox import OutboxSender
from handlers.policy_publish import add_policy, publish
from storage.migrate import upgrade
from tests.fake_telegram import FakeBotApi
from tests.processes import free_port, healthy, webhook_environment

ROOT = Path(__file__).resolve().parent.parent
ALLOWED_PER_SECOND = 30.0  # Telegram's overall limit: the one a broadcast to distinct chats meets
BURST = 30


async def queue_policy(app: App, groups: int, chats: int) -> int:
    """The audience and one published policy: how many notices were queued."""
    async with app.deps.storage() as uow:
        await uow.audience.sync_groups(
            [MemberGroup(f"g{i}", f"群 {i}", "telegram", str(-1_000_000 - i)) for i in range(groups)]
        )
        for i in range(chats):
            await uow.enterprises.add(Enterprise(f"co{i}", f"企业 {i}"))
            await uow.contacts.add(Contact(None, "telegram", str(1_000_000 + i), "x", "zh-CN", f"co{i}"))
        await uow.commit()
    draft = await add_policy(
        app.deps,
        Policy(None, "普惠政策", "所有企业适用。" * 20, "industry_it", "cli", app.deps.clock()),
    )
    return (await publish(app.deps, draft.id or 0, via=None)).queued


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
            queued_at = time.perf_counter()
            total = await queue_policy(app, groups, chats)
            queueing = time.perf_counter() - queued_at
            sender = OutboxSender(app.deps, {"telegram": TelegramTransport(bot, Pacer())})
            start = time.perf_counter()
            stats = await sender.run(until_idle=True)
            elapsed = time.perf_counter() - start
        finally:
            await bot.session.close()
            await app.close()
            await api.stop()
    print(f"recipients: {groups} groups + {chats} private chats = {total} (queued in {queueing:.1f} s)")
    judge(api, groups, chats, total, elapsed)
    print(
        f"sender: sent {stats.sent}, retried {stats.retried}, deferred {stats.deferred}, "
        f"failed {stats.failed}"
    )


def judge(api: FakeBotApi, groups: int, chats: int, total: int, elapsed: float) -> None:
    copies = Counter(s.chat_id for s in api.sent)
    expected = {-1_000_000 - i for i in range(groups)} | {1_000_000 + i for i in range(chats)}
    fastest = max(total - BURST, 0) / ALLOWED_PER_SECOND
    rate = len(api.sent) / elapsed
    print(f"sent {len(api.sent)} in {elapsed:.1f} s: {rate:.2f} messages/s")
    print(f"achieved / allowed rate ({ALLOWED_PER_SECOND:.0f}/s): {rate / ALLOWED_PER_SECOND:.1%}")
    print(f"fastest the limits permit: {fastest:.1f} s; that / time taken: {fastest / elapsed:.1%}")
    print(f"429s answered: {api.limited}; calls made before their retry_after: {api.too_early}")
    print(f"duplicates: {sum(n - 1 for n in copies.values() if n > 1)}")
    print(f"losses: {len(expected - set(copies))}")


async def several(scale: float, processes: int, server: str) -> None:
    """The broadcast sent by `processes` `xiaoer run` processes sharing one PostgreSQL outbox."""
    groups, chats = round(1000 * scale), round(5000 * scale)
    name = f"xiaoer_bench_broadcast_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    database = server.rsplit("/", 1)[0] + f"/{name}"
    engine = create_async_engine(database)
    await upgrade(engine)
    await engine.dispose()
    api = FakeBotApi()
    await api.start()
    api.enforce_limits()
    running: list[tuple[asyncio.subprocess.Process, int]] = []
    try:
        for _ in range(processes):
            running.append(await _xiaoer_run(api, database, processes))
        await asyncio.wait_for(asyncio.gather(*(healthy(port) for _, port in running)), 300)
        app = await build_app(load_settings(ROOT / "config.yaml"), database)
        try:  # queued once every process runs: the broadcast is what they share
            total = await queue_policy(app, groups, chats)
        finally:
            await app.close()
        while not api.sent:  # noqa: ASYNC110  (timed from the first send: the senders look every second)
            await asyncio.sleep(0.01)
        start, load_before = time.perf_counter(), _load()
        cpu_before = [_cpu_seconds(p.pid) for p, _ in running]
        while len(api.sent) < total:
            if any(p.returncode is not None for p, _ in running):
                raise SystemExit("a xiaoer run process stopped early")
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - start
        cpu = [_cpu_seconds(p.pid) - before for (p, _), before in zip(running, cpu_before, strict=True)]
        load_after = _load()
        await asyncio.sleep(2)  # anything sent twice would arrive by now
    finally:
        for process, _ in running:
            if process.returncode is None:
                process.send_signal(signal.SIGINT)
        for process, _ in running:
            await asyncio.wait_for(process.communicate(), 60)
        await api.stop()
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
    print(f"{processes} xiaoer run processes sharing one PostgreSQL outbox")
    print(f"recipients: {groups} groups + {chats} private chats = {total}")
    print(f"load average at the first send: {load_before}; at the last: {load_after}")
    each = ", ".join(f"{seconds:.1f}" for seconds in cpu)
    print(f"CPU seconds of each process while sending: {each}; per notice {sum(cpu) / total * 1000:.2f} ms")
    judge(api, groups, chats, total - 1, elapsed)  # timed from the first send's arrival


def _load() -> str:
    """The machine's 1-, 5- and 15-minute load averages (other work on it slows the senders)."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux's /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _xiaoer_run(
    api: FakeBotApi, database: str, processes: int
) -> tuple[asyncio.subprocess.Process, int]:
    port = free_port()
    env = webhook_environment(
        api, ROOT / "config.yaml", port, XIAOER_CHANNELS__TELEGRAM__SENDERS=str(processes)
    )
    xiaoer = str(Path(sys.executable).parent / "xiaoer")
    process = await asyncio.create_subprocess_exec(
        xiaoer,
        "run",
        "--database",
        database,
        # the benchmark's organisation has no Telegram identities: only the policy's audience matters
        "--allow-unreachable",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    return process, port


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of 1,000 groups and 5,000 chats")
    parser.add_argument("--processes", type=int, default=0, help="xiaoer run processes on PostgreSQL")
    parser.add_argument("--postgres", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    arguments = parser.parse_args()
    if arguments.processes:
        asyncio.run(several(arguments.scale, arguments.processes, arguments.postgres))
    else:
        asyncio.run(main(arguments.scale))
