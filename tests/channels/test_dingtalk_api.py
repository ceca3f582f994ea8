"""What the DingTalk transport reports for each answer DingTalk gives, against the fake over real
HTTP: the access token cached and fetched again when refused, throttling as a wait, server errors
and lost connections as failures that may pass (and may have delivered), people and groups the
robot cannot reach as refusals; and the section's config problems, one line each."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from bot.bootstrap import App, build_app
from bot.channels.dingtalk.adapter import DingtalkChannel
from bot.channels.dingtalk.api import QPS_WAIT, split_utf8
from bot.channels.dingtalk.config import DingtalkConfig
from bot.channels.dingtalk.plugin import plug_app
from bot.channels.dingtalk.transport import DingtalkTransport
from bot.config import load_settings
from bot.domain.messages import Button, Inbound
from bot.domain.outbox import DeliveryStatus, MessageKind, OutboxMessage
from bot.outbox import Refused, RetryAfter, Sent, Transient
from bot.runtime.runtime import Runtime
from bot.runtime.web import web_app
from handlers.deps import utc_now
from tests.conftest import ROOT
from tests.fake_dingtalk import FakeDingtalk, channel_section
from tests.fake_wecom import FakeTime

PERSON = "zhangsan01"
GROUP = "cidMembersGroup=="


@dataclass
class Parts:
    api: FakeDingtalk
    app: App
    transport: DingtalkTransport


def config(base: str, **extra: object) -> DingtalkConfig:
    return DingtalkConfig.model_validate(channel_section(base, **extra))


@pytest.fixture
async def parts(tmp_path: Path) -> AsyncIterator[Parts]:
    api = FakeDingtalk(clock=FakeTime(), members={PERSON}, groups={GROUP})
    await api.start()
    app = await build_app(load_settings(ROOT / "config.yaml"), f"sqlite+aiosqlite:///{tmp_path / 'api.db'}")
    _, transport = plug_app(Runtime.build(app.deps), config(api.base))
    try:
        yield Parts(api, app, transport)
    finally:
        await transport.close()
        await app.close()
        await api.stop()


def message(chat_id: str, text: str = "您好", number: int = 1, **extra: object) -> OutboxMessage:
    return OutboxMessage(MessageKind.REPLY, "dingtalk", chat_id, text, id=number, **extra)  # type: ignore[arg-type]


async def test_the_access_token_is_cached_and_fetched_again_when_refused(parts: Parts) -> None:
    api, transport = parts.api, parts.transport
    assert isinstance(await transport.send(message(PERSON)), Sent)
    assert isinstance(await transport.send(message(f"group:{GROUP}")), Sent)
    assert api.token_requests == 1
    api.expire_tokens()
    assert isinstance(await transport.send(message(PERSON, number=2)), Sent)
    assert api.token_requests == 2
    assert ("batchSend", "InvalidAuthentication") in api.refused
    assert [s.via for s in api.sent] == ["user", "group", "user"]
    assert api.sent[0].msg_key == "sampleText"


async def test_throttling_is_a_wait_and_nothing_was_delivered(parts: Parts) -> None:
    parts.api.qps_limit = 1  # as if other processes of the app had spent this second's calls
    assert isinstance(await parts.transport.send(message(PERSON)), Sent)
    throttled = await parts.transport.send(message(PERSON, number=2))  # the fake's clock stands still
    assert isinstance(throttled, RetryAfter)
    assert throttled.seconds == QPS_WAIT
    assert ("batchSend", "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi") in parts.api.refused
    assert len(parts.api.sent) == 1


async def test_a_server_error_may_have_delivered(parts: Parts) -> None:
    parts.api.fail("groupMessages", 502)
    outcome = await parts.transport.send(message(f"group:{GROUP}"))
    assert isinstance(outcome, Transient)
    assert outcome.maybe_delivered


async def test_a_person_or_group_the_robot_cannot_reach_is_refused(parts: Parts) -> None:
    stranger = await parts.transport.send(message("nobody01"))
    assert isinstance(stranger, Refused)
    assert stranger.status is DeliveryStatus.FAILED
    assert "nobody01" in stranger.error
    not_in = await parts.transport.send(message("group:cidElsewhere=="))
    assert isinstance(not_in, Refused)
    assert "resource.not.found" in not_in.error


async def test_dingtalk_unreachable_is_a_failure_that_delivered_nothing(parts: Parts) -> None:
    await parts.api.stop()  # the port is closed: no connection is ever made
    outcome = await parts.transport.send(message(PERSON))
    assert isinstance(outcome, Transient)
    assert not outcome.maybe_delivered


async def test_buttons_become_numbered_choices_privately_and_commands_in_a_group(parts: Parts) -> None:
    buttons = (Button("签收", "cmd:take:7"), Button("已解决", "survey:7:resolved"))
    await parts.transport.send(message(PERSON, "新工单 #7", buttons=buttons))
    await parts.transport.send(message(f"group:{GROUP}", "新工单 #7", number=2, buttons=buttons))
    private, group = parts.api.sent
    assert "签收：发送 /take 7" in private.content
    assert "回复数字即可选择：\n1. 已解决" in private.content
    assert "签收：发送 /take 7" in group.content
    assert "已解决" not in group.content  # nobody's number would come back to us from a group
    assert parts.transport.dingtalk.buttons.pick(PERSON, "1") == "survey:7:resolved"


def test_pieces_fit_the_limit_and_cut_at_line_ends() -> None:
    text = "\n".join("一二三四五六七八九十" * 3 for _ in range(100))
    pieces = split_utf8(text, 1000)
    assert len(pieces) > 1
    assert all(len(piece.encode()) <= 1000 for piece in pieces)
    assert "\n".join(pieces) == text  # cut only at line ends: nothing lost, no line split
    assert split_utf8("一" * 500, 1000) == ["一" * 333, "一" * 167]  # never inside a character


def test_config_problems_are_one_line_each() -> None:
    assert DingtalkConfig().problems() == []  # not enabled: nothing is required
    problems = DingtalkConfig(enabled=True).problems()
    assert [p.split(":")[0] for p in problems] == [
        "channels.dingtalk.app_key",
        "channels.dingtalk.app_secret",
        "channels.dingtalk.robot_code",
    ]
    assert all("\n" not in p and "XIAOER_CHANNELS__DINGTALK__" in p for p in problems)
    doubled = config(
        "http://127.0.0.1:9",
        robots=[
            {"name": "makers", "access_token": "abc"},
            {"name": "makers", "access_token": "https://oapi.dingtalk.com/robot/send?access_token=x"},
        ],
    ).problems()
    assert doubled == [
        "channels.dingtalk.robots[].name: 'makers' appears more than once",
        "channels.dingtalk.robots[1].access_token: only the access_token value of the robot's webhook "
        "(the part after access_token=), not the whole URL",
    ]


async def test_the_callback_answers_200_only_once_the_inbox_has_the_message() -> None:
    """An inbox that fails makes the callback answer 500 (DingTalk sends the message again); one
    that keeps it gets the documented fields as an Inbound, keyed by msgId, before the 200."""
    kept: list[Inbound] = []
    failing = True

    async def accept(inbound: Inbound) -> bool:
        if failing:
            raise RuntimeError("the database is away")
        kept.append(inbound)
        return True

    fake = FakeDingtalk()
    fake.base = "http://127.0.0.1:9"  # not served: only where its session webhooks say they are
    channel = DingtalkChannel(config(fake.base), accept, now=utc_now)
    server = TestServer(web_app([channel.add_routes]), host="127.0.0.1")
    await server.start_server()
    try:
        url = str(server.make_url("/dingtalk/callback"))
        message = fake.message(PERSON, "  你好  ", nick="张三")
        assert (await fake.post(url, message)).status == 500
        assert kept == []
        failing = False
        assert (await fake.post(url, message)).status == 200
        in_group = fake.message(PERSON, "/status", group=GROUP)
        assert (await fake.post(url, in_group)).status == 200
    finally:
        await server.close()
    private, group = kept
    assert (private.sender.user_id, private.sender.display_name) == (PERSON, "张三")
    assert (private.chat_id, private.text, private.delivery_id) == (PERSON, "你好", message["msgId"])
    assert (group.chat_id, group.text) == (f"group:{GROUP}", "/status")
    assert channel.sessions.valid(PERSON) == message["sessionWebhook"]
