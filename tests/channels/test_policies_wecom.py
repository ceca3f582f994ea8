"""Policy notices to WeCom member-unit groups: a group in `groups[]` with `channel: wecom` names
its robot, and the notice reaches it through the same persistent outbox and tag targeting as a
Telegram group, once, over real HTTP against the fake WeCom server."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from bot.bootstrap import build_app
from bot.channels.wecom.adapter import WecomChannel
from bot.channels.wecom.api import ATTEMPTS
from bot.channels.wecom.config import WecomConfig
from bot.channels.wecom.plugin import plug_app as plug_wecom
from bot.channels.wecom.transport import WecomTransport
from bot.config import ConfigError, load_settings
from bot.domain.policies import Policy, Tags
from bot.outbox import OutboxSender
from bot.runtime.runtime import Runtime
from handlers.deps import Deps
from handlers.policy_publish import add_policy, publish
from tests.conftest import ROOT
from tests.fake_wecom import AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN, FakeWecom
from tests.policy_world import publish_to_manufacturers

MAKERS_KEY = "robot-key-makers"
TRADERS_KEY = "robot-key-traders"


def write_config(directory: Path, base: str, groups: list[dict[str, object]]) -> Path:
    document = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    document["channels"]["wecom"] = {
        "enabled": True,
        "corp_id": CORP_ID,
        "agent_id": AGENT_ID,
        "secret": SECRET,
        "token": TOKEN,
        "encoding_aes_key": AES_KEY,
        "api_base": base,
        "robots": [
            {"key": MAKERS_KEY, "name": "makers_robot", "tags": ["manufacturing"]},
            {"key": TRADERS_KEY, "name": "traders_robot", "tags": ["trade"]},
        ],
    }
    document["groups"] = groups
    document["policies"] = {"channels": []}  # groups only: no private notices in this test
    config = directory / "config.yaml"
    config.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return config


GROUPS: list[dict[str, object]] = [
    {
        "id": "makers",
        "name": "制造业企业群",
        "channel": "wecom",
        "chat_id": "makers_robot",
        "tags": {"industry": ["manufacturing"]},
    },
    {
        "id": "traders",
        "name": "外贸企业群",
        "channel": "wecom",
        "chat_id": "traders_robot",
        "tags": {"industry": ["trade"]},
    },
]


async def test_a_notice_reaches_the_matching_robot_groups_once_through_the_outbox(tmp_path: Path) -> None:
    api = FakeWecom()
    await api.start()
    settings = load_settings(write_config(tmp_path, api.base, GROUPS))
    app = await build_app(settings, f"sqlite+aiosqlite:///{tmp_path / 'wecom-policies.db'}")
    channel, transport = wecom_parts(app.deps, settings.channels.wecom)
    sender = OutboxSender(app.deps, {"wecom": transport})
    try:
        deps = app.deps
        published = await publish_to_manufacturers(deps)
        assert published.queued == 1  # the manufacturers' group alone
        await sender.run(until_idle=True)
        await sender.run(until_idle=True)  # a second pass (a restart) sends nothing again
    finally:
        await channel.close()
        await app.close()
        await api.stop()
    to_makers = [s for s in api.sent if s.kind == "robot" and s.to == MAKERS_KEY]
    assert len(to_makers) == 1
    assert to_makers[0].msgtype == "markdown"
    assert "智能制造技改补贴" in to_makers[0].content
    assert not [s for s in api.sent if s.to == TRADERS_KEY]


def test_a_wecom_group_must_name_a_configured_robot(tmp_path: Path) -> None:
    wrong = [{**GROUPS[0], "chat_id": "no_such_robot"}]
    with pytest.raises(
        ConfigError, match=r"groups\[0\]\.chat_id: a WeCom member-unit group is reached through its robot"
    ):
        load_settings(write_config(tmp_path, "http://127.0.0.1:9", wrong))


async def test_a_long_notice_cut_short_by_a_failure_resumes_without_repeating_a_piece(tmp_path: Path) -> None:
    """The notice needs two robot messages; the second fails (WeCom unreachable, every retry of
    the API client too), so the outbox tries the message again later: the group gets each piece
    once, in order."""
    api = FakeWecom()
    await api.start()
    settings = load_settings(write_config(tmp_path, api.base, GROUPS))
    app = await build_app(settings, f"sqlite+aiosqlite:///{tmp_path / 'pieces.db'}")
    channel, transport = wecom_parts(app.deps, settings.channels.wecom)
    channel.api.sleep = _no_wait  # the API client's backoff between its own attempts
    sender = OutboxSender(app.deps, {"wecom": transport}, backoff=lambda attempt: timedelta(0))
    body = "\n".join(
        f"第{n}条：对规上工业企业技改投入给予补贴，按设备投入的一定比例补助。" for n in range(120)
    )
    try:
        draft = await add_policy(
            app.deps,
            Policy(
                None,
                "智能制造技改补贴",
                body,
                "industry_it",
                "cli",
                app.deps.clock(),
                eligibility=Tags.of({"industry": ["manufacturing"]}),
            ),
        )
        api.fail("webhook/send", *[502] * ATTEMPTS, after=1)
        assert (await publish(app.deps, draft.id or 0, via=None)).queued == 1
        await sender.run(until_idle=True)
    finally:
        await channel.close()
        await app.close()
        await api.stop()
    pieces = [s.content for s in api.sent if s.to == MAKERS_KEY]
    assert len(pieces) == 2
    assert "智能制造技改补贴" in pieces[0]
    assert "办理方式" in pieces[1]
    assert api.calls.count("webhook/send") == 2 + ATTEMPTS  # the first piece was not sent again


async def _no_wait(seconds: float) -> None:
    return None


def wecom_parts(
    deps: Deps, config: WecomConfig, chats: dict[str, str] | None = None
) -> tuple[WecomChannel, WecomTransport]:
    """The WeCom client and its outbox transport, as `xiaoer run` plugs them in."""
    runtime = Runtime.build(deps)
    channel = plug_wecom(runtime, config, chats)
    transport = runtime.sender.transports["wecom"]
    assert isinstance(transport, WecomTransport)
    return channel, transport
