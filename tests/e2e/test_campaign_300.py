"""Issue 15's "done when", end to end on the fake Bot API: 300 enterprises and 12 officers imported
from generated spreadsheets with the real `xiaoer import`; a key-support campaign and the main one
made with `xiaoer campaign create` (the main one targets the imported .xlsx itself, each enterprise
to its liaison officer); 40 visits recorded through chat, the twelve officers at once, with demands
(tickets opened and routed; the bound enterprises told, the officer told when nobody could be),
opinions and project plans; coverage read from `/campaign status` after every round, exact; the
tickets answered (one confirmed resolved by its enterprise, one marked confidential); a contact who
binds afterwards takes over its ticket; the morning digest, its clock moved ahead, reminds exactly
the officers behind the pace; the final report (.xlsx row per enterprise, the chart) from chat and
from `xiaoer campaign report`, and the bulletin from `xiaoer campaign bulletin`, holding exactly
what was recorded, the confidential ticket's company named nowhere.

What is expected is counted here from the plan of visits below, not read back from the code."""

from __future__ import annotations

import asyncio
import io
import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from openpyxl import load_workbook

from bot.bootstrap import build_app
from bot.config import load_settings
from bot.scheduler import digest_job
from tests import org_sheets_data as data
from tests.channels.telegram_runtime import telegram_running
from tests.conftest import ROOT
from tests.e2e.test_shell import xiaoer_ok
from tests.fake_telegram import FakeBotApi, Sent

OFFICERS, ENTERPRISES, ASSIGNED = 12, 300, 25  # each officer is liaison of every 12th enterprise
LEAD = 9101  # chen_jing, head of the service centre, the campaign's lead and the leadership
OFFICER_CHAT = 9_000_000  # + i: officer gbNNN's Telegram account (tests/org_sheets_data.py)
PERSON_CHAT = 800_000  # + n: a person of enterprise n who binds through an invite
VISITED = range(40)  # enterprise n is visited by its liaison officer gb{n % 12}, in rounds of k = n // 12
BOUND_BEFORE = (0, 1, 8)  # their people bind before the visits, and hear of the demands
BOUND_AFTER = 12  # binds after its visit: takes over the ticket opened for it
CONFIDENTIAL = 4  # its ticket is marked confidential: the bulletin names no company for it
RESOLVED = 0  # its ticket is answered and the enterprise confirms it resolved and is satisfied
ANSWERED = 8  # its ticket is answered; the enterprise has not confirmed yet


def name(n: int) -> str:
    return f"厦门测试{n:06d}号科技有限公司"


def officer(n: int) -> int:
    return n % OFFICERS


@dataclass(frozen=True)
class Planned:
    """What the officer brings back from enterprise n: a demand on every 4th, an opinion on every
    3rd, a project plan on every 5th."""

    n: int

    @property
    def demand(self) -> str | None:
        return f"企业{self.n}号：新厂房用电需要扩容，希望协调供电公司" if self.n % 4 == 0 else None

    @property
    def opinion(self) -> str | None:
        return f"企业{self.n}号：希望多组织政策宣讲会" if self.n % 3 == 0 else None

    @property
    def plan(self) -> str | None:
        return f"企业{self.n}号：明年投资建设二期厂房" if self.n % 5 == 0 else None

    @property
    def met(self) -> str:
        return f"总经理{self.n}号"

    @property
    def situation(self) -> str:
        return f"企业{self.n}号订单饱满，用工紧张"


PLAN = [Planned(n) for n in VISITED]


def counted(visited: list[Planned]) -> tuple[int, int, int]:
    """(visits, demands, notes) the plan says for those visits."""
    demands = sum(1 for p in visited if p.demand)
    notes = sum(1 for p in visited if p.opinion) + sum(1 for p in visited if p.plan)
    return len(visited), demands, notes


