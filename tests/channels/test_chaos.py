"""Issue 16, "Done when": three `xiaoer run` processes in webhook mode on one PostgreSQL database,
behind the test's load balancer (tests/balancer.py), one of them SIGKILLed at random every few
seconds and started again, while 300 updates arrive (100 conversations of three messages each).

Then every update was handled exactly once (the inbox holds each once, handled; one ticket per
conversation), every message the bot promised was delivered exactly once, or was marked in doubt
(the process died while handing it to Telegram) and delivered once or twice, and each
conversation's answers came in the order of its messages. What it saw (kills, failovers,
redeliveries, messages in doubt) is printed with the random seed; set XIAOER_CHAOS_SEED to replay
the same kills.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
from collections import Counter
from pathlib import Path
from typing import IO

import aiohttp
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.balancer import HOOK, Balancer, WebhookSender
from tests.channels.test_telegram import DEMAND
from tests.fake_telegram import FakeBotApi
from tests.processes import (
    SECRET,
    XIAOER,
    environment,
    free_port,
    healthy,
    private_config,
    start,
    webhook_environment,
)

PROCESSES = 3
CONVERSATIONS = 100
FIRST_USER = 910_000
AT_ONCE = 25  # conversations writing at the same moment
KILL_EVERY = (2.0, 5.0)  # seconds between kills, drawn at random
# one conversation begins this long after the one before: the updates keep arriving for about
# half a minute however fast the machine answers, so several kills fall among them
START_SPREAD = 0.3
USCC = "91350206MA2Y3K8P13"
# what each person is told, in this order: the ticket, the two questions, the thanks
ANSWERS = ("工单号", "贵公司的全称", "统一社会信用代码是", "谢谢，已记录")


def messages(person: int) -> tuple[str, ...]:
    return (DEMAND, f"厦门第{person}精工机械有限公司", USCC)


class Fleet:
    """The `xiaoer run` processes, one per port, each restarted after a kill; every incarnation
    logs to a file of its own."""

    def __init__(self, env: dict[int, dict[str, str]], database: str, logs: Path) -> None:
        self.env = env
        self.database = database
        self.logs = logs
        self.running: dict[int, asyncio.subprocess.Process] = {}
        self.incarnations: Counter[int] = Counter()
        self._files: list[IO[bytes]] = []
        self.kills = 0

    async def start(self, port: int) -> None:
        self.incarnations[port] += 1
        log = (self.logs / f"{port}-{self.incarnations[port]}.log").open("wb")
        self._files.append(log)
        self.running[port] = await start(self.env[port], self.database, log)

    async def kill_at_random(self, chance: random.Random, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), chance.uniform(*KILL_EVERY))
                return
            except TimeoutError:
                pass
            # any process, starting or serving, except the last one serving: one always serves
            serving = [port for port in sorted(self.running) if await serves(port)]
            candidates = [port for port in sorted(self.running) if serving and serving != [port]]
            if not candidates:
                continue
            port = chance.choice(candidates)
            process = self.running[port]
            if process.returncode is None:
                process.send_signal(signal.SIGKILL)
            await process.wait()
            self.kills += 1
            await self.start(port)

    async def stop(self) -> dict[int, int | None]:
        """SIGINT to every process; each one's exit status. A process restarted by the last kill
        may still be starting: it is let become healthy first, since a SIGINT during its imports
        (before `xiaoer run` handles signals) ends it with Python's KeyboardInterrupt, status 130,
        which says nothing about stopping cleanly (seen once the answers came fast enough for the
        test to stop within a second or two of the last restart)."""
        for port, process in self.running.items():
            if process.returncode is None:
                await healthy(port)
        for process in self.running.values():
            if process.returncode is None:
                process.send_signal(signal.SIGINT)
        statuses: dict[int, int | None] = {}
        for port, process in self.running.items():
            try:
                statuses[port] = await asyncio.wait_for(process.wait(), 60)
            except TimeoutError:
                process.kill()
                statuses[port] = await process.wait()
        for log in self._files:
            log.close()
        return statuses

    def errors(self) -> list[str]:
        """Log lines at ERROR or above, or tracebacks, from every incarnation."""
        found = []
        for path in sorted(self.logs.iterdir()):
            for line in path.read_text(errors="replace").splitlines():
                if " ERROR " in line or " CRITICAL " in line or line.startswith("Traceback"):
                    found.append(f"{path.name}: {line}")
        return found


async def serves(port: int) -> bool:
    """Whether the process on `port` answers /healthz at once (started, not dead)."""
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1)) as http,
            http.get(f"http://127.0.0.1:{port}/healthz") as answer,
        ):
            return answer.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


async def database_state(url: str) -> dict[str, object]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:

            async def one(sql: str) -> object:
                return (await connection.execute(text(sql))).scalar_one()

            rows = [
                (int(chat), body, int(attempts), bool(doubt))
                for chat, body, attempts, doubt in await connection.execute(
                    text("SELECT chat_id, text, attempts, in_doubt FROM outbox")
                )
            ]
            return {
                "tickets": await one("SELECT count(*) FROM tickets"),
                "handled": await one("SELECT count(*) FROM inbox WHERE done"),
                "waiting": await one("SELECT count(*) FROM inbox WHERE NOT done"),
                "updates": await one("SELECT count(DISTINCT delivery_id) FROM inbox"),
                "retried": await one("SELECT count(*) FROM inbox WHERE attempts > 0"),
                "outbox": {
                    status: int(count)
                    for status, count in await connection.execute(
                        text("SELECT status, count(*) FROM outbox GROUP BY status")
                    )
                },
                "rows": rows,
            }
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_processes_killed_at_random_handle_every_update_once(
    tmp_path: Path, postgres_database: str
) -> None:
    seed = int(os.environ.get("XIAOER_CHAOS_SEED") or random.randrange(10**6))
    print(f"chaos seed {seed} (replay with XIAOER_CHAOS_SEED={seed})")
    chance = random.Random(seed)
    config = private_config(tmp_path)
    api = FakeBotApi()
    await api.start()
    upgrade = await asyncio.create_subprocess_exec(
        XIAOER, "db", "upgrade", "--database", postgres_database, env=environment(api, config)
    )
    assert await upgrade.wait() == 0
    ports = [free_port() for _ in range(PROCESSES)]
    balancer = Balancer(ports)
    await balancer.start()
    hook = balancer.base + HOOK  # what Telegram is told: the balancer's address
    logs = tmp_path / "logs"
    logs.mkdir()
    fleet = Fleet(
        {port: webhook_environment(api, config, port, hook) for port in ports}, postgres_database, logs
    )
    sender = WebhookSender(hook, SECRET)
    people = [FIRST_USER + i for i in range(CONVERSATIONS)]
    at_once = asyncio.Semaphore(AT_ONCE)

    async def converse(index: int, person: int) -> None:
        """One person's messages in turn: each once Telegram has its predecessor acknowledged."""
        await asyncio.sleep(index * START_SPREAD)
        async with at_once:
            for message in messages(person):
                await sender.deliver(await api.user_sends(person, message))

    stop_killing = asyncio.Event()
    statuses: dict[int, int | None] = {}
    try:
        for port in ports:
            await fleet.start(port)
        for port in ports:
            await healthy(port)
        killer = asyncio.create_task(fleet.kill_at_random(chance, stop_killing))
        conversations = (converse(index, person) for index, person in enumerate(people))
        await asyncio.wait_for(asyncio.gather(*conversations), 420)
        stop_killing.set()
        await killer
        for person in people:
            await api.wait_text(person, ANSWERS[-1], within=120)
    finally:
        stop_killing.set()
        statuses = await fleet.stop()
        await sender.close()
        await balancer.stop()
        await api.stop()
    state = await database_state(postgres_database)
    rows: list[tuple[int, str, int, bool]] = state["rows"]  # type: ignore[assignment]
    in_doubt = [row for row in rows if row[3]]
    print(
        f"chaos seed {seed}: {fleet.kills} kills, {balancer.failovers} failovers, "
        f"{sender.redelivered} redeliveries, answered by {dict(balancer.answered_by)}, "
        f"{state['retried']} updates retried, {len(in_doubt)} messages in doubt "
        f"(sent {sum(attempts for *_, attempts, _ in in_doubt)} times), outbox {state['outbox']}"
    )
    errors = fleet.errors()
    print(f"{len(errors)} error lines logged; the first ones:", *errors[:30], sep="\n")
    assert fleet.kills >= 3, f"seed {seed}: too few kills to mean anything"
    assert all(status == 0 for status in statuses.values()), (seed, statuses)
    total = CONVERSATIONS * len(messages(0))
    assert (state["tickets"], state["handled"], state["waiting"], state["updates"]) == (
        CONVERSATIONS,
        total,
        0,
        total,
    ), (seed, state)
    assert list(state["outbox"]) == ["sent"], (seed, state["outbox"])  # type: ignore[call-overload]
    problems = []
    for chat, body, attempts, doubt in rows:
        # Each message once; one in doubt (a process died while handing it to Telegram, which
        # cannot be asked whether it arrived) once or again, at most once per attempt.
        fragment = next(f for f in ANSWERS if f in body)
        times = len([s for s in api.to(chat) if fragment in s.text])
        if not 1 <= times <= (attempts if doubt else 1):
            problems.append(f"{chat}: {fragment!r} {times} times, {attempts} attempts, in doubt: {doubt}")
    for person in people:
        texts = [s.text for s in api.to(person)]
        firsts = [next((i for i, t in enumerate(texts) if fragment in t), -1) for fragment in ANSWERS]
        if -1 in firsts or firsts != sorted(firsts):
            problems.append(f"{person}: out of order or missing: {texts}")
    assert len(rows) == CONVERSATIONS * len(ANSWERS), (seed, len(rows))
    assert problems == [], f"seed {seed}:\n" + "\n".join(problems[:20])
