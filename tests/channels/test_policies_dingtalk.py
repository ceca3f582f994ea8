"""Policy notices to DingTalk member-unit groups: a group in `groups[]` with `channel: dingtalk`
names its custom robot in `channels.dingtalk.robots`, and the notice reaches it through the same
persistent outbox and tag targeting as any group, signed and with the robot's keyword, over real
HTTP against the fake DingTalk; 20 messages a minute per robot, on a sliding window."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.bootstrap import build_app
from bot.channels.dingtalk.api import ROBOT_THROTTLE_WAIT, DingtalkApi
from bot.channels.dingtalk.plugin import plug, plug_app
from bot.channels.dingtalk.transport import DingtalkTransport
from bot.channels.send_limits import SendLimits
from bot.config import ConfigError, load_settings
from bot.domain.enterprise import Contact
from bot.domain.outbox import MessageKind, OutboxMessage
from bot.domain.policies import Policy, Tags
from bot.outbox import OutboxSender, RetryAfter, Sent
from bot.runtime.runtime import Runtime
from handlers.deps import Deps
from handlers.policy_publish import add_policy, publish
from tests.conftest import ROOT
from tests.fake_dingtalk import FakeDingtalk, Robot, channel_section
from tests.fake_wecom import FakeTime
from tests.policy_world import publish_to_manufacturers

MAKERS_TOKEN = "a1b2c3makers"
TRADERS_TOKEN = "d4e5f6traders"
MAKERS_SECRET = "SECmakers0123456789abcdef"
KEYWORD = "政策"


def write_config(
    directory: Path, base: str, groups: list[dict[str, Any]], private: tuple[str, ...] = ()
) -> Path:
    document = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    document["channels"]["dingtalk"] = channel_section(
        base,
        robots=[
            {
                "name": "makers_robot",
                "access_token": MAKERS_TOKEN,
                "secret": MAKERS_SECRET,
                "keyword": KEYWORD,
                "tags": ["manufacturing"],
            },
            {"name": "traders_robot", "access_token": TRADERS_TOKEN, "tags": ["trade"]},
        ],
    )
    document["groups"] = groups
    document["policies"] = {"channels": list(private)}  # groups only, unless a test says otherwise
    config = directory / "config.yaml"
    config.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return config


GROUPS: list[dict[str, Any]] = [
    {
        "id": "makers",
        "name": "制造业企业群",
        "channel": "dingtalk",
        "chat_id": "makers_robot",
        "tags": {"industry": ["manufacturing"]},
    },
    {
        "id": "traders",
        "name": "外贸企业群",
        "channel": "dingtalk",
        "chat_id": "traders_robot",
        "tags": {"industry": ["trade"]},
    },
]


def fake_robots() -> dict[str, Robot]:
    return {
        MAKERS_TOKEN: Robot("makers_robot", secret=MAKERS_SECRET, keyword=KEYWORD),
        TRADERS_TOKEN: Robot("traders_robot"),
    }


@asynccontextmanager
async def publishing(
    tmp_path: Path, private: tuple[str, ...] = ()
) -> AsyncIterator[tuple[FakeDingtalk, Deps, OutboxSender]]:
    """The fake with its robots, and the app's outbox sender with the DingTalk channel plugged in
    from its config section."""
    api = FakeDingtalk(robots=fake_robots(), members={"staff_chen"})
    await api.start()
    settings = load_settings(write_config(tmp_path, api.base, GROUPS, private))
    app = await build_app(settings, f"sqlite+aiosqlite:///{tmp_path / 'dingtalk-policies.db'}")
    runtime = Runtime.build(app.deps)
    plugged = plug(runtime, settings)
    try:
        yield api, app.deps, OutboxSender(app.deps, runtime.sender.transports)
    finally:
        await runtime.close()
        await plugged.close()
        await app.close()
        await api.stop()


async def test_a_notice_reaches_the_matching_robot_group_once_signed_and_with_its_keyword(
    tmp_path: Path,
) -> None:
    async with publishing(tmp_path) as (api, deps, sender):
        published = await publish_to_manufacturers(deps)
        assert published.queued == 1  # the manufacturers' group alone
        await sender.run(until_idle=True)
        await sender.run(until_idle=True)  # a second pass (a restart) sends nothing again
    assert api.refused == []  # the signature, the timestamp and the keyword were all accepted
    [notice] = api.to("makers_robot")
    assert notice.via == "robot"
    assert "智能制造技改补贴" in notice.content
    assert KEYWORD in notice.content
    assert api.to("traders_robot") == []


def test_a_dingtalk_group_must_name_a_configured_robot(tmp_path: Path) -> None:
    wrong = [{**GROUPS[0], "chat_id": "no_such_robot"}]
    with pytest.raises(ConfigError) as refused:
        load_settings(write_config(tmp_path, "http://127.0.0.1:9", wrong))
    [problem] = refused.value.problems
    assert problem.startswith("groups[0].chat_id: a DingTalk member-unit group is reached through its robot")
    assert "channels.dingtalk.robots (makers_robot, traders_robot)" in problem


async def test_a_bound_contact_gets_the_notice_privately_when_policies_go_to_dingtalk(
    tmp_path: Path,
) -> None:
    """`policies.channels` names any channel's section: with dingtalk there, a contact bound on
    DingTalk gets the notice from the app robot in a private chat, its buttons as numbered choices."""
    async with publishing(tmp_path, private=("dingtalk",)) as (api, deps, sender):
        async with deps.storage() as uow:
            contact = await uow.contacts.add(Contact(None, "dingtalk", "staff_chen", "陈总", "zh-CN"))
            await uow.contacts.bind(contact.id or 0, "xinyuan")
            await uow.commit()
        await publish_to_manufacturers(deps)
        await sender.run(until_idle=True)
    [private] = api.to("staff_chen")
    assert private.via == "user"
    assert "智能制造技改补贴" in private.content
    assert "1. 确认收到" in private.content  # the notice's buttons, as choices to answer with a number


def test_policies_and_groups_name_known_channels_only(tmp_path: Path) -> None:
    wrong = [{**GROUPS[0], "channel": "dingding"}]
    with pytest.raises(ConfigError) as refused:
        load_settings(write_config(tmp_path, "http://127.0.0.1:9", wrong, private=("telegram", "feishu")))
    assert refused.value.problems == [
        "groups[0].channel: unknown channel 'dingding' (expected one of telegram, wecom, dingtalk)",
        "policies.channels[1]: unknown channel 'feishu' (expected one of telegram, wecom, dingtalk)",
    ]


def notice(number: int, chat_id: str) -> OutboxMessage:
    return OutboxMessage(MessageKind.NOTICE, "dingtalk", chat_id, f"第{number}条政策通知", id=number)


async def test_twenty_a_minute_per_robot_on_a_sliding_window(tmp_path: Path) -> None:
    """40 notices to one robot: the first 20 go at once, the next 20 wait for the window to move
    (on the fake clock both sides count on), and DingTalk never has to say "too fast". A second
    process's transport, which does not know what the first sent, hears DingTalk's throttle
    answer and waits the ten minutes DingTalk throttles for."""
    clock = FakeTime()
    api = FakeDingtalk(clock=clock, robots=fake_robots())
    await api.start()
    settings = load_settings(write_config(tmp_path, api.base, GROUPS))
    app = await build_app(settings, f"sqlite+aiosqlite:///{tmp_path / 'window.db'}")
    config = settings.channels.dingtalk

    def client() -> DingtalkApi:
        return DingtalkApi(config, limits=SendLimits(clock, clock.sleep), clock=clock, sleep=clock.sleep)

    first = plug_app(Runtime.build(app.deps), config, client())[1]
    second = plug_app(Runtime.build(app.deps), config, client())[1]
    try:
        outcomes = [await first.send(notice(n, "makers_robot")) for n in range(1, 41)]
        assert all(isinstance(o, Sent) for o in outcomes)
        assert len(api.to("makers_robot")) == 40
        assert api.refused == []
        assert sum(clock.slept) >= 60.0  # the 21st waited for the first to leave the window
        assert first.ready_in("makers_robot") > 0  # the window is full again: the outbox defers
        assert first.ready_in("traders_robot") == 0  # each robot has its own

        throttled = await second.send(notice(41, "makers_robot"))
        assert isinstance(throttled, RetryAfter)
        assert throttled.seconds == ROBOT_THROTTLE_WAIT
        assert api.refused == [("robot", "130101")]
    finally:
        await first.close()
        await second.close()
        await app.close()
        await api.stop()


async def test_a_long_notice_goes_in_pieces_each_with_the_keyword(tmp_path: Path) -> None:
    api = FakeDingtalk(robots=fake_robots())
    await api.start()
    settings = load_settings(write_config(tmp_path, api.base, GROUPS))
    app = await build_app(settings, f"sqlite+aiosqlite:///{tmp_path / 'long.db'}")
    transport = plug_app(Runtime.build(app.deps), settings.channels.dingtalk)[1]
    assert isinstance(transport, DingtalkTransport)
    text = "\n".join(
        f"第{n}条：对规上工业企业技改投入给予补贴，按设备投入的一定比例补助。" for n in range(600)
    )
    try:
        outcome = await transport.send(
            OutboxMessage(MessageKind.NOTICE, "dingtalk", "makers_robot", text, id=1)
        )
    finally:
        await transport.close()
        await app.close()
        await api.stop()
    assert isinstance(outcome, Sent)
    pieces = [s.content for s in api.to("makers_robot")]
    assert len(pieces) >= 2
    assert all(KEYWORD in piece and len(piece.encode()) <= 20_000 for piece in pieces)
    assert "第0条" in pieces[0]
    assert "第599条" in pieces[-1]
    assert api.refused == []


async def test_a_robot_groups_notice_does_not_point_at_buttons(tmp_path: Path) -> None:
    async with publishing(tmp_path) as (api, deps, sender):
        draft = await add_policy(
            deps,
            Policy(None, "技改补贴", "补贴。", "industry_it", "cli", deps.clock(), eligibility=Tags.of({})),
        )
        await publish(deps, draft.id or 0, via=None)
        await sender.run(until_idle=True)
    [notice] = api.to("makers_robot")
    assert "点击下方" not in notice.content
