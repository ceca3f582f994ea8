"""Signed webhooks through the outbox, and the transfer round trip: a fake city platform
(tests/fake_city_platform.py) receives a transferred ticket, checks the signature, and closes it
back through the API; the enterprise is told in its chat."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.domain.outbox import DeliveryStatus
from tests.api.harness import BOSS, WANG, Api, running_api
from tests.api.test_api_contract import _inbound
from tests.fake_city_platform import CityPlatform
from tests.world import DEMAND

SECRET = "city-secret-0123456789"


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async with running_api(tmp_path) as running:
        yield running


@pytest.fixture
async def city() -> AsyncIterator[CityPlatform]:
    platform = CityPlatform(SECRET)
    await platform.start()
    try:
        yield platform
    finally:
        await platform.stop()


async def _open(api: Api, token: str) -> int:
    status, body, _ = await api.call("POST", "/tickets", token, {"enterprise_id": "xinyuan", "text": DEMAND})
    assert status == 201, body
    return int(body["number"])


async def test_a_ticket_s_life_reaches_the_subscriber_signed_and_in_order(
    api: Api, city: CityPlatform
) -> None:
    await api.subscribe(city.url, SECRET)
    token = await api.key("portal")
    number = await _open(api, token)
    await api.platform.wait_for(WANG, f"#{number}")
    for person, text, seen in [
        (WANG, f"/take {number}", "您已签收"),
        (WANG, f"/reply {number} 明天上门", "已将回复发送"),
        (WANG, f"/resolve {number} 已放款", "已答复"),
        (BOSS, f"/confirm {number}", "是否满意"),
        (BOSS, f"/rate {number} satisfied", "已办结"),
    ]:
        await api.runtime.accept(_inbound(person, text))
        await api.platform.wait_for(person, seen)
    expected = [
        "ticket.opened",
        "ticket.dispatched",
        "ticket.signed",
        "ticket.replied",
        "ticket.resolved",
        "ticket.closed",
    ]
    await city.wait_for(lambda: len(city.events(number)) >= len(expected))
    assert city.events(number) == expected
    assert city.refused == 0
    closed = city.deliveries[-1].body
    assert closed["ticket"]["status"] == "closed"
    assert closed["change"]["to_status"] == "closed"
    assert [int(d.id) for d in city.deliveries] == sorted(int(d.id) for d in city.deliveries)


async def test_a_transferred_ticket_is_closed_back_by_the_city_platform(api: Api, city: CityPlatform) -> None:
    await api.subscribe(city.url, SECRET, events=(), platform="city")
    portal = await api.key("portal")
    city_token = await api.key("city-platform", ("read", "write"))
    closed: list[dict[str, Any]] = []

    async def handle(payload: dict[str, Any]) -> None:
        """What the city platform does with a ticket handed to it: works it, then closes it back."""
        number = payload["ticket"]["number"]
        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"{api.base}/tickets/{number}/events",
                json={"type": "external_status", "text": "市平台已受理，协调住建、税务联办"},
                headers={"Authorization": f"Bearer {city_token}"},
            ) as response:
                assert response.status == 201
            async with http.post(
                f"{api.base}/tickets/{number}/close",
                json={"result": "经市平台协调，贷款已审批，本周放款"},
                headers={"Authorization": f"Bearer {city_token}"},
            ) as response:
                assert response.status == 200
                closed.append(await response.json())

    city.on_transfer = handle
    number = await _open(api, portal)
    status, ticket, _ = await api.call(
        "POST", f"/tickets/{number}/transfer", portal, {"platform": "city", "reason": "需多部门联办"}
    )
    assert (status, ticket["status"]) == (200, "in_progress")
    await city.wait_for(lambda: city.events(number) == ["ticket.transferred"])
    handed = city.deliveries[0].body
    assert handed["ticket"]["text"] == DEMAND
    assert handed["ticket"]["enterprise_id"] == "xinyuan"
    assert handed["change"]["note"] == "external:city 需多部门联办"
    # the enterprise is told the result in its chat and asked to confirm it, as after any answer
    await api.platform.wait_for(BOSS, "经市平台协调，贷款已审批，本周放款")
    assert closed[0]["status"] == "survey"
    _, read, _ = await api.call("GET", f"/tickets/{number}", portal)
    trail = [(e["action"], e["actor"]) for e in read["events"]]
    assert trail[2:] == [
        ("transfer", "api:portal"),
        ("note", "api:city-platform"),
        ("resolve", "api:city-platform"),
        ("start_survey", "api:city-platform"),
    ]
    # the platform subscribed to no event: it heard only of the ticket handed to it
    assert city.events() == ["ticket.transferred"]


async def test_a_subscriber_that_is_down_gets_every_event_once_it_is_back(
    api: Api, city: CityPlatform
) -> None:
    await api.subscribe(city.url, SECRET)
    await city.stop()  # the port is closed: connections are refused
    token = await api.key("portal")
    first = await _open(api, token)
    second = await _open(api, token)
    await api.platform.wait_for(WANG, f"#{second}")
    await api.runtime.accept(_inbound(WANG, f"/take {first}"))
    await api.platform.wait_for(WANG, f"您已签收工单 #{first}")
    await asyncio.sleep(1.0)  # several attempts fail meanwhile (the backoff here is 50 ms to 0.5 s)
    async with api.app.storage() as uow:
        waiting = await uow.webhooks.deliveries(failed_only=True)
    assert waiting, "the deliveries should have failed and be waiting"
    assert all(m.status is DeliveryStatus.PENDING for m in waiting)
    await city.start()  # back, on the same port
    await city.wait_for(lambda: len(city.deliveries) == 5)
    assert city.events(first) == ["ticket.opened", "ticket.dispatched", "ticket.signed"]
    assert city.events(second) == ["ticket.opened", "ticket.dispatched"]


async def test_a_delivery_the_subscriber_refuses_is_recorded_failed(api: Api, city: CityPlatform) -> None:
    await api.subscribe(city.url, "a-different-secret", events=("ticket.opened",))
    await _open(api, await api.key("portal"))
    async with asyncio.timeout(10):
        while True:  # the database is the only place the outcome shows
            async with api.app.storage() as uow:
                failed = await uow.webhooks.deliveries(failed_only=True)
            if failed and failed[0].status is DeliveryStatus.FAILED:
                break
            await asyncio.sleep(0.05)
    assert failed[0].last_error is not None
    assert "HTTP 401" in failed[0].last_error
    assert city.refused == 1  # refused for good: not tried again
    assert city.deliveries == []


async def test_a_published_policy_reaches_its_subscribers(api: Api, city: CityPlatform) -> None:
    await api.subscribe(city.url, SECRET, events=("policy.published",))
    token = await api.key("publisher", ("publish",))
    status, policy, _ = await api.call(
        "POST",
        "/policies",
        token,
        {"title": "贴息", "body": "可申请贴息。", "department_id": "finance_office"},
    )
    assert status == 201
    await city.wait_for(lambda: city.events() == ["policy.published"])
    assert city.deliveries[0].body["policy"]["id"] == policy["id"]
