"""The DingTalk channel end to end, over real HTTP: the robot's signed callbacks in (from the fake,
signing with its own HMAC), DingTalk's API and session webhooks out (to the fake), tickets worked
in between; the channel plugged in by the runtime from its config section alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from bot.bootstrap import App, build_app
from bot.config import Settings, load_settings
from tests.channels.dingtalk_runtime import DingtalkRun, dingtalk_running
from tests.conftest import ROOT
from tests.fake_dingtalk import APP_SECRET, FakeDingtalk, Sent, channel_section, signature, wall_ms
from tests.loopback import wait_for_sent

ENTREPRENEUR = "zhangsan01"  # staff id of an enterprise's person in the organisation
HEAD = "linhui01"  # lin_hui, head of the finance office
OFFICER = "wubin01"  # wu_bin, officer of the finance office
FINANCE_GROUP = "cidFinanceOfficeGroup=="  # the finance office's group conversation
DEMAND = "我们公司急需一笔200万的流动资金贷款，下月发工资都困难了"


def dingtalk_document(api_base: str, **extra: Any) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    ids = {"lin_hui": HEAD, "wu_bin": OFFICER}
    for officer in document["officers"]:
        if officer["id"] in ids:
            officer["identities"] = {"dingtalk": ids[officer["id"]]}
    for department in document["departments"]:
        if department["id"] == "finance_office":
            department["chats"] = {"dingtalk": FINANCE_GROUP}
    document["channels"]["dingtalk"] = channel_section(api_base, **extra)
    return document


def dingtalk_settings(tmp_path: Path, document: dict[str, Any]) -> Settings:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return load_settings(config)


@dataclass
class Running:
    api: FakeDingtalk
    app: App
    run: DingtalkRun

    async def says(self, user: str, text: str, **options: Any) -> None:
        answer = await self.api.user_sends(self.run.url, user, text, **options)
        assert answer.status == 200, answer


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    api = FakeDingtalk(members={ENTREPRENEUR, HEAD, OFFICER}, groups={FINANCE_GROUP})
    await api.start()
    settings = dingtalk_settings(tmp_path, dingtalk_document(api.base))
    app = await build_app(settings, f"sqlite+aiosqlite:///{tmp_path / 'dingtalk.db'}")
    try:
        async with dingtalk_running(app.deps, settings) as run:
            yield Running(api, app, run)
    finally:
        await app.close()
        await api.stop()


async def ticket_numbers(running: Running) -> list[int]:
    """The numbers of the tickets opened so far (numbered from 1, none missing)."""
    async with running.app.deps.storage() as uow:
        numbers = list(range(1, 10))
        return [n for n in numbers if await uow.tickets.get(n) is not None]


async def test_demand_to_group_to_officer_reply_and_survey(running: Running) -> None:
    api = running.api
    await running.says(ENTREPRENEUR, DEMAND)
    ack = await api.wait_text(ENTREPRENEUR, "工单号 #1")
    assert ack.via == "session"  # answered through the message's session webhook
    assert "回复数字即可选择：\n1. 补充信息\n2. 催办\n3. 撤回" in ack.content
    # nobody wrote in the department's group: the app robot posts there through the send API
    notice = await api.wait_text(FINANCE_GROUP, "新工单 #1")
    assert notice.via == "group"
    assert notice.content.count("/take 1") == 1  # the notice says it; the button is not repeated

    await api.wait_text(ENTREPRENEUR, "贵公司的全称")
    await running.says(ENTREPRENEUR, "厦门鹭江精工机械有限公司")
    await api.wait_text(ENTREPRENEUR, "统一社会信用代码是")
    await running.says(ENTREPRENEUR, "91350206MA2Y3K8P13")
    await api.wait_text(ENTREPRENEUR, "谢谢，已记录")

    # the head takes the ticket in the group, @-ing the robot: the answer stays in the group
    await running.says(HEAD, "/take 1", group=FINANCE_GROUP)
    taken = await api.wait_text(FINANCE_GROUP, "您已签收工单 #1")
    assert taken.via == "session"
    await api.wait_text(ENTREPRENEUR, "签收办理")
    await running.says(HEAD, "/reply 1 您好，已对接建设银行，请准备近三个月流水")
    await api.wait_text(ENTREPRENEUR, "已对接建设银行，请准备近三个月流水")

    await running.says(HEAD, "/resolve 1 建设银行已审批，本周放款")
    result = await api.wait_text(ENTREPRENEUR, "建设银行已审批")
    assert "回复数字即可选择：\n1. 已解决\n2. 部分解决\n3. 未解决" in result.content
    await running.says(ENTREPRENEUR, "1")  # resolved
    await api.wait_text(ENTREPRENEUR, "是否满意")
    await running.says(ENTREPRENEUR, "1")  # satisfied
    await api.wait_text(ENTREPRENEUR, "已办结")
    assert await ticket_numbers(running) == [1]
    async with running.app.deps.storage() as uow:
        ticket = await uow.tickets.get(1)
    assert ticket is not None
    assert ticket.status.value == "closed"


async def test_an_expired_session_webhook_falls_back_to_the_send_api(running: Running) -> None:
    api = running.api
    await running.says(ENTREPRENEUR, "/help")
    first = await api.wait_text(ENTREPRENEUR, "/")
    assert first.via == "session"
    # DingTalk ends the session before the time it stated: refused, so the send API says it
    api.expire_sessions()
    await running.says(ENTREPRENEUR, "/lang en", session_lifetime_ms=0)  # a message with no valid webhook
    switched = await api.wait_text(ENTREPRENEUR, "English")
    assert switched.via == "user"
    # the refused webhook is not used again, and one about to end is not tried at all
    sessions = api.calls.count("session")
    await running.says(ENTREPRENEUR, "/help", session_lifetime_ms=30_000)
    helped = await _until(api, ENTREPRENEUR, 3)
    assert helped[-1].via == "user"
    assert api.calls.count("session") == sessions


async def _until(api: FakeDingtalk, recipient: str, count: int) -> list[Sent]:
    """What the bot said to `recipient`, once it has said `count` things."""
    return await wait_for_sent(
        lambda: [api.to(recipient)] if len(api.to(recipient)) >= count else [],
        lambda: f"{recipient} got {len(api.to(recipient))} messages, not {count}",
        within=15.0,
    )


async def test_forged_and_stale_signatures_are_refused(running: Running) -> None:
    api, url = running.api, running.run.url
    forged = await api.post(url, api.message(ENTREPRENEUR, DEMAND), secret="not-the-app-secret")
    assert forged.status == 401
    stale = await api.post(url, api.message(ENTREPRENEUR, DEMAND), timestamp_ms=wall_ms() - 2 * 3600 * 1000)
    assert stale.status == 403
    unsigned = await api.post(url, api.message(ENTREPRENEUR, DEMAND), headers={})
    assert unsigned.status == 401
    # a correctly signed message still gets in: the refusals were for the signatures alone
    await running.says(ENTREPRENEUR, DEMAND)
    await api.wait_text(ENTREPRENEUR, "工单号 #1")
    assert await ticket_numbers(running) == [1]


async def test_odd_signature_headers_are_refused_not_crashed_on(running: Running) -> None:
    api, url = running.api, running.run.url
    message = api.message(ENTREPRENEUR, DEMAND)
    timestamp = str(wall_ms())
    for headers in (
        {"timestamp": timestamp, "sign": "签名" + signature(APP_SECRET, timestamp)},  # not ASCII
        {"timestamp": "²", "sign": signature(APP_SECRET, "²")},  # a digit to isdigit(), not to int()
    ):
        refused = await api.post(url, message, headers=headers)
        assert (refused.status, refused.text) == (401, "refused"), headers
    assert await ticket_numbers(running) == []


async def test_a_session_webhook_elsewhere_than_dingtalk_is_not_used(running: Running) -> None:
    """The signature covers the timestamp, not the body: a body naming another server's webhook
    must not carry the conversation's replies there."""
    api = running.api
    elsewhere = FakeDingtalk(members={ENTREPRENEUR})
    await elsewhere.start()
    try:
        assert (await api.post(running.run.url, elsewhere.message(ENTREPRENEUR, DEMAND))).status == 200
        await api.wait_text(ENTREPRENEUR, "工单号 #1")  # through the send API instead
        assert elsewhere.to(ENTREPRENEUR) == []
    finally:
        await elsewhere.stop()


