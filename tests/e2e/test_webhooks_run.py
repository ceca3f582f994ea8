"""`xiaoer run` with the API enabled, a fake Bot API and a fake city platform (both on 127.0.0.1):
the keys and the subscription are made with `xiaoer apikey create` and `xiaoer webhook add`; a
ticket is transferred to the city platform, which checks the signature and closes it back
through the API, and the entrepreneur is told on Telegram. Then the platform goes down for a
minute while demands keep coming, the bot is SIGKILLed and started again meanwhile, and once the
platform is back every event has arrived at least once, in order per ticket, none lost."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import aiohttp

from bot.bootstrap import build_app
from bot.config import load_settings
from bot.domain.outbox import DeliveryStatus
from bot.domain.webhooks import event_name
from tests.channels.test_telegram import write_config
from tests.fake_city_platform import CityPlatform
from tests.fake_telegram import FakeBotApi
from tests.processes import XIAOER, environment, free_port, healthy

DEMAND = "我们公司急需一笔200万的流动资金贷款，下月发工资都困难了"
FIRST = 820_001
DOWN_SECONDS = 60.0  # the platform is really down (its port closed) this long


async def _cli(env: dict[str, str], *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        XIAOER, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def _run(env: dict[str, str], database: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        XIAOER,
        "run",
        "--allow-unreachable",  # the config reaches only the finance office on Telegram
        "--database",
        database,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_transfer_round_trip_and_deliveries_through_an_outage_and_a_kill(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    database = f"sqlite+aiosqlite:///{tmp_path / 'hooks.db'}"
    telegram = FakeBotApi()
    await telegram.start()
    port = free_port()
    env = environment(
        telegram,
        config,
        XIAOER_API__ENABLED="true",
        XIAOER_API__PORT=str(port),
        XIAOER_API__WEBHOOK_BACKOFF_SECONDS="0.2",
        XIAOER_API__WEBHOOK_BACKOFF_MAX_SECONDS="2",
    )
    portal = await _cli(env, "apikey", "create", "--name", "portal", "--scopes", "read,write", "-d", database)
    portal_token = portal.strip().splitlines()[-1]
    city_token = (
        (
            await _cli(
                env,
                "apikey",
                "create",
                "--name",
                "city",
                "--scopes",
                "read,write",
                "--rate",
                "600",
                "-d",
                database,
            )
        )
        .strip()
        .splitlines()[-1]
    )
    city = CityPlatform("")
    await city.start()
    added = await _cli(
        env, "webhook", "add", city.url, "--events", "*", "--external-platform", "city", "-d", database
    )
    city.secret = added.strip().splitlines()[-1]
    base = f"http://127.0.0.1:{port}/api/v1"

    async def close_back(payload: dict[str, Any]) -> None:
        number = payload["ticket"]["number"]
        headers = {"Authorization": f"Bearer {city_token}"}
        async with (
            aiohttp.ClientSession(headers=headers) as http,
            http.post(f"{base}/tickets/{number}/close", json={"result": "市平台已协调办结"}) as answer,
        ):
            assert answer.status == 200, await answer.text()

    city.on_transfer = close_back
    process = await _run(env, database)
    try:
        await healthy(port)
        # the round trip: a demand from Telegram, handed to the city platform, closed back from it
        await telegram.user_sends(FIRST, DEMAND)
        await telegram.wait_text(FIRST, "工单号 #1", within=60)
        transfer = {"platform": "city", "reason": "需市级多部门联办"}
        async with (
            aiohttp.ClientSession(headers={"Authorization": f"Bearer {portal_token}"}) as http,
            http.post(f"{base}/tickets/1/transfer", json=transfer) as answer,
        ):
            assert answer.status == 200, await answer.text()
        await telegram.wait_text(FIRST, "市平台已协调办结", within=60)
        await city.wait_for(lambda: "ticket.transferred" in city.events(1), 30)
        assert city.refused == 0

        # the outage: the platform's port closed for DOWN_SECONDS; demands keep coming; a SIGKILL
        await city.stop()
        down_since = asyncio.get_running_loop().time()
        for person in range(FIRST + 1, FIRST + 6):
            await telegram.user_sends(person, DEMAND)
        for person in range(FIRST + 1, FIRST + 6):
            await telegram.wait_text(person, "工单号", within=60)
        await asyncio.sleep(3)  # deliveries fail and wait to be retried
        process.send_signal(signal.SIGKILL)
        await process.wait()
        await telegram.user_sends(FIRST + 6, DEMAND)  # arrives while the bot is down too
        process = await _run(env, database)
        await healthy(port)
        await telegram.wait_text(FIRST + 6, "工单号", within=60)
        await asyncio.sleep(max(DOWN_SECONDS - (asyncio.get_running_loop().time() - down_since), 0))
        await city.start()

        settings = load_settings(config)

        async def all_sent() -> list[Any]:
            app = await build_app(settings, database, load_nlu=False)
            try:
                async with app.storage() as uow:
                    return await uow.webhooks.deliveries(limit=1000)
            finally:
                await app.close()

        async with asyncio.timeout(90):
            # the database is where a delivery's outcome shows: looked at every half second
            while any(m.status is not DeliveryStatus.SENT for m in await all_sent()):  # noqa: ASYNC110
                await asyncio.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await city.stop()
        await telegram.stop()

    rows = sorted(await all_sent(), key=lambda m: m.id or 0)
    assert {str(m.id) for m in rows} == {d.id for d in city.deliveries}  # every one arrived
    app = await build_app(settings, database, load_nlu=False)
    try:
        async with app.storage() as uow:
            for number in range(1, 8):
                trail = [event_name(e) for e in await uow.events.for_ticket(number)]
                # in order per ticket: what the audit log says happened, as the platform heard it
                assert city.events(number) == [name for name in trail if name is not None], number
    finally:
        await app.close()
    assert len(city.events(7)) >= 2  # the demand that came while the bot was killed
    assert city.received >= len(city.deliveries)  # repeats (in doubt) are dropped by the delivery id