class Chats:
    """People on the fake Bot API, each waiting for the bot's next answer in their own chat (the
    same question comes back visit after visit, so an answer is looked for among the new ones)."""

    def __init__(self, api: FakeBotApi) -> None:
        self.api = api

    async def says(self, chat: int, text: str, expect: str, within: float = 60.0) -> Sent:
        seen = len(self.api.to(chat))
        await self.api.user_sends(chat, text)
        return await self.after(chat, seen, expect, within)

    async def presses(self, chat: int, sent: Sent, data: str, expect: str, within: float = 60.0) -> Sent:
        seen = len(self.api.to(chat))
        await self.api.user_presses(chat, sent, data)
        return await self.after(chat, seen, expect, within)

    async def after(self, chat: int, seen: int, expect: str, within: float = 60.0) -> Sent:
        deadline = time.monotonic() + within
        while True:
            for sent in self.api.to(chat)[seen:]:
                if expect in sent.text:
                    return sent
            if time.monotonic() > deadline:
                texts = "\n".join(s.text[:100] for s in self.api.to(chat)[seen:])
                raise AssertionError(f"no message to {chat} with {expect!r} after #{seen}; since:\n{texts}")
            await asyncio.sleep(0.05)


def _config(tmp_path: Path) -> Path:
    document = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    for person in document["officers"]:
        if person["id"] == "chen_jing":
            person["identities"] = {"telegram": LEAD}
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return config


def _period(today: date, is_working_day: Callable[[date], bool]) -> tuple[date, date, date]:
    """(first day, last day, the digest's day): the digest's day is the next working day, g days
    into a period of P days with 3·P < 25·g ≤ 4·P, so that an officer with 4 of 25 visited keeps
    the even pace there and one with 3 falls behind it (bot.domain.campaigns.Campaign.behind_pace)."""
    digest_day = today + timedelta(days=1)
    while not is_working_day(digest_day):
        digest_day += timedelta(days=1)
    gone = max(4, (digest_day - today).days)
    days = gone * 50 // 7
    assert 3 * days < ASSIGNED * gone <= 4 * days
    first = digest_day - timedelta(days=gone)
    return first, first + timedelta(days=days - 1), digest_day


