"""Issue 15 item 4 over real HTTP against the fake Bot API: two `xiaoer run` runtimes on one
database both run the weekly bulletin job; the leadership chat gets last week's bulletin once (its
text and its .docx), the archive holds it once, and /bulletin gives it again. The bulletin says
exactly what was recorded — counts by category, the cluster of similar demands across
enterprises, what was resolved and how, the blocking points — and never names the company of a
confidential ticket, in the text nor in the .docx."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

from bot.bootstrap import App, build_app
from bot.config import load_settings
from bot.domain.bulletin import scheduled_period
from bot.domain.enterprise import Enterprise
from bot.domain.messages import Role
from bot.domain.tickets import Action, ClosingReason, Outcome, Status, TicketEvent
from bot.scheduler import bulletin_job
from handlers.bulletin.docx_file import docx_text
from tests import builders
from tests.channels.telegram_runtime import TelegramRun, telegram_running
from tests.channels.test_telegram import write_config
from tests.fake_telegram import FakeBotApi

LEAD = 9101  # chen_jing, head of the service centre, and the leadership (config: leadership.officers)
SECRET = "保密精工有限公司"


@dataclass
class TwoRuntimes:
    api: FakeBotApi
    apps: tuple[App, App]
    runs: tuple[TelegramRun, TelegramRun]


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[TwoRuntimes]:
    settings = load_settings(write_config(tmp_path, {"chen_jing": LEAD}, {}))
    api = FakeBotApi()
    await api.start()
    url = f"sqlite+aiosqlite:///{tmp_path / 'tg.db'}"
    first = await build_app(settings, url, load_nlu=False)
    second = await build_app(settings, url, load_nlu=False)
    try:
        async with (
            telegram_running(first.deps, api, {}) as one,
            telegram_running(second.deps, api, {}, poll=False) as other,  # one process polls; both send
        ):
            yield TwoRuntimes(api, (first, second), (one, other))
    finally:
        await first.close()
        await second.close()
        await api.stop()


async def _last_week(app: App) -> dict[str, int]:
    """Last week's demands: three enterprises report the same power cuts (one answered, one of
    them confidential and returned), a fourth asks for an extension on its tax refund."""
    deps = app.deps
    rules, now = deps.bulletin, deps.clock().astimezone(deps.timezone)
    since, _ = scheduled_period(now.replace(tzinfo=None), rules.weekday, rules.at)  # the job's period
    day = datetime.combine(since + timedelta(days=2), time(10), deps.timezone)
    numbers = {}
    async with deps.storage() as uow:
        for key, name in (
            ("p1", "厦门光明电子有限公司"),
            ("p2", "厦门远航物流有限公司"),
            ("p3", SECRET),
            ("p4", "厦门蓝海外贸有限公司"),
        ):
            await uow.enterprises.add(Enterprise(id=key, name=name))
        for key, text, kw in (
            (
                "p1",
                "园区限电，生产线停了，希望协调供电公司",
                {
                    "status": Status.CLOSED,
                    "closing_reason": ClosingReason.RESOLVED,
                    "closed_at": day,
                    "outcome": Outcome.RESOLVED,
                },
            ),
            ("p2", "园区限电，我们的生产线停了", {"status": Status.IN_PROGRESS}),
            ("p3", "园区限电导致生产线停了三天", {"status": Status.RETURNED, "confidential": True}),
            ("p4", "希望加快办理出口退税", {"status": Status.EXTENSION, "category": "tax"}),
        ):
            contact = await uow.contacts.add(builders.contact(key, external_id=key))
            assert contact.id is not None
            ticket = await uow.tickets.add(
                builders.ticket(
                    contact.id, key, at=day, text=text, category=kw.pop("category", "utilities"), **kw
                )
            )
            assert ticket.number is not None
            numbers[key] = ticket.number
        for key, action, to, note in (
            ("p1", Action.RESOLVE, Status.REPLIED, "resolved: 已协调供电公司恢复供电"),
            ("p3", Action.RETURN, Status.RETURNED, "不属于本部门"),
            ("p4", Action.REQUEST_EXTENSION, Status.EXTENSION, "需要税务局复核"),
        ):
            await uow.events.append(
                TicketEvent(
                    numbers[key], day + timedelta(hours=1), "wang_lei", Role.OFFICER, action, None, to, note
                )
            )
        await uow.commit()
    return numbers


async def test_the_weekly_bulletin_reaches_the_leadership_once_and_is_archived(running: TwoRuntimes) -> None:
    api, (first, second) = running.api, running.apps
    numbers = await _last_week(first)
    await asyncio.gather(
        bulletin_job(first.deps, running.runs[0].runtime.outgoing),
        bulletin_job(second.deps, running.runs[1].runtime.outgoing),
    )

    async def backlog() -> int:
        async with first.deps.storage() as uow:
            return await uow.outbox.backlog()

    for _ in range(300):  # until the senders of both runtimes have delivered everything queued
        if not await backlog():
            break
        await asyncio.sleep(0.1)
    assert await backlog() == 0
    texts = [s for s in api.to(LEAD) if "企业诉求动态" in s.text and not s.file]
    documents = [s for s in api.to(LEAD) if s.file]
    assert len(texts) == 1, [s.text[:40] for s in texts]
    assert len(documents) == 1
    text, document = texts[0].text, docx_text(documents[0].file)

    p1, p2, p3, p4 = (numbers[k] for k in ("p1", "p2", "p3", "p4"))
    for said in (text, document):
        assert "本期受理企业诉求 4 条，涉及 4 家企业；办理中 3 条，已答复 0 条，已办结 1 条。" in said
        assert "水电气网：3 条（办理中 2，已答复 0，已办结 1）" in said
        assert "税费：1 条（办理中 1，已答复 0，已办结 0）" in said
        assert f"「生产线停了 / 园区限电」：3 条诉求，3 家企业（#{p1}, #{p2}, #{p3}）" in said
        assert f"#{p1} 厦门光明电子有限公司（水电气网，已解决）：已协调供电公司恢复供电" in said
        assert "本期被退回、仍未办结：1 件" in said
        assert f"#{p3} 某企业（水电气网，已退回待派" in said
        assert "本期申请延期、仍未办结：1 件" in said
        assert f"#{p4} 厦门蓝海外贸有限公司（税费" in said
        assert "本期企业认为未解决或不满意而重新办理：0 件" in said
        assert SECRET not in said
    assert "园区限电" in text

    async with second.deps.storage() as uow:
        archive = await uow.bulletins.listing()
    assert len(archive) == 1
    assert archive[0].built_by == "scheduler"
    assert archive[0].sent
    assert archive[0].markdown.startswith("# 企业诉求动态")
    assert SECRET not in archive[0].markdown

    await api.user_sends(LEAD, "/bulletin")
    await api.wait_until(
        lambda: len([s for s in api.to(LEAD) if "本期受理企业诉求 4 条" in s.text]) == 2,
        "/bulletin's answer",
        30,
    )
    await api.wait_until(lambda: len([s for s in api.to(LEAD) if s.file]) == 2, "the .docx again", 30)