async def test_a_signed_body_that_cannot_be_read_is_a_400(running: Running) -> None:
    """The signature covers the timestamp, not the body: a body nested thousands deep (within the
    64 KiB) was a RecursionError, a 500 that asks DingTalk to send it again."""
    timestamp = str(wall_ms())
    signed = {"timestamp": timestamp, "sign": signature(APP_SECRET, timestamp)}
    async with aiohttp.ClientSession() as http:
        for body in (b"{not json", b"[" * 60_000):
            async with http.post(running.run.url, data=body, headers=signed) as answer:
                assert (answer.status, await answer.text()) == (400, "malformed")


async def test_a_delivery_sent_twice_is_handled_once(running: Running) -> None:
    api = running.api
    message = api.message(ENTREPRENEUR, DEMAND)
    assert (await api.post(running.run.url, message)).status == 200
    assert (await api.post(running.run.url, message)).status == 200  # DingTalk's retry, same msgId
    await api.wait_text(ENTREPRENEUR, "工单号 #1")
    await api.wait_text(ENTREPRENEUR, "贵公司的全称")
    assert await ticket_numbers(running) == [1]


async def test_a_picture_is_answered_text_only(running: Running) -> None:
    api = running.api
    await running.says(ENTREPRENEUR, "", msgtype="picture")
    [answer] = await _until(api, ENTREPRENEUR, 1)
    assert answer.content
    assert await ticket_numbers(running) == []


async def test_a_report_comes_with_its_chart_as_an_image_message(running: Running) -> None:
    """The chart follows the report's text as an image: uploaded to DingTalk first, then sent by
    the app robot (a session webhook cannot carry a file)."""
    api = running.api
    await running.says(HEAD, "/report")
    await api.wait_text(HEAD, "工单")  # the report's text, through the session webhook
    chart = await api.wait_text(HEAD, "image:")
    assert chart.via == "user"
    assert chart.msg_key == "sampleImageMsg"
    [(kind, name, data)] = api.media.values()
    assert kind == "image"
    assert chart.content == f"image:{name}"
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert api.refused == []


async def test_a_refused_token_on_upload_is_fetched_again_once(running: Running) -> None:
    api = running.api
    await running.says(HEAD, "/report")
    await api.wait_text(HEAD, "工单")
    await api.wait_text(HEAD, "image:")
    api.expire_tokens()  # DingTalk forgets the token the bot holds
    await running.says(HEAD, "/report")
    await wait_for_sent(
        lambda: [s for s in api.to(HEAD) if s.msg_key == "sampleImageMsg"][1:],
        lambda: f"no second chart; sent {api.to(HEAD)}, refused {api.refused}",
        15.0,
    )
    assert ("upload", "40014") in api.refused
    assert api.token_requests == 2