async def test_a_campaign_over_300_imported_enterprises_from_visits_to_the_bulletin(tmp_path: Path) -> None:
    config = _config(tmp_path)
    db = tmp_path / "campaign.db"
    url = f"sqlite+aiosqlite:///{db}"

    def run(*args: str) -> str:
        return xiaoer_ok(*args, "-d", url, cwd=tmp_path, config=config)

    write = data.write
    write(tmp_path / "officers.xlsx", data.OFFICER_HEADERS, data.officer_rows(OFFICERS))
    enterprises = write(
        tmp_path / "enterprises.xlsx", data.ENTERPRISE_HEADERS, data.enterprise_rows(ENTERPRISES, OFFICERS)
    )
    write(tmp_path / "contacts.xlsx", data.CONTACT_HEADERS, data.contact_rows(ENTERPRISES, 1))
    assert "新增 12" in run("import", "officers", "officers.xlsx")
    assert "新增 300" in run("import", "enterprises", "enterprises.xlsx")
    assert "新增 300" in run("import", "contacts", "contacts.xlsx")  # on the roster: no chat yet

    settings = load_settings(config)
    zone = ZoneInfo(settings.timezone)
    today = datetime.now(UTC).astimezone(zone).date()
    first, last, digest_day = _period(today, settings.sla_policy().calendar.is_working_day)
    period = ("--from", first.isoformat(), "--to", last.isoformat(), "--lead", "chen_jing")
    # every 7th enterprise is on the key-support list: 43 of the 300
    key = run("campaign", "create", "重点帮扶走访", *period, "--key-support", "--list", enterprises.name)
    assert key.strip() == "C1 重点帮扶走访: 43 targets, 0 unassigned"
    main = run("campaign", "create", "千企走访", *period, "--list", enterprises.name)
    assert main.strip() == "C2 千企走访: 300 targets, 0 unassigned"

    api = FakeBotApi()
    await api.start()
    app = await build_app(settings, url)
    chats = Chats(api)
    tickets: dict[int, int] = {}  # enterprise n -> the number of the ticket its demand opened
    try:
        async with telegram_running(app.deps, api) as running:
            assert "已结束" in (await chats.says(LEAD, "/campaign close 1", "C1")).text
            heading = (await chats.says(LEAD, "/campaign status 1", "C1")).text.splitlines()[0]
            assert heading.endswith("已结束）"), heading  # no days left to a closed campaign

            for n in BOUND_BEFORE:
                await _binds(chats, n)

            async def visits(officer_index: int, k: int) -> None:
                n = officer_index + OFFICERS * k
                if n in VISITED:
                    await _visit(chats, PLAN[n], tickets)

            for k, expected_visits in enumerate((12, 24, 36, 40)):
                await asyncio.gather(*(visits(i, k) for i in range(OFFICERS)))
                visited = [p for p in PLAN if p.n // OFFICERS <= k]
                assert counted(visited)[0] == expected_visits
                await _status_is_exact(chats, visited, resolved=0)

            # what the bound enterprises heard, and what the officer heard when nobody could be told
            for n in BOUND_BEFORE:
                if (demand := PLAN[n].demand) is not None:
                    told = await chats.after(PERSON_CHAT + n, 0, f"已为您建立工单 #{tickets[n]}")
                    assert demand in told.text
            untold = await chats.after(
                OFFICER_CHAT + officer(BOUND_AFTER), 0, f"工单 #{tickets[BOUND_AFTER]}（"
            )
            assert "该企业还没有人绑定小二（名册上有联系人 1 位），无法通知企业" in untold.text

            async with app.deps.storage() as uow:
                for n, number in tickets.items():
                    ticket = await uow.tickets.get(number)
                    assert ticket is not None
                    assert (ticket.enterprise_id, ticket.assignee_id) == (
                        data.credit_code(n).lower(),
                        f"gb{officer(n):03d}",
                    )  # routed to its liaison officer, who visited it
                    assert (ticket.channel == "visit") == (n not in BOUND_BEFORE)

            await asyncio.gather(*(_answer(chats, n, tickets[n]) for n in sorted(tickets)))
            closed = await chats.after(PERSON_CHAT + RESOLVED, 0, "已办结")
            assert f"#{tickets[RESOLVED]}" in closed.text
            await _status_is_exact(chats, PLAN, resolved=1)

            # a person of an enterprise visited before anyone bound it takes over its ticket
            handed = await _binds(chats, BOUND_AFTER, expect="走访中为贵企业记录了 1 条诉求")
            assert re.search(rf"#{tickets[BOUND_AFTER]} (【急】)?\[办理中\]", handed.text), handed.text

            # the morning digest on a working day ahead: those behind the even pace, and only they
            # a fixed moment of that day: the wall clock plus whole days lands on the day after when
            # the test runs over midnight, perhaps a day off (no digest) and a day less left
            digest_at = datetime.combine(digest_day, clock_time(10), zone)
            later = replace(app.deps, clock=lambda: digest_at)
            await digest_job(later, running.runtime.outgoing)
            progress = await chats.after(LEAD, 0, "走访活动今日进度")
            assert (
                f"C2「千企走访」（剩余 {(last - digest_day).days + 1} 天）：已走访 40/300，剩余 260"
                in progress.text
            )
            for i in range(OFFICERS):
                if i < 4:  # 4 of 25 visited: on pace
                    continue
                reminder = await chats.after(OFFICER_CHAT + i, 0, "走访进度落后")
                mine = range(i, ENTERPRISES, OFFICERS)
                assert "您还有 22 家企业待走访" in reminder.text
                assert all((name(n) in reminder.text) == (n not in VISITED) for n in mine), reminder.text
            with sqlite3.connect(db) as conn:  # all the digest said is in the outbox: no more reminders
                reminded = conn.execute(
                    "SELECT chat_id FROM outbox WHERE text LIKE '%走访进度落后%'"
                ).fetchall()
            assert sorted(int(chat) for (chat,) in reminded) == [OFFICER_CHAT + i for i in range(4, OFFICERS)]

            # the final report from chat: the status, the .xlsx and the chart
            seen = len(api.to(LEAD))
            await api.user_sends(LEAD, "/campaign report 2")
            await api.wait_until(
                lambda: sum(1 for s in api.to(LEAD)[seen:] if s.file) == 2, "the report files", 60
            )
            files = [s for s in api.to(LEAD)[seen:] if s.file]
            _report_is_exact(files[0].file, tickets)
            assert files[1].file.startswith(b"\x89PNG")
        async with app.deps.storage() as uow:
            by_day = await uow.campaigns.visits_by_day(2)
        assert by_day == [(today, 40)]  # the chart's one point
    finally:
        await app.close()
        await api.stop()

    report = run("campaign", "report", "C2", "-o", "report.xlsx", "--chart", "chart.png")
    assert "合计 已走访 40/300，剩余 260，完成 13.3%" in report
    assert "收集诉求 10 条（已办结 1 条），意见建议和项目计划 22 条" in report
    _report_is_exact((tmp_path / "report.xlsx").read_bytes(), tickets)
    assert (tmp_path / "chart.png").read_bytes().startswith(b"\x89PNG")

    run("campaign", "bulletin", "--campaign", "2", "--output-dir", str(tmp_path))
    _bulletin_is_exact((tmp_path / "xiaoer-bulletin-2.md").read_text("utf-8"), tickets)


async def _binds(chats: Chats, n: int, expect: str = "绑定成功") -> Sent:
    """The lead invites a person of enterprise n, who redeems the code in their own chat."""
    invited = await chats.says(LEAD, f"/invite {data.credit_code(n).lower()}", "/start ")
    code = re.search(r"/start ([A-Za-z0-9_-]{12})", invited.text)
    assert code is not None, invited.text
    return await chats.says(PERSON_CHAT + n, f"/start {code.group(1)}", expect)


async def _visit(chats: Chats, planned: Planned, tickets: dict[int, int]) -> None:
    """The officer records the visit question by question, as they leave the company."""
    me = OFFICER_CHAT + officer(planned.n)
    started = await chats.says(me, f"/visit {data.credit_code(planned.n)}", "走访日期")
    assert "C2 千企走访" in (await chats.after(me, 0, f"{name(planned.n)}（C2")).text, started.text
    await chats.says(me, "今天", "见到了谁")
    await chats.says(me, planned.met, "一句话")
    await chats.says(me, planned.situation, "逐条发送")
    if planned.demand:
        opened = await chats.says(me, f"诉求：{planned.demand}", "已为企业建立工单 #")
        number = re.search(r"工单 #(\d+)", opened.text)
        assert number is not None
        tickets[planned.n] = int(number.group(1))
        told = "已通知企业的 1 位联系人" if planned.n in BOUND_BEFORE else "无法通知企业"
        assert told in opened.text, opened.text
    if planned.opinion:
        await chats.says(me, f"意见：{planned.opinion}", "已记录意见建议")
    if planned.plan:
        await chats.says(me, f"项目：{planned.plan}", "已记录项目计划")
    demands, opinions, plans = (int(bool(x)) for x in (planned.demand, planned.opinion, planned.plan))
    await chats.says(me, "/done", f"诉求 {demands} 条，意见建议 {opinions} 条，项目计划 {plans} 条")


async def _status_is_exact(chats: Chats, visited: list[Planned], resolved: int) -> None:
    count, demands, notes = counted(visited)
    status = await chats.says(LEAD, "/campaign status 2", "走访活动 C2「千企走访」")
    text = status.text
    percent = f"{round(100 * count / ENTERPRISES, 1):.1f}"
    assert f"合计 已走访 {count}/300，剩余 {300 - count}，完成 {percent}%" in text, text
    assert f"收集诉求 {demands} 条（已办结 {resolved} 条），意见建议和项目计划 {notes} 条" in text, text
    for i in range(OFFICERS):
        mine = sum(1 for p in visited if officer(p.n) == i)
        share = f"{round(100 * mine / ASSIGNED, 1):.1f}"
        assert f"· 干部{i:03d}: 已走访 {mine}/25，剩余 {25 - mine}，完成 {share}%" in text, text


async def _answer(chats: Chats, n: int, number: int) -> None:
    """The liaison officer takes the ticket and replies; some are answered with a result."""
    me = OFFICER_CHAT + officer(n)
    await chats.says(me, f"/take {number}", f"您已签收工单 #{number}")
    replied = await chats.says(me, f"/reply {number} 已对接供电公司，下周上门勘查", f"工单 #{number}")
    assert ("这条消息暂时无人接收" in replied.text) == (n not in BOUND_BEFORE), replied.text
    if n == CONFIDENTIAL:
        await chats.says(me, f"/confidential {number} on", f"工单 #{number} 已设为保密")
    if n in (RESOLVED, ANSWERED):
        await chats.says(me, f"/resolve {number} 供电公司已完成扩容方案", f"工单 #{number} 已答复")
    if n == RESOLVED:
        person = PERSON_CHAT + n
        asked = await chats.after(person, 0, f"工单 #{number} 办理结果")
        satisfied = await chats.presses(person, asked, asked.buttons[0][1], "是否满意")
        await chats.presses(person, satisfied, satisfied.buttons[0][1], "已办结")


def _report_is_exact(workbook: bytes, tickets: dict[int, int]) -> None:
    """A row per target enterprise; the visited ones with whom the officer met, the situation and
    how many demands and notes; the others empty."""
    sheet = load_workbook(io.BytesIO(workbook)).worksheets[1]
    header, *rows = list(sheet.iter_rows(values_only=True))
    column = {title: index for index, title in enumerate(header)}
    assert len(rows) == ENTERPRISES
    by_name = {row[column["企业"]]: row for row in rows}
    for n in range(ENTERPRISES):
        row = by_name[name(n)]
        assert row[column["统一社会信用代码"]] == data.credit_code(n)
        if n in VISITED:
            planned = PLAN[n]
            _, demands, notes = counted([planned])
            assert (row[column["接待人"]], row[column["企业情况"]]) == (planned.met, planned.situation)
            assert (row[column["诉求"]], row[column["意见和项目"]]) == (demands, notes)
        else:
            assert (row[column["接待人"]], row[column["诉求"]], row[column["意见和项目"]]) == (None, 0, 0)
    assert len(tickets) == 10


def _bulletin_is_exact(text: str, tickets: dict[int, int]) -> None:
    """Every item that was recorded, counted; the confidential ticket's company nowhere."""
    assert "- 合计 已走访 40/300，剩余 260，完成 13.3%" in text
    assert "- 共 10 条：办理中 8 条，已答复 1 条，已办结 1 条" in text
    for n, number in tickets.items():
        who = "（保密企业）" if n == CONFIDENTIAL else name(n)
        assert f"- #{number} {who}: {PLAN[n].demand}" in text
    assert name(CONFIDENTIAL) not in text
    opinions = [p for p in PLAN if p.opinion]
    plans = [p for p in PLAN if p.plan]
    assert f"## 意见建议\n\n- 共 {len(opinions)} 条\n" in text
    assert f"## 项目计划\n\n- 共 {len(plans)} 条\n" in text
    for p in opinions:
        assert f"- {name(p.n)}: {p.opinion}" in text
    for p in plans:
        assert f"- {name(p.n)}: {p.plan}" in text
