"""`xiaoer run` as processes: SIGKILLed at random moments while two hundred demands arrive, and
two or three of them sharing one PostgreSQL database behind a load balancer. Real HTTP against
the fake Bot API served by this test; the bot runs as an operator runs it.

What is promised: nothing a person sent is lost or handled twice, every message the bot promised
is delivered, none twice except those the outbox marked in doubt (a call in flight when the
process died: Telegram offers no way to ask whether it arrived), and each conversation's
messages are handled and answered in the order they were sent.
"""

from __future__ import annotations

import asyncio
import random
import signal
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.bootstrap import build_app
from bot.config import load_settings
from tests.channels.test_telegram import DEMAND, write_config
from tests.fake_telegram import FakeBotApi
from tests.processes import (
    ended,
    environment,
    free_port,
    healthy,
    post,
    private_config,
    said,
    start,
    start_webhook,
    stop_all,
    upgraded,
)

DEMANDS = 200
FIRST_USER = 700_000


def progressed(api: FakeBotApi, target: int) -> bool:
    return len(api.sent) >= target


def all_asked(api: FakeBotApi, people: list[int]) -> bool:
    return all(said(api, person, "贵公司的全称") for person in people)


def running_and(process: asyncio.subprocess.Process, condition: Callable[..., bool], *args: Any) -> bool:
    """`condition(*args)`, failing at once if `xiaoer run` has exited: a wait for what a dead
    process will never do would only time out, test after test."""
    if process.returncode is not None:
        raise AssertionError(f"xiaoer run exited early with status {process.returncode}")
    return condition(*args)


async def test_killed_at_random_moments_nothing_promised_is_lost_or_repeated(tmp_path: Path) -> None:
    seed = random.randrange(10**6)
    chance = random.Random(seed)
    config = private_config(tmp_path)
    database = f"sqlite+aiosqlite:///{tmp_path / 'killed.db'}"
    api = FakeBotApi()
    await api.start()
    env = environment(api, config)
    people = [FIRST_USER + i for i in range(DEMANDS)]
    kills = 0
    try:
        process = await start(env, database)
        for person in people:
            await api.user_sends(person, DEMAND)
        for _ in range(3):  # killed three times, each at a moment of its own
            target = len(api.sent) + chance.randrange(20, 90)
            await api.wait_until(
                partial(running_and, process, progressed, api, target), "progress before a kill", 120
            )
            await asyncio.sleep(chance.random() * 0.3)
            process.send_signal(signal.SIGKILL)
            await ended(process)
            kills += 1
            process = await start(env, database)
        # one deadline for all of them, and none once the process has stopped (it would fail each)
        await api.wait_until(
            partial(running_and, process, all_asked, api, people), "every demand answered", 300
        )
        process.send_signal(signal.SIGINT)
        err = await ended(process)
        assert process.returncode == 0, err[-2000:]
    finally:
        if process.returncode is None:
            process.kill()
            await ended(process)
        await api.stop()

    app = await build_app(load_settings(config), database)
    try:
        async with app.engine.connect() as connection:
            tickets = (await connection.execute(text("SELECT count(*) FROM tickets"))).scalar_one()
            waiting = (
                await connection.execute(text("SELECT count(*) FROM inbox WHERE NOT done"))
            ).scalar_one()
            doubtful = {
                int(chat)
                for (chat,) in await connection.execute(text("SELECT chat_id FROM outbox WHERE in_doubt"))
            }
    finally:
        await app.close()
    assert (tickets, waiting) == (DEMANDS, 0), f"seed {seed}"  # every demand handled, once
    for person in people:
        acknowledged, asked = said(api, person, "工单号"), said(api, person, "贵公司的全称")
        most = 2 if person in doubtful else 1
        assert 1 <= acknowledged <= most, (seed, person, acknowledged)
        assert 1 <= asked <= most, (seed, person, asked)
        texts = [s.text for s in api.to(person)]
        assert next(i for i, t in enumerate(texts) if "工单号" in t) < next(
            i for i, t in enumerate(texts) if "贵公司的全称" in t
        ), f"seed {seed}"
    repeated = [p for p in people if said(api, p, "工单号") + said(api, p, "贵公司的全称") > 2]
    assert len(repeated) <= len(doubtful), f"seed {seed}"
    assert kills == 3


@pytest.mark.postgres
@pytest.mark.parametrize("processes", [2, 3])
async def test_processes_on_one_postgresql_keep_each_conversation_in_order(
    tmp_path: Path, postgres_database: str, processes: int
) -> None:
    config = write_config(tmp_path)
    await upgraded(postgres_database, config)
    api = FakeBotApi()
    await api.start()
    ports = [free_port() for _ in range(processes)]
    running = []
    try:
        for port in ports:
            hook = f"http://127.0.0.1:{port}/telegram/hook"
            running.append(await start_webhook(api, config, postgres_database, port, hook))
        for port in ports:
            await healthy(port)
        people = [FIRST_USER + i for i in range(12)]
        turns = iter(range(10**6))

        async def converse(person: int) -> None:
            """One person's three messages, each to whichever process the balancer picks."""
            async with aiohttp.ClientSession() as http:
                for message in (DEMAND, f"厦门第{person}精工机械有限公司", "91350206MA2Y3K8P13"):
                    update = await api.user_sends(person, message)
                    port = ports[next(turns) % processes]
                    await post(http, port, update)

        await asyncio.gather(*(converse(person) for person in people))
        for person in people:
            await api.wait_text(person, "谢谢，已记录", within=60)
        expected = ["工单号", "贵公司的全称", "统一社会信用代码是", "谢谢，已记录"]
        for person in people:
            texts = [s.text for s in api.to(person)]
            places = [[i for i, t in enumerate(texts) if fragment in t] for fragment in expected]
            assert all(len(found) == 1 for found in places), (person, texts)  # each once
            assert [found[0] for found in places] == sorted(found[0] for found in places), texts
    finally:
        await stop_all(running)
        await api.stop()
    engine = create_async_engine(postgres_database)
    try:
        async with engine.connect() as connection:
            tickets = (await connection.execute(text("SELECT count(*) FROM tickets"))).scalar_one()
            handled = (await connection.execute(text("SELECT count(*) FROM inbox WHERE done"))).scalar_one()
    finally:
        await engine.dispose()
    assert (tickets, handled) == (len(people), 3 * len(people))
