"""WeCom's API as the bot uses it, against the fake server on loopback, with platform time faked:
retries, rate limits, tokens, and robot broadcasts to many groups under 20 messages a minute."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import ClientSession

from bot.channels.plugin import Host
from bot.channels.send_limits import SendLimits, Window
from bot.channels.wecom.adapter import WecomChannel
from bot.channels.wecom.api import (
    ATTEMPTS,
    MARKDOWN_LIMIT,
    RATE_LIMIT_PAUSE,
    TEXT_LIMIT,
    WecomApi,
    split_utf8,
)
from bot.channels.wecom.config import WecomConfig
from bot.channels.wecom.mobiles import WecomMobiles
from bot.domain.messages import Inbound
from tests.channels.test_wecom import wecom_settings
from tests.conftest import Clock
from tests.fake_wecom import AGENT_ID, CORP_ID, MEMBER_HEADER, SECRET, FakeTime, FakeWecom

NOW_CLOCK = Clock()
CHINESE_LINE = "关于申报2026年度高新技术企业认定的通知：请各会员单位于本月底前提交材料。\n"


@pytest.fixture
def clock() -> FakeTime:
    """Platform time (shadowing the handlers' clock fixture, which these tests do not use)."""
    return FakeTime()


@pytest.fixture
async def fake(clock: FakeTime) -> AsyncIterator[FakeWecom]:
    server = FakeWecom(clock=clock)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def api(fake: FakeWecom, clock: FakeTime) -> AsyncIterator[WecomApi]:
    client = WecomApi(fake.base, CORP_ID, SECRET, AGENT_ID, clock=clock, sleep=clock.sleep)
    yield client
    await client.close()


async def test_transient_failures_are_retried_with_backoff(
    api: WecomApi, fake: FakeWecom, clock: FakeTime
) -> None:
    fake.fail("message/send", 502, -1, 503)
    outcome = await api.send_to_user("ZhangSan", "您好")
    assert outcome.ok
    assert [s.content for s in fake.to("ZhangSan")] == ["您好"]
    assert fake.calls.count("message/send") == 4
    assert clock.slept == [0.5, 1.0, 2.0]


async def test_a_rate_limit_waits_a_minute_and_tries_again(
    api: WecomApi, fake: FakeWecom, clock: FakeTime
) -> None:
    fake.fail("message/send", 45009)
    assert (await api.send_to_user("ZhangSan", "您好")).ok
    assert RATE_LIMIT_PAUSE in clock.slept
    assert len(fake.to("ZhangSan")) == 1


async def test_a_permanent_error_is_logged_not_retried(
    fake: FakeWecom, clock: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    api = WecomApi(fake.base, CORP_ID, SECRET, AGENT_ID + 1, clock=clock, sleep=clock.sleep)
    try:
        outcome = await api.send_to_user("ZhangSan", "您好")
    finally:
        await api.close()
    assert (outcome.ok, outcome.errcode) == (False, 40056)
    assert fake.calls.count("message/send") == 1
    assert "40056" in caplog.text


async def test_gave_up_after_failing_every_attempt(api: WecomApi, fake: FakeWecom) -> None:
    fake.fail("message/send", *[502] * ATTEMPTS)
    outcome = await api.send_to_user("ZhangSan", "您好")
    assert not outcome.ok
    assert fake.calls.count("message/send") == ATTEMPTS
    assert fake.sent == []


async def test_an_unreachable_server_never_raises(clock: FakeTime) -> None:
    api = WecomApi("http://127.0.0.1:9", CORP_ID, SECRET, AGENT_ID, clock=clock, sleep=clock.sleep)
    try:
        assert not (await api.send_to_user("ZhangSan", "您好")).ok
        assert not (await api.send_robot("key", "您好")).ok
    finally:
        await api.close()


async def test_a_wrong_secret_names_the_config_keys(
    fake: FakeWecom, clock: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    api = WecomApi(fake.base, CORP_ID, "wrong", AGENT_ID, clock=clock, sleep=clock.sleep)
    try:
        assert not (await api.send_to_user("ZhangSan", "您好")).ok
    finally:
        await api.close()
    assert "message/send" not in fake.calls
    assert "channels.wecom.corp_id and secret" in caplog.text


async def test_the_token_is_cached_until_it_expires(api: WecomApi, fake: FakeWecom, clock: FakeTime) -> None:
    for _ in range(3):
        assert (await api.send_to_user("ZhangSan", "您好")).ok
    assert fake.token_requests == 1
    clock.now += 7200
    assert (await api.send_to_user("ZhangSan", "您好")).ok
    assert fake.token_requests == 2


async def test_a_member_gets_at_most_30_app_messages_a_minute(
    api: WecomApi, fake: FakeWecom, clock: FakeTime
) -> None:
    start = clock.now
    for i in range(31):
        assert (await api.send_to_user("ZhangSan", f"消息 {i}")).ok
    stamps = [s.at for s in fake.to("ZhangSan")]
    assert stamps[29] - start < 60 <= stamps[30] - start


def test_split_utf8_keeps_characters_whole_and_prefers_line_ends() -> None:
    text = CHINESE_LINE * 60  # about 6,600 bytes
    pieces = split_utf8(text, TEXT_LIMIT)
    assert len(pieces) == 4
    assert all(len(p.encode("utf-8")) <= TEXT_LIMIT for p in pieces)
    assert all(p.endswith("。") for p in pieces[:-1])  # cut at line ends
    assert "".join(p + "\n" for p in pieces).rstrip("\n") == text.rstrip("\n")
    one_line = "汉" * 1500  # 4,500 bytes, no line end: cut at the limit, between characters
    pieces = split_utf8(one_line, TEXT_LIMIT)
    assert [len(p.encode("utf-8")) for p in pieces] == [2046, 2046, 408]
    assert "".join(pieces) == one_line
    assert split_utf8("短", TEXT_LIMIT) == ["短"]


async def test_send_limits_queue_in_order_under_every_window(clock: FakeTime) -> None:
    limits = SendLimits(clock, clock.sleep)
    windows = (Window(3, 60), Window(5, 3600))
    waits = [await limits.wait(("robot", windows)) for _ in range(7)]
    assert waits[:3] == [0, 0, 0]
    assert waits[3] == 60  # the fourth waits for the first to leave the minute
    assert clock.now - 1_000_000 >= 3600  # the sixth waited for the hour


async def test_one_member_waiting_for_its_window_holds_up_nobody_else(clock: FakeTime) -> None:
    held = asyncio.Event()  # a sleep that does not move the clock: A's wait stays pending

    async def stay(seconds: float) -> None:
        await held.wait()

    limits = SendLimits(clock, stay)
    member, app = (Window(3, 60),), (Window(1000, 60),)
    a, b, shared = (("member", "A"), member), (("member", "B"), member), ("app", app)
    for _ in range(3):
        await limits.wait(a, shared)
    waiting = asyncio.create_task(limits.wait(a, shared))  # A's fourth reserves a place a minute on
    await asyncio.sleep(0.01)
    assert limits.ready_in(a, shared) == 60
    assert limits.ready_in(b, shared) == 0  # B's first need not wait behind it
    assert await limits.wait(b, shared) == 0
    held.set()
    assert await waiting == 60


# --- robots -------------------------------------------------------------------------------------


def robots(count: int) -> list[dict[str, object]]:
    return [
        {
            "key": f"robot-key-{i:02d}",
            "name": f"会员单位群{i:02d}",
            "tags": ["high_tech" if i % 2 else "export"],
        }
        for i in range(count)
    ]


async def robot_channel(tmp_path: Path, fake: FakeWecom, clock: FakeTime, count: int) -> WecomChannel:
    settings = wecom_settings(tmp_path, fake.base, robots=robots(count))
    return WecomChannel(
        settings.channels.wecom,
        settings.bootstrap_directory(),
        _no_inbox,
        now=NOW_CLOCK,
        clock=clock,
        sleep=clock.sleep,
    )


async def _no_inbox(inbound: Inbound) -> bool:
    raise AssertionError("these tests send; nothing arrives")


async def test_a_broadcast_to_50_groups_stays_under_20_a_minute_per_robot(
    tmp_path: Path, fake: FakeWecom, clock: FakeTime
) -> None:
    channel = await robot_channel(tmp_path, fake, clock, 50)
    start = clock.now
    try:
        for n in range(1, 26):
            results = await channel.broadcast(f"政策通知 {n}")
            assert len(results) == 50
            assert all(results.values())
    finally:
        await channel.close()
    assert fake.refused == []  # the fake counts 20 a minute per robot too, and never had to refuse
    for robot in robots(50):
        got = fake.to(str(robot["key"]))
        assert [s.content for s in got] == [f"政策通知 {n}" for n in range(1, 26)]
        stamps = [s.at for s in got]
        assert all(later - earlier >= 60 for earlier, later in zip(stamps, stamps[20:], strict=False))
    assert clock.now - start >= 60  # the 21st round had to wait for the minute


async def test_a_robot_over_its_limit_backs_off_and_everything_arrives(
    tmp_path: Path, clock: FakeTime
) -> None:
    strict = FakeWecom(clock=clock, robot_limit=5)  # a gateway stricter than WeCom's documented 20
    await strict.start()
    channel = await robot_channel(tmp_path, strict, clock, 2)
    try:
        for n in range(1, 9):
            assert all((await channel.broadcast(f"通知 {n}")).values())
    finally:
        await channel.close()
        await strict.stop()
    assert ("webhook/send", 45009) in strict.refused
    assert RATE_LIMIT_PAUSE in clock.slept
    for robot in robots(2):
        assert [s.content for s in strict.to(str(robot["key"]))] == [f"通知 {n}" for n in range(1, 9)]


async def test_broadcast_by_tags_with_mentions_and_long_texts(
    tmp_path: Path, fake: FakeWecom, clock: FakeTime
) -> None:
    channel = await robot_channel(tmp_path, fake, clock, 4)
    try:
        text = CHINESE_LINE * 40  # over 2,048 bytes: three text messages
        sent = await channel.broadcast(text, tags=["export"], mentioned=["@all"])
        markdown = "## 政策速递\n" + "> " + CHINESE_LINE * 50  # over 4,096 bytes: two markdown messages
        await channel.broadcast(markdown, tags=["export"], markdown=True, mentioned=["ZhangSan"])
    finally:
        await channel.close()
    assert sorted(sent) == ["会员单位群00", "会员单位群02"]  # the export groups only
    assert fake.to("robot-key-01") == []
    got = fake.to("robot-key-00")
    texts = [s for s in got if s.msgtype == "text"]
    assert len(texts) == 3
    assert [s.mentioned for s in texts] == [["@all"], [], []]
    assert all(len(s.content.encode("utf-8")) <= TEXT_LIMIT for s in texts)
    marked = [s for s in got if s.msgtype == "markdown"]
    assert len(marked) == 2
    assert all(len(s.content.encode("utf-8")) <= MARKDOWN_LIMIT for s in marked)
    assert marked[-1].content.endswith("<@ZhangSan>")


async def _consent_code(fake: FakeWecom, user_id: str, scope: str = "snsapi_privateinfo") -> str:
    """What the member's browser brings back from WeCom's OAuth page: the code."""
    query = {
        "appid": CORP_ID,
        "redirect_uri": "https://bot.example.gov.cn/wecom/mobile",
        "response_type": "code",
        "scope": scope,
        "state": "abc123",
        "agentid": str(AGENT_ID),
    }
    async with (
        ClientSession() as http,
        http.get(
            f"{fake.base}/connect/oauth2/authorize",
            params=query,
            headers={MEMBER_HEADER: user_id},
            allow_redirects=False,
        ) as r,
    ):
        assert r.status == 302
        location = urlsplit(r.headers["Location"])
    assert location.path == "/wecom/mobile"
    back = parse_qs(location.query)
    assert back["state"] == ["abc123"]
    return back["code"][0]


async def test_the_directory_gives_a_member_and_the_mobile_where_the_app_may_read_it(
    api: WecomApi, fake: FakeWecom
) -> None:
    fake.members = {"ChenZong": "13800001234"}
    member = await api.member("ChenZong")
    assert (member.ok, member.body["mobile"]) == (True, "13800001234")
    fake.directory_mobiles = False  # an app created after 2022-06-20
    member = await api.member("ChenZong")
    assert member.ok
    assert "mobile" not in member.body
    missing = await api.member("Nobody")
    assert (missing.ok, missing.errcode) == (False, 60111)
    assert fake.calls.count("user/get") == 3  # a refusal is not retried


async def test_an_oauth_code_is_exchanged_once_and_for_five_minutes(
    api: WecomApi, fake: FakeWecom, clock: FakeTime
) -> None:
    fake.members = {"ChenZong": "13800001234"}
    code = await _consent_code(fake, "ChenZong")
    identity = await api.oauth_identity(code)
    assert identity.ok
    assert identity.body["userid"] == "ChenZong"
    detail = await api.oauth_detail(str(identity.body["user_ticket"]))
    assert (detail.ok, detail.body["mobile"]) == (True, "13800001234")
    used = await api.oauth_identity(code)
    assert (used.ok, used.errcode) == (False, 40029)
    stale = await _consent_code(fake, "ChenZong")
    clock.now += 301
    assert (await api.oauth_identity(stale)).errcode == 40029
    assert (await api.oauth_identity("never-issued")).errcode == 40029
    assert not (await api.oauth_detail("never-issued")).ok
    base = await api.oauth_identity(await _consent_code(fake, "ChenZong", "snsapi_base"))
    assert base.ok
    assert "user_ticket" not in base.body


async def test_members_mobiles_are_asked_once_a_while_and_not_at_all_once_the_app_cannot_read_them(
    api: WecomApi, fake: FakeWecom, clock: FakeTime
) -> None:
    fake.members = {"ChenZong": "13800001234", "LinJingli": ""}
    # the directory's side never reaches the host (only the consent redirect does)
    mobiles = WecomMobiles(api, WecomConfig(), cast(Host, object()), None, clock=clock)
    assert await mobiles.mobile_of("ChenZong") == "13800001234"
    assert await mobiles.mobile_of("ChenZong") == "13800001234"
    assert await mobiles.mobile_of("LinJingli") is None  # a member without one
    assert await mobiles.mobile_of("Nobody") is None  # 60111
    assert await mobiles.mobile_of("Nobody") is None
    assert fake.calls.count("user/get") == 3  # each member once
    clock.now += 601
    fake.directory_mobiles = False  # as a newer app is answered
    assert await mobiles.mobile_of("ChenZong") is None
    assert await mobiles.mobile_of("LinJingli") is None
    assert fake.calls.count("user/get") == 4  # the first answer without `mobile` ends the asking
    assert mobiles.consent_link("abc") is None  # and with no public address there is no link
