"""The WeCom channel end to end, over real HTTP: WeCom's encrypted callbacks in (from the fake,
encrypting with wechatpy), WeCom's API out (to the fake), tickets worked in between."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestServer

from bot.bootstrap import App, build_app
from bot.config import Settings, load_settings
from bot.domain.messages import Attachment, Reply, ToDepartment, ToSender
from bot.domain.org import Directory
from tests.channels.wecom_runtime import WecomRun, wecom_running
from tests.conftest import ROOT
from tests.fake_wecom import AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN, Answer, FakeWecom, Sent
from tests.loopback import wait_for_sent

ENTREPRENEUR = "ZhangSan"  # staff of an enterprise who can reach the app
HEAD = "LinHui"  # lin_hui, head of the finance office
OFFICER = "WuBin"  # wu_bin, officer of the finance office
GROUP = "financeoffice"  # the finance office's app group chat
DEMAND = "我们公司急需一笔200万的流动资金贷款，下月发工资都困难了"


def wecom_document(api_base: str, **extra: Any) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    ids = {"lin_hui": HEAD, "wu_bin": OFFICER}
    for officer in document["officers"]:
        if officer["id"] in ids:
            officer["identities"] = {"wecom": ids[officer["id"]]}
    for department in document["departments"]:
        if department["id"] == "finance_office":
            department["chats"] = {"wecom": GROUP}
    document["channels"]["wecom"] = {
        "enabled": True,
        "corp_id": CORP_ID,
        "agent_id": AGENT_ID,
        "secret": SECRET,
        "token": TOKEN,
        "encoding_aes_key": AES_KEY,
        "api_base": api_base,
        **extra,
    }
    return document


def wecom_settings(tmp_path: Path, api_base: str, **extra: Any) -> Settings:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(wecom_document(api_base, **extra), allow_unicode=True), encoding="utf-8")
    return load_settings(config)


@dataclass
class Running:
    api: FakeWecom
    app: App
    run: WecomRun

    @property
    def url(self) -> str:
        return self.run.url

    async def says(self, user: str, text: str) -> None:
        answer = await self.api.member_sends(self.url, user, text)
        assert (answer.status, answer.text) == (200, "")


@asynccontextmanager
async def app_on_wecom(settings: Settings, database_url: str, api: FakeWecom) -> AsyncIterator[Running]:
    """The app on that database, its WeCom channel talking to the fake, until the block ends."""
    app = await build_app(settings, database_url)
    try:
        async with wecom_running(app.deps, settings.channels.wecom) as run:
            yield Running(api, app, run)
    finally:
        await app.close()


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    api = FakeWecom()
    await api.start()
    settings = wecom_settings(tmp_path, api.base)
    try:
        async with app_on_wecom(settings, f"sqlite+aiosqlite:///{tmp_path / 'wecom.db'}", api) as running:
            yield running
    finally:
        await api.stop()


async def ticket_count(running: Running) -> int:
    async with running.app.deps.storage() as uow:
        count = 0
        while await uow.tickets.get(count + 1) is not None:
            count += 1
        return count


async def test_demand_to_group_chat_to_take_reply_and_survey(running: Running) -> None:
    api = running.api
    await running.says(ENTREPRENEUR, DEMAND)
    ack = await api.wait_text(ENTREPRENEUR, "工单号 #1")
    # no buttons in app messages: the acknowledgement's buttons are numbered choices
    assert "回复数字即可选择：\n1. 补充信息\n2. 催办\n3. 撤回" in ack.content
    # the department's group chat did not exist: it is created with its officers, then posted to
    notice = await api.wait_text(GROUP, "新工单 #1")
    assert api.chats[GROUP]["owner"] == HEAD
    assert sorted(api.chats[GROUP]["userlist"]) == [HEAD, OFFICER]
    assert notice.content.count("/take 1") == 1  # the notice says it; the button is not repeated
    assert ("appchat/send", 86003) in api.refused

    await api.wait_text(ENTREPRENEUR, "贵公司的全称")
    await running.says(ENTREPRENEUR, "厦门鹭江精工机械有限公司")
    await api.wait_text(ENTREPRENEUR, "统一社会信用代码是")
    await running.says(ENTREPRENEUR, "91350206MA2Y3K8P13")
    await api.wait_text(ENTREPRENEUR, "谢谢，已记录")

    # the acknowledgement's numbered menu was followed by questions: a bare number is not read as
    # one of its old choices (here "2" would have urged the ticket)
    await running.says(ENTREPRENEUR, "2")
    await api.wait_text(ENTREPRENEUR, "没有看懂")
    async with running.app.deps.storage() as uow:
        ticket = await uow.tickets.get(1)
    assert ticket is not None
    assert ticket.urge_count == 0
    await running.says(ENTREPRENEUR, "/info 1 明天上午厂里有人")
    await api.wait_text(GROUP, "📎 企业为工单 #1 补充信息：明天上午厂里有人")

    await running.says(HEAD, "/take 1")
    await api.wait_text(HEAD, "您已签收工单 #1")
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
    assert await ticket_count(running) == 1


async def test_officers_without_a_group_chat_are_told_privately(tmp_path: Path) -> None:
    api = FakeWecom()
    await api.start()
    settings = wecom_settings(tmp_path, api.base)
    app = await build_app(settings, f"sqlite+aiosqlite:///{tmp_path / 'private.db'}")
    try:
        without_group_chats(app.deps.directory)
        async with wecom_running(app.deps, settings.channels.wecom) as run:
            await api.member_sends(run.url, ENTREPRENEUR, DEMAND)
            await api.wait_text(HEAD, "新工单 #1")
            await api.wait_text(OFFICER, "新工单 #1")
            assert api.chats == {}
    finally:
        await app.close()
        await api.stop()


def without_group_chats(directory: Directory) -> None:
    """The departments as if none had a group chat (they come from the config's bootstrap)."""
    directory.departments = {key: replace(d, chats={}) for key, d in directory.departments.items()}


PNG = b"\x89PNG\r\n\x1a\n"


async def wait_media(api: FakeWecom, recipient: str, within: float = 30.0) -> list[Sent]:
    """The image and file messages sent to that member or chat, once there is one."""
    deadline = time.monotonic() + within
    while not (found := [s for s in api.to(recipient) if s.media is not None]):
        if time.monotonic() > deadline:
            raise AssertionError(f"no image or file to {recipient}; sent: {[s.msgtype for s in api.sent]}")
        await asyncio.sleep(0.05)
    return found


async def test_a_report_asked_for_in_wecom_comes_with_its_chart(running: Running) -> None:
    """/report from the head: the summary, then the chart's caption and the chart itself as an
    image message, uploaded to WeCom as temporary media."""
    api = running.api
    await running.says(HEAD, "/report")
    [chart] = await wait_media(api, HEAD)
    assert (chart.kind, chart.msgtype, chart.content) == ("user", "image", "report.png")
    assert chart.media is not None
    assert chart.media.startswith(PNG)
    texts = [s.content for s in api.to(HEAD) if s.msgtype == "text"]
    assert any("响应率" in text for text in texts)  # the summary
    assert api.calls.count("media/upload") == 1


async def test_an_attachment_is_uploaded_once_for_all_its_recipients(running: Running) -> None:
    """A department without a group chat hears privately: one upload, an image to each officer;
    a document goes as a file; with the group chat, the chat gets it."""
    picture = Attachment("chart.png", PNG + b"picture")
    await running.run.say([Reply("图表", to=ToDepartment("finance_office"), attachment=picture)])
    api = running.api
    # the group chat is created for the text, then carries the picture
    [in_group] = await wait_media(api, GROUP)
    assert (in_group.msgtype, in_group.media) == ("image", PNG + b"picture")

    without_group_chats(running.app.deps.directory)  # now without a group chat: each officer privately
    sheet = Attachment("report.xlsx", b"PK\x03\x04 workbook", kind="document")
    await running.run.say([Reply("报表", to=ToDepartment("finance_office"), attachment=sheet)])
    for officer in (HEAD, OFFICER):
        [file] = await wait_media(api, officer)
        assert (file.msgtype, file.content, file.media) == ("file", "report.xlsx", b"PK\x03\x04 workbook")
    assert api.calls.count("media/upload") == 2


async def test_a_refused_upload_leaves_the_text_delivered(running: Running) -> None:
    api = running.api
    api.fail("media/upload", 40004)
    await running.run.say([Reply("图表说明", to=ToSender(), attachment=Attachment("c.png", PNG))], HEAD)
    await api.wait_text(HEAD, "图表说明")
    await api.wait_until_calls("media/upload", 1)  # the text and the upload need not come in order
    assert ("media/upload", 40004) in api.refused
    assert [s for s in api.to(HEAD) if s.media is not None] == []
    # an image WeCom cannot show is refused by WeCom itself, and is not retried
    await running.run.say([Reply("再试", to=ToSender(), attachment=Attachment("c.png", b"GIF89a..."))], HEAD)
    await api.wait_text(HEAD, "再试")
    await api.wait_until_calls("media/upload", 2)
    assert ("media/upload", 40005) in api.refused
    assert api.calls.count("media/upload") == 2


async def test_menu_clicks_are_commands(running: Running) -> None:
    api = running.api
    answer = await api.member_clicks(running.url, ENTREPRENEUR, "/status")
    assert answer.status == 200
    await api.wait_text(ENTREPRENEUR, "您还没有提交过诉求")
    await api.member_clicks(running.url, ENTREPRENEUR, "ent:urge:99")  # a button key: checked like one
    await api.wait_text(ENTREPRENEUR, "#99")


async def test_url_verification(running: Running) -> None:
    answer = await running.api.verify_url(running.url, "6237895163258321741")
    assert (answer.status, answer.text) == (200, "6237895163258321741")
    forged = await running.api.verify_url(running.url, "6237895163258321741", token="SomeoneElse")
    assert forged.status == 403


async def nothing_sent(running: Running) -> None:
    await asyncio.sleep(0.3)
    assert running.api.sent == []
    assert await ticket_count(running) == 0


async def test_a_forged_signature_is_refused(running: Running) -> None:
    api = running.api
    query, body = api.callback(api.text_xml(ENTREPRENEUR, DEMAND), token="GuessedToken")
    assert (await api.post(running.url, query, body)).status == 403
    query, body = api.callback(api.text_xml(ENTREPRENEUR, DEMAND))
    query["msg_signature"] = "0" * 40
    assert (await api.post(running.url, query, body)).status == 403
    await nothing_sent(running)


async def test_a_message_for_another_corp_is_refused(running: Running) -> None:
    api = running.api
    query, body = api.callback(api.text_xml(ENTREPRENEUR, DEMAND), corp_id="wwSomeOtherCorp00001")
    assert (await api.post(running.url, query, body)).status == 403
    await nothing_sent(running)


async def test_an_old_timestamp_is_refused(running: Running) -> None:
    api = running.api
    query, body = api.callback(api.text_xml(ENTREPRENEUR, DEMAND), timestamp=int(time.time()) - 3600)
    assert (await api.post(running.url, query, body)).status == 403
    await nothing_sent(running)


async def test_malformed_xml_is_refused(running: Running) -> None:
    api = running.api
    query, _ = api.callback(api.text_xml(ENTREPRENEUR, DEMAND))
    assert (await api.post(running.url, query, b"<xml><Encrypt>abc</Encr")).status == 400
    assert (await api.post(running.url, query, b"<xml><ToUserName>x</ToUserName></xml>")).status == 400
    bomb = b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaa">]><xml><Encrypt>&a;</Encrypt></xml>'
    assert (await api.post(running.url, query, bomb)).status == 400
    await nothing_sent(running)


async def test_a_control_character_in_a_message_is_dropped_and_the_message_answered(
    running: Running,
) -> None:
    """A member's text with a character XML 1.0 forbids (pasted from somewhere, \\x01) decrypts
    to XML that does not parse: the character goes, the message is kept and answered."""
    api = running.api
    typed = DEMAND[:6] + "\x01" + DEMAND[6:] + "\x1f\x0b"
    assert (await api.member_sends(running.url, ENTREPRENEUR, typed)) == Answer(200, "")
    await api.wait_text(ENTREPRENEUR, "工单号 #1")
    async with running.app.deps.storage() as uow:
        ticket = await uow.tickets.get(1)
    assert ticket is not None
    assert ticket.text == DEMAND


async def test_an_oversize_body_is_refused(running: Running) -> None:
    api = running.api
    query, body = api.callback(api.text_xml(ENTREPRENEUR, DEMAND))
    padded = body.replace(b"</xml>", b"<Padding>" + b"x" * 70_000 + b"</Padding></xml>")
    assert (await api.post(running.url, query, padded)).status == 413
    await nothing_sent(running)


async def test_a_repeated_request_and_a_retried_message_are_handled_once(running: Running) -> None:
    api = running.api
    inner = api.text_xml(ENTREPRENEUR, DEMAND)
    query, body = api.callback(inner)
    assert (await api.post(running.url, query, body)).status == 200
    # WeCom's retry may be the same request or carry a new nonce: either way 200 (else WeCom
    # retries again) and handled once
    assert (await api.post(running.url, query, body)) == Answer(200, "")
    assert (await api.post(running.url, *api.callback(inner))).status == 200
    await api.wait_text(ENTREPRENEUR, "工单号 #1")
    await running.says(ENTREPRENEUR, "/status")
    await api.wait_text(ENTREPRENEUR, "您的诉求（1 件）")
    assert await ticket_count(running) == 1
    assert len([s for s in api.to(ENTREPRENEUR) if "工单号" in s.content]) == 1


async def test_a_request_not_kept_is_handled_when_wecom_sends_it_again(
    running: Running, tmp_path: Path
) -> None:
    """WeCom retries a request it got no 200 for; nothing says the retry has a new nonce."""
    api = running.api
    query, body = api.callback(api.text_xml(ENTREPRENEUR, DEMAND))
    holder = sqlite3.connect(tmp_path / "wecom.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program writing: the message cannot be kept
    try:
        assert (await api.post(running.url, query, body)).status == 500
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert (await api.post(running.url, query, body)) == Answer(200, "")  # the same request again
    await api.wait_text(ENTREPRENEUR, "工单号 #1")
    assert (await api.post(running.url, query, body)) == Answer(200, "")  # and once more: kept already
    await asyncio.sleep(0.3)
    assert await ticket_count(running) == 1
    assert len([s for s in api.to(ENTREPRENEUR) if "工单号" in s.content]) == 1


async def test_other_message_kinds_are_answered_and_events_ignored(running: Running) -> None:
    api = running.api
    image = api.text_xml(ENTREPRENEUR, "").replace("<![CDATA[text]]>", "<![CDATA[image]]>")
    assert (await api.post(running.url, *api.callback(image))).status == 200
    await api.wait_text(ENTREPRENEUR, "只能读懂文字消息")
    entered = api.click_xml(ENTREPRENEUR, "").replace("<![CDATA[click]]>", "<![CDATA[enter_agent]]>")
    assert (await api.post(running.url, *api.callback(entered))).status == 200
    await asyncio.sleep(0.3)
    assert len(api.to(ENTREPRENEUR)) == 1


async def test_a_message_of_a_kind_nobody_knew_of_is_answered_too(running: Running) -> None:
    """Kinds besides WeCom's documented six (a mini program card, a mixed message) are messages a
    member sent: they are answered, not dropped in silence as events are."""
    api = running.api
    for kind in ("miniprogram", "mixed"):
        odd = api.text_xml(ENTREPRENEUR, "").replace("<![CDATA[text]]>", f"<![CDATA[{kind}]]>")
        assert (await api.post(running.url, *api.callback(odd))).status == 200
    await wait_for_sent(lambda: api.to(ENTREPRENEUR)[1:], lambda: f"the bot sent {api.sent}", 15)
    assert all("只能读懂文字消息" in s.content for s in api.to(ENTREPRENEUR))
    assert await ticket_count(running) == 0


@pytest.mark.parametrize("lost", ["expire_tokens", "revoke_tokens"])
async def test_a_stale_token_is_fetched_again_once(running: Running, lost: str) -> None:
    api = running.api
    await running.says(ENTREPRENEUR, "/help")
    await api.wait_text(ENTREPRENEUR, "/status")
    assert api.token_requests == 1
    getattr(api, lost)()  # 42001 expired, or 40014 never valid
    await running.says(ENTREPRENEUR, "/status")
    await api.wait_text(ENTREPRENEUR, "您还没有提交过诉求")
    assert api.token_requests == 2
    # refused once, whichever call saw it first (the member's user/get, for binding by mobile)
    assert [code for _, code in api.refused if code in (40014, 42001)] == [
        42001 if lost == "expire_tokens" else 40014
    ]


async def test_a_token_refused_twice_is_not_fetched_forever(running: Running) -> None:
    api = running.api
    api.fail("message/send", 42001, 42001)
    await running.says(ENTREPRENEUR, "/help")
    await api.wait_until_calls("message/send", 2)
    await asyncio.sleep(0.3)
    assert api.calls.count("message/send") == 2
    assert api.token_requests == 2
    assert api.sent == []
    await running.says(ENTREPRENEUR, "/status")  # the bot is still there
    await api.wait_text(ENTREPRENEUR, "您还没有提交过诉求")


async def test_callback_mounts_on_the_telegram_webhook_server(tmp_path: Path) -> None:
    """One web server carries both channels' routes and /healthz, as `xiaoer run` serves them."""
    from aiohttp import ClientSession

    from bot.channels.telegram.plugin import plug_bot as plug_telegram
    from bot.channels.wecom.plugin import plug_app as plug_wecom
    from bot.runtime.runtime import Runtime
    from bot.runtime.web import web_app

    api = FakeWecom()
    await api.start()
    settings = wecom_settings(tmp_path, api.base)
    app = await build_app(settings, f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}")
    runtime = Runtime.build(app.deps)
    telegram = plug_telegram(runtime, "123456:TEST-TOKEN", "http://127.0.0.1:9")
    wecom = plug_wecom(runtime, settings.channels.wecom)
    routes = web_app(
        [lambda web: telegram.add_routes(web, "/telegram/hook", "s3cret-token"), wecom.add_routes]
    )
    server = TestServer(routes, host="127.0.0.1")
    await server.start_server()
    try:
        answer = await api.verify_url(str(server.make_url("/wecom/callback")), "42")
        assert (answer.status, answer.text) == (200, "42")
        async with ClientSession() as http, http.get(server.make_url("/healthz")) as health:
            assert health.status == 200
    finally:
        await server.close()
        await runtime.close()
        await wecom.close()
        await telegram.close()
        await app.close()
        await api.stop()
