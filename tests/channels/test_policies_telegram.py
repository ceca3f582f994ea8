"""Policies end to end on Telegram, over real HTTP against the fake Bot API: an officer publishes
in chat, the outbox delivers to the matching groups and enterprises only, an enterprise
acknowledges and applies (a ticket for the issuing department), questions are answered from the
registry or passed to a person, and a withdrawal stops what is not sent yet. The bot runs as
`xiaoer run` runs it: the chat channel and the outbox sender side by side."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.bootstrap import App, build_app
from bot.channels.pacing import Pacer
from bot.config import load_settings
from bot.domain.enterprise import Contact
from bot.domain.outbox import DeliveryStatus, MessageKind
from bot.domain.policies import Policy, Tags
from bot.outbox import OutboxSender
from handlers.policy_publish import add_policy, publish, withdraw
from tests import builders
from tests.channels.telegram_runtime import TelegramRun, telegram_running
from tests.conftest import ROOT
from tests.fake_telegram import FakeBotApi

ZHENG = 9101  # zheng_yu, head of industry_it: publishes
OFFICERS = -100300  # industry_it's officer group
MAKERS = -100201  # member-unit group of manufacturers: matches
TRADERS = -100202  # member-unit group of small traders: does not
XINYUAN = 7001  # 规上, 专精特新: qualifies
XINYUAN_BLOCKED = 7004  # a second xinyuan contact who blocked the bot
HAIYUE = 7002  # 小微 trader: does not qualify
LANJING = 7003  # 小微 software: does not qualify
MEMBER = 7005  # someone in the manufacturers' group, never bound to a company


@dataclass
class Running:
    api: FakeBotApi
    app: App
    run: TelegramRun

    @property
    def sender(self) -> OutboxSender:
        return self.run.runtime.sender


async def bind(app: App, user: int, enterprise_id: str, lang: str = "zh-CN") -> None:
    async with app.deps.storage() as uow:
        await uow.contacts.add(Contact(None, "telegram", str(user), f"user {user}", lang, enterprise_id))
        await uow.commit()


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    document = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    for officer in document["officers"]:
        if officer["id"] == "zheng_yu":
            officer["identities"] = {"telegram": ZHENG}
    for department in document["departments"]:
        if department["id"] == "industry_it":
            department["chats"] = {"telegram": OFFICERS}
    document["groups"] = [
        {"id": "makers", "name": "制造业企业群", "chat_id": MAKERS, "tags": {"industry": ["manufacturing"]}},
        {
            "id": "traders",
            "name": "外贸小微企业群",
            "chat_id": TRADERS,
            "tags": {"industry": ["trade"], "size_class": ["小微"]},
        },
    ]
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    settings = load_settings(config)
    api = FakeBotApi()
    await api.start()
    app = await build_app(settings, f"sqlite+aiosqlite:///{tmp_path / 'policies.db'}")
    for user, enterprise in (
        (XINYUAN, "xinyuan"),
        (XINYUAN_BLOCKED, "xinyuan"),
        (HAIYUE, "haiyue"),
        (LANJING, "lanjing"),
    ):
        await bind(app, user, enterprise)
    api.blocked.add(XINYUAN_BLOCKED)
    groups = {d.id: int(d.chats["telegram"]) for d in settings.departments if "telegram" in d.chats}
    try:
        async with telegram_running(app.deps, api, groups) as run:
            run.runtime.sender.poll_seconds = 0.05
            yield Running(api, app, run)
    finally:
        await app.close()
        await api.stop()


async def test_publish_in_chat_reaches_only_matching_chats_then_acknowledge_and_apply(
    running: Running,
) -> None:
    api = running.api
    await api.user_sends(ZHENG, "/publish")
    await api.wait_text(ZHENG, "请发送政策标题")
    await api.user_sends(ZHENG, "2026年湖里区专精特新企业奖励")
    await api.wait_text(ZHENG, "政策正文")
    await api.user_sends(ZHENG, "**对象**：规上专精特新企业。奖励 50 万元 <见附件>。")
    await api.wait_text(ZHENG, "适用对象")
    await api.user_sends(ZHENG, "规模=规上 资质=专精特新")
    await api.wait_text(ZHENG, "截止日期")
    await api.user_sends(ZHENG, f"{date.today().year + 1}-03-31")
    preview = await api.wait_text(ZHENG, "确认发布吗")
    # the makers' group, xinyuan's two chats; not the small traders' group, haiyue or lanjing
    assert "将发送给 1 个企业群；符合条件的企业 1 家，其中 1 家可在线送达，共 3 个会话" in preview.text
    await api.user_presses(ZHENG, preview, "pol:publish:1")
    await api.wait_text(ZHENG, "正在发送给 3 个会话")

    notice = await api.wait_text(XINYUAN, "📢 政策通知 · 2026年湖里区专精特新企业奖励")
    assert "&lt;见附件&gt;" in notice.text  # escaped for Telegram's HTML
    assert "**" not in notice.text
    assert [data for _, data in notice.buttons] == ["pol:ack:1", "pol:apply:1", "pol:ask:1"]
    assert [label for label, _ in notice.buttons] == ["确认收到", "我要申报", "咨询"]
    group_notice = await api.wait_text(MAKERS, "📢 政策通知")
    # the publisher's delivery report, once every notice has an outcome
    report = await api.wait_text(ZHENG, "📬")
    assert "已送达 2，失败 0，已屏蔽 1" in report.text
    assert api.to(TRADERS) == api.to(HAIYUE) == api.to(LANJING) == []

    await api.user_presses(XINYUAN, notice, "pol:ack:1")
    await api.wait_text(XINYUAN, "已确认收到《2026年湖里区专精特新企业奖励》")
    await api.user_presses(XINYUAN, notice, "pol:apply:1")
    await api.wait_text(XINYUAN, "工单号 #1，已转交区工业和信息化局")
    post = await api.wait_text(OFFICERS, "新工单 #1")
    assert "【政策申报 P1】申报《2026年湖里区专精特新企业奖励》" in post.text
    assert post.buttons == [("签收", "cmd:take:1")]
    # someone in the group presses too: the answer goes to them privately, not to the group
    before = len(api.to(MAKERS))
    await api.user_presses(MEMBER, group_notice, "pol:ack:1")
    await api.wait_text(MEMBER, "已确认收到")
    assert len(api.to(MAKERS)) == before

    async with running.app.deps.storage() as uow:
        statuses = {m.chat_id: m.status for m in await uow.outbox.for_policy(1, MessageKind.NOTICE)}
        ticket = await uow.tickets.get(1)
        blocked = await uow.contacts.by_identity("telegram", str(XINYUAN_BLOCKED))
    assert statuses == {
        str(MAKERS): DeliveryStatus.SENT,
        str(XINYUAN): DeliveryStatus.SENT,
        str(XINYUAN_BLOCKED): DeliveryStatus.BLOCKED,
    }
    assert ticket is not None
    assert (ticket.enterprise_id, ticket.department_id, ticket.category) == (
        "xinyuan",
        "industry_it",
        "subsidy",
    )
    assert blocked is not None
    assert blocked.unreachable_since is not None


async def test_questions_are_answered_with_the_right_policy_or_become_tickets(running: Running) -> None:
    api, deps = running.api, running.app.deps
    for title, body, tags in (
        (
            "专精特新企业奖励",
            "对认定为专精特新的企业给予一次性奖励50万元。",
            {"qualifications": ["专精特新"]},
        ),
        ("小微企业贷款贴息", "对小微企业新增流动资金贷款给予50%贴息。", {"size_class": ["小微"]}),
    ):
        draft = await add_policy(
            deps,
            Policy(None, title, body, "industry_it", "cli", deps.clock(), eligibility=Tags.of(tags)),
        )
        await publish(deps, draft.id or 0, via=None)
    await api.user_sends(XINYUAN, "请问专精特新企业有哪些奖励政策")
    answer = await api.wait_text(XINYUAN, "为您找到 1 项相关政策")
    assert "P1《专精特新企业奖励》" in answer.text
    assert "小微企业贷款贴息" not in answer.text
    assert "申报截止：长期有效" in answer.text
    assert next(data for _, data in answer.buttons) == "pol:apply:1"
    await api.user_sends(XINYUAN, "出口信用保险保费有没有补贴政策？")
    await api.wait_text(XINYUAN, "暂未找到与您的问题相符的已发布政策")
    await api.wait_text(XINYUAN, "工单号 #1")
    async with deps.storage() as uow:
        ticket = await uow.tickets.get(1)
    assert ticket is not None
    assert ticket.intent == "policy_inquiry"


async def test_withdrawing_stops_the_notices_not_yet_sent(running: Running) -> None:
    api, deps = running.api, running.app.deps
    # a slow broadcast: two messages a second, to forty enterprises' chats
    running.run.transport.pacer = Pacer(overall=(2, 2.0))
    for i in range(40):
        async with deps.storage() as uow:
            await uow.enterprises.add(builders.enterprise(f"co{i}"))
            await uow.contacts.add(Contact(None, "telegram", str(80_000 + i), "x", "zh-CN", f"co{i}"))
            await uow.commit()
    draft = await add_policy(
        deps, Policy(None, "普惠政策", "所有企业适用。", "industry_it", "cli", deps.clock())
    )
    published = await publish(deps, draft.id or 0, via=None)
    assert published.queued == 46  # both groups; 40 companies, xinyuan (2 chats), haiyue, lanjing
    await api.wait_until(lambda: len(api.sent) >= 4, "a few notices sent", 20)
    withdrawn = await withdraw(deps, draft.id or 0)
    assert withdrawn.cancelled > 30
    await asyncio.sleep(1.5)  # what was already on its way may land; nothing else
    delivered = len(api.sent)
    await asyncio.sleep(1.5)
    assert len(api.sent) == delivered
    async with deps.storage() as uow:
        counts = await uow.outbox.counts(draft.id or 0, MessageKind.NOTICE)
    assert counts[DeliveryStatus.CANCELLED] == withdrawn.cancelled
    assert counts.get(DeliveryStatus.PENDING, 0) == counts.get(DeliveryStatus.SENDING, 0) == 0
    assert (
        counts.get(DeliveryStatus.SENT, 0) + counts.get(DeliveryStatus.BLOCKED, 0) == 46 - withdrawn.cancelled
    )
    chats = [s.chat_id for s in api.sent]
    assert len(chats) == len(set(chats))  # nothing twice
