"""The Telegram channel end to end, over real HTTP against a fake Bot API server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from bot.bootstrap import App, build_app
from bot.channels.telegram.adapter import split_text
from bot.config import load_settings
from bot.runtime.web import web_app
from tests.channels.telegram_runtime import TelegramRun, telegram_running
from tests.conftest import ROOT
from tests.fake_telegram import FakeBotApi, Sent

ENTREPRENEUR = 5001
HEAD = 9001  # lin_hui, head of the finance office
STRANGER = 6666
GROUP = -100100  # the finance office's officer group
DEMAND = "我们公司急需一笔200万的流动资金贷款，下月发工资都困难了 <b>急</b> & 谢谢"


@dataclass
class Running:
    api: FakeBotApi
    app: App
    run: TelegramRun


def write_config(
    directory: Path, officers: dict[str, int] | None = None, groups: dict[str, int] | None = None
) -> Path:
    """The shipped config, with officers and department groups on Telegram (by default the finance
    office's head and group)."""
    officers = {"lin_hui": HEAD} if officers is None else officers
    groups = {"finance_office": GROUP} if groups is None else groups
    document = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    for officer in document["officers"]:
        if officer["id"] in officers:
            officer["identities"] = {"telegram": officers[officer["id"]]}
    for department in document["departments"]:
        if department["id"] in groups:
            department["chats"] = {"telegram": groups[department["id"]]}
    config = directory / "config.yaml"
    config.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return config


@asynccontextmanager
async def telegram_world(tmp_path: Path, *, configured_groups: bool = True) -> AsyncIterator[Running]:
    """The shipped config on Telegram against a fake Bot API; `configured_groups`: the adapter is
    given the departments' groups from the config, else it reads them from the directory as it
    is now (as `xiaoer run` does)."""
    settings = load_settings(write_config(tmp_path))
    api = FakeBotApi()
    await api.start()
    app = await build_app(settings, f"sqlite+aiosqlite:///{tmp_path / 'tg.db'}")
    groups = {d.id: int(d.chats["telegram"]) for d in settings.departments if "telegram" in d.chats}
    try:
        async with telegram_running(app.deps, api, groups if configured_groups else None) as run:
            yield Running(api, app, run)
    finally:
        await app.close()
        await api.stop()


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    async with telegram_world(tmp_path) as world:
        yield world


def last(sent: list[Sent]) -> Sent:
    assert sent, "nothing was sent there"
    return sent[-1]


async def test_demand_to_group_post_to_reply_to_survey_to_closed(running: Running) -> None:
    api = running.api
    await api.user_sends(ENTREPRENEUR, DEMAND)
    ack = await api.wait_text(ENTREPRENEUR, "工单号 #1")
    assert [data for _, data in ack.buttons] == ["ent:info:1", "ent:urge:1", "ent:withdraw:1"]
    post = await api.wait_text(GROUP, "新工单 #1")
    assert "&lt;b&gt;急&lt;/b&gt; &amp; 谢谢" in post.text  # user text is escaped for HTML
    assert post.buttons == [("签收", "cmd:take:1")]
    # an unverified sender is asked about its company, one question at a time
    await api.wait_text(ENTREPRENEUR, "贵公司的全称")
    await api.user_sends(ENTREPRENEUR, "厦门鹭江精工机械有限公司")
    await api.wait_text(ENTREPRENEUR, "统一社会信用代码是")
    await api.user_sends(ENTREPRENEUR, "91350206MA2Y3K8P13")
    await api.wait_text(ENTREPRENEUR, "谢谢，已记录")

    await api.user_presses(HEAD, post, "cmd:take:1")
    await api.wait_text(GROUP, "您已签收工单 #1")
    await api.wait_text(ENTREPRENEUR, "签收办理")
    # the post itself now says who handles it, edited in place, with the next steps instead of
    # signing for it; each answers with the command to send
    await api.wait_until(
        lambda: "[已签收]" in post.text and "林慧 · 区金融工作办公室" in post.text, "post edited"
    )
    assert post.buttons == [
        ("请企业补充", "cmd:guide:ask:1"),
        ("转办", "cmd:guide:transfer:1"),
        ("办结", "cmd:guide:resolve:1"),
    ]
    await api.user_presses(HEAD, post, "cmd:guide:transfer:1")
    await api.wait_text(GROUP, "请发送 /transfer 1 部门 原因")
    await api.wait_text(GROUP, "企业自报：名称 厦门鹭江精工机械有限公司，统一社会信用代码 91350206MA2Y3K8P13")

    # replying to the ticket's post in the group answers the enterprise: no command, no number
    await api.user_sends(HEAD, "您好，已对接建设银行", chat_id=GROUP, reply_to=post.message_id)
    answer = await api.wait_text(ENTREPRENEUR, "已对接建设银行")
    # and the enterprise's reply to that message goes back to the ticket
    await api.user_sends(ENTREPRENEUR, "好的，明天上午有人在", reply_to=answer.message_id)
    await api.wait_text(HEAD, "📎 企业为工单 #1 补充信息：好的，明天上午有人在")

    await api.user_sends(HEAD, "/resolve 1 建设银行已审批，本周放款", chat_id=GROUP)
    result = await api.wait_text(ENTREPRENEUR, "建设银行已审批")
    assert [data for _, data in result.buttons] == [
        "survey:1:r:resolved",
        "survey:1:r:partly",
        "survey:1:r:not_resolved",
    ]
    await api.user_presses(ENTREPRENEUR, result, "survey:1:r:resolved")
    question = await api.wait_text(ENTREPRENEUR, "是否满意")
    await api.user_presses(ENTREPRENEUR, question, question.buttons[0][1])
    await api.wait_text(ENTREPRENEUR, "已办结")
    assert len(api.answered) == 4  # every button press was answered


async def test_the_same_update_twice_opens_one_ticket(running: Running) -> None:
    api = running.api
    update = await api.user_sends(ENTREPRENEUR, DEMAND)
    await api.wait_text(ENTREPRENEUR, "工单号 #1")
    await api.deliver(update)  # redelivered after a crash or a webhook retry
    await api.user_sends(ENTREPRENEUR, "/status")
    await api.wait_text(ENTREPRENEUR, "您的诉求（1 件）")
    assert len([s for s in api.to(ENTREPRENEUR) if "工单号" in s.text]) == 1


async def test_the_adapter_runs_no_aiogram_state_machine(running: Running) -> None:
    """A conversation's state is in the database: aiogram's FSM middleware, which would look up a
    state and its lock for every update, is not installed (`disable_fsm`)."""
    dispatcher = running.run.channel.dispatcher
    assert dispatcher.fsm not in list(dispatcher.update.outer_middleware)
    await running.api.user_sends(ENTREPRENEUR, DEMAND)  # and updates are handled as before
    await running.api.wait_text(ENTREPRENEUR, "工单号 #1")


async def test_a_stranger_in_the_group_is_refused(running: Running) -> None:
    api = running.api
    await api.user_sends(ENTREPRENEUR, DEMAND)
    await api.wait_text(GROUP, "新工单 #1")
    await api.user_sends(STRANGER, "/take 1", chat_id=GROUP)
    await api.user_sends(STRANGER, "我也想反映个问题", chat_id=GROUP)  # not acted on either
    await api.wait_text(GROUP, "本群仅供配置的工作人员")
    await asyncio.sleep(0.3)
    assert len(api.to(GROUP)) == 2  # the ticket's post and the one refusal
    async with running.app.deps.storage() as uow:
        ticket = await uow.tickets.get(1)
    assert ticket is not None
    assert ticket.assignee_id is None


async def test_flood_control_is_waited_out(running: Running) -> None:
    api = running.api
    api.flood(2, retry_after=1)
    await api.user_sends(ENTREPRENEUR, DEMAND)
    await api.wait_text(ENTREPRENEUR, "工单号 #1", within=15)
    await api.wait_text(GROUP, "新工单 #1", within=15)
    assert api.calls.count("sendmessage") >= len(api.sent) + 2  # two refused, then every message went


def test_long_messages_are_split_below_the_limit() -> None:
    text = ("第一行\n" * 1500) + "&amp;" * 900
    pieces = split_text(text)
    assert all(len(p) <= 4096 for p in pieces)
    assert "".join(pieces).replace("\n", "") == text.replace("\n", "")
    assert all(not p.startswith("amp;") for p in pieces)


async def test_xiaoer_run_serves_telegram_and_needs_a_token(tmp_path: Path) -> None:
    import os
    import signal
    import sys

    xiaoer = str(Path(sys.executable).parent / "xiaoer")
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIAOER_")}
    env["XIAOER_CONFIG"] = str(ROOT / "config.yaml")
    missing = await asyncio.create_subprocess_exec(
        xiaoer, "run", env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, err = await missing.communicate()
    assert missing.returncode == 2
    assert b"XIAOER_CHANNELS__TELEGRAM__TOKEN" in err

    api = FakeBotApi()
    await api.start()
    env |= {"XIAOER_CHANNELS__TELEGRAM__TOKEN": api.token, "XIAOER_CHANNELS__TELEGRAM__API_BASE": api.base}
    process = await asyncio.create_subprocess_exec(
        xiaoer,
        "run",
        "--allow-unreachable",  # the shipped config has no officer on Telegram (test_start_failures)
        "-d",
        f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await api.user_sends(ENTREPRENEUR, DEMAND)
        await api.wait_for(1, within=60)
        assert "工单号 #1" in api.to(ENTREPRENEUR)[0].text
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.communicate(), 30)
        await api.stop()
    assert process.returncode == 0


async def test_webhook_checks_the_secret_and_serves_health(tmp_path: Path) -> None:
    import json
    import time

    from aiohttp import ClientSession
    from aiohttp.test_utils import TestServer

    api = FakeBotApi()
    await api.start()
    settings = load_settings(ROOT / "config.yaml")
    app = await build_app(settings, f"sqlite+aiosqlite:///{tmp_path / 'wh.db'}")
    running = telegram_running(app.deps, api, poll=False)
    run = await running.__aenter__()
    routes = web_app([lambda web: run.channel.add_routes(web, "/telegram/hook", "s3cret-token")])
    server = TestServer(routes, host="127.0.0.1")
    await server.start_server()
    update = {
        "update_id": 42,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "text": DEMAND,
            "chat": {"id": ENTREPRENEUR, "type": "private"},
            "from": {"id": ENTREPRENEUR, "is_bot": False, "first_name": "User"},
        },
    }
    try:
        async with ClientSession() as http:
            health = await http.get(server.make_url("/healthz"))
            assert health.status == 200
            refused = await http.post(
                server.make_url("/telegram/hook"),
                data=json.dumps(update),
                headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"},
            )
            assert refused.status == 401
            for body in ("not json", "[]", "[" * 100_000):  # the last was a RecursionError: a 500
                malformed = await http.post(
                    server.make_url("/telegram/hook"),
                    data=body,
                    headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"},
                )
                assert (malformed.status, await malformed.text()) == (400, "not an update")
            await asyncio.sleep(0.3)
            assert api.sent == []  # nothing processed
            accepted = await http.post(  # JSON is read as UTF-8: a charset nobody knows was a 500
                server.make_url("/telegram/hook"),
                data=json.dumps(update, ensure_ascii=False).encode(),
                headers={
                    "X-Telegram-Bot-Api-Secret-Token": "s3cret-token",
                    "Content-Type": "application/json; charset=bogus",
                },
            )
            assert accepted.status == 200
            await api.wait_for(1)
            assert "工单号 #1" in api.to(ENTREPRENEUR)[0].text
    finally:
        await server.close()
        await running.__aexit__(None, None, None)
        await app.close()
        await api.stop()


def test_webhook_mode_needs_url_and_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.config import ConfigError

    monkeypatch.setenv("XIAOER_CHANNELS__TELEGRAM__MODE", "webhook")
    with pytest.raises(ConfigError) as caught:
        load_settings(ROOT / "config.yaml")
    assert any("webhook_url and webhook_secret" in p for p in caught.value.problems)
