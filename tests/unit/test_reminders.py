"""The reminder sweep and the digests, with a fake clock, across China's National Day holiday."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.domain.messages import Reply, ToDepartment, ToOfficer
from bot.domain.tickets import Status
from handlers import officer, reminders
from tests import builders
from tests.conftest import Clock
from tests.fakes import Understood
from tests.world import DEMAND, HAIYUE, WANG, XINYUAN, World, make_world

XIAMEN = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=XIAMEN)


def sent(replies: list[Reply]) -> list[tuple[str, str]]:
    """(recipient, first words) of each message."""
    who = {ToOfficer: "officer_id", ToDepartment: "department_id"}
    return [(getattr(r.to, who[type(r.to)]), r.text.split("：")[0]) for r in replies]


async def urgent_ticket_worked_on(settings: Settings, clock: Clock) -> World:
    """Opened on the evening of Tuesday 29 September 2026 (urgent: resolve within one working
    day, so by Wednesday 18:00, the eve of the National Day holiday), signed and answered the next
    morning: only the resolution clock runs."""
    clock.now = at(2026, 9, 29, 20, 0)
    w = await make_world(settings, clock)
    await w.say(XINYUAN, DEMAND)
    clock.now = at(2026, 9, 30, 9, 30)
    await w.say(WANG, "/take 1")
    await w.say(WANG, "/reply 1 您好，已在对接银行。")
    async with w.storage() as uow:
        ticket = await uow.tickets.get(1)
    assert ticket is not None
    assert ticket.resolve_by == at(2026, 9, 30, 18, 0)
    return w


async def sweep_at(w: World, clock: Clock, moment: datetime) -> list[tuple[str, str]]:
    clock.now = moment
    return sent((await reminders.sweep(w.deps)).replies)


async def test_nothing_is_sent_on_the_holiday_and_the_reminder_comes_next_working_morning(
    settings: Settings, clock: Clock
) -> None:
    w = await urgent_ticket_worked_on(settings, clock)
    # 75% of the 7.5 working hours from Tuesday night (counted from Wednesday 09:00): 5.625 h,
    # so 09:00-12:00 and 13:30-16:07:30
    assert await sweep_at(w, clock, at(2026, 9, 30, 16, 7)) == []
    assert await sweep_at(w, clock, at(2026, 9, 30, 16, 8)) == [("wang_lei", "⏰ 提醒")]
    assert await sweep_at(w, clock, at(2026, 9, 30, 17, 55)) == []  # warned once
    for day in range(1, 8):  # 1-7 October: the golden week
        clock.now = at(2026, 10, day, 10, 0)
        result = await reminders.sweep(w.deps)
        assert (result.replies, result.looked_at) == ([], 0)
        assert result.held_until == at(2026, 10, 8, 9, 0)
    assert await sweep_at(w, clock, at(2026, 10, 8, 9, 0)) == [("wang_lei", "🔔 催办")]
    assert await sweep_at(w, clock, at(2026, 10, 8, 9, 5)) == []


async def test_reminders_repeat_with_backoff_then_the_head_supervises(
    settings: Settings, clock: Clock
) -> None:
    w = await urgent_ticket_worked_on(settings, clock)
    await sweep_at(w, clock, at(2026, 10, 8, 9, 0))
    assert await sweep_at(w, clock, at(2026, 10, 8, 10, 59)) == []
    assert await sweep_at(w, clock, at(2026, 10, 8, 11, 0)) == [("wang_lei", "🔔 第2次催办")]
    assert await sweep_at(w, clock, at(2026, 10, 8, 15, 0)) == []  # the next one at 6 h overdue
    assert await sweep_at(w, clock, at(2026, 10, 8, 16, 30)) == [("wang_lei", "🔔 第3次催办")]
    # one working day overdue is Thursday 18:00, closing time: the head hears on Friday morning
    assert await sweep_at(w, clock, at(2026, 10, 8, 17, 59)) == []
    assert await sweep_at(w, clock, at(2026, 10, 9, 9, 0)) == [("zheng_yu", "📌 督办")]
    supervision = (await reminders.sweep(w.deps, at(2026, 10, 9, 9, 0), dry_run=True)).replies
    assert supervision == []  # claimed: even a dry run shows nothing more


async def test_the_leadership_digest_lists_tickets_three_working_days_late(
    settings: Settings, clock: Clock
) -> None:
    w = await urgent_ticket_worked_on(settings, clock)
    # three working days overdue: 8, 9 and Saturday 10 October (a make-up workday) to 18:00
    result = await reminders.sweep(w.deps, at(2026, 10, 10, 17, 0))
    assert result.reported == []
    result = await reminders.sweep(w.deps, at(2026, 10, 12, 9, 0))
    assert result.reported == [1]
    clock.now = at(2026, 10, 12, 9, 0)
    digests = await reminders.daily_digest(w.deps)
    leaders = [r for r in digests if r.to == ToOfficer("chen_jing")]
    assert len(leaders) == 1
    assert "#1" in leaders[0].text
    assert "已超时 3个工作日" in leaders[0].text


async def test_a_dry_run_sends_and_records_nothing(settings: Settings, clock: Clock) -> None:
    w = await urgent_ticket_worked_on(settings, clock)
    moment = at(2026, 10, 8, 9, 0)
    for _ in range(2):
        dry = await reminders.sweep(w.deps, moment, dry_run=True)
        assert sent(dry.replies) == [("wang_lei", "🔔 催办")]
    assert sent((await reminders.sweep(w.deps, moment)).replies) == [("wang_lei", "🔔 催办")]


async def test_an_unassigned_ticket_is_nudged_in_its_department_with_phones_masked(
    settings: Settings, clock: Clock
) -> None:
    clock.now = at(2026, 11, 23, 9, 0)  # Monday
    w = await make_world(settings, clock)
    text = "出口退税一直没到账，资金很紧张，电话13800001234"
    w.nlu.table[text] = Understood("report_demand", "tax")
    await w.say(HAIYUE, text)
    # not signed for within 4 working hours (by 14:30): the tax bureau's group hears it
    replies = (await reminders.sweep(w.deps, at(2026, 11, 23, 14, 30))).replies
    assert [r.to for r in replies] == [ToDepartment("tax_bureau")]
    assert "签收已超时" in replies[0].text
    assert "13800001234" not in replies[0].text


async def test_a_ticket_waiting_for_the_enterprise_is_not_chased(settings: Settings, clock: Clock) -> None:
    w = await urgent_ticket_worked_on(settings, clock)
    clock.now = at(2026, 9, 30, 10, 0)
    await w.say(WANG, "/ask 1 请提供近三个月的银行流水")
    assert await sweep_at(w, clock, at(2026, 10, 9, 9, 0)) == []
    # asked on 30 September at 10:00 with 6.5 working hours left; answered on 9 October at
    # 10:00: the clock resumes with those 6.5 hours, to 18:00 that day
    clock.now = at(2026, 10, 9, 10, 0)
    await w.say(XINYUAN, "/info 1 流水已上传")
    async with w.storage() as uow:
        ticket = await uow.tickets.get(1)
    assert ticket is not None
    assert ticket.resolve_by == at(2026, 10, 9, 18, 0)
    # a new deadline is a new round: 75% of the (longer) limit has gone, then it runs out
    assert await sweep_at(w, clock, at(2026, 10, 9, 17, 0)) == [("wang_lei", "⏰ 提醒")]
    assert await sweep_at(w, clock, at(2026, 10, 10, 9, 0)) == [("wang_lei", "🔔 催办")]  # a Saturday worked


async def test_the_morning_digest_orders_an_officers_tickets_by_time_left(
    settings: Settings, clock: Clock
) -> None:
    clock.now = at(2026, 11, 23, 9, 0)
    w = await make_world(settings, clock)
    await w.say(XINYUAN, "厂房租金太高，需要协调新的用地")  # land: 15 working days
    await w.say(XINYUAN, DEMAND)  # urgent: one working day
    clock.now = at(2026, 11, 24, 9, 0)
    digests = await reminders.daily_digest(w.deps)
    [mine] = [r for r in digests if r.to == ToOfficer("wang_lei")]
    lines = mine.text.splitlines()[1:]
    assert [line.split()[0] for line in lines] == ["#2", "#1"]
    assert "签收：已超时" in lines[0]
    assert await reminders.daily_digest(w.deps) == []  # once a day
    clock.now = at(2026, 11, 28, 9, 0)  # a Saturday: no digest
    assert await reminders.daily_digest(w.deps) == []


async def test_the_ticket_card_shows_the_working_time_left(settings: Settings, clock: Clock) -> None:
    clock.now = at(2026, 11, 23, 9, 0)
    w = await make_world(settings, clock)
    await w.say(XINYUAN, DEMAND)
    clock.now = at(2026, 11, 23, 10, 0)
    card = "\n".join(r.text for r in await w.say(WANG, "/status 1"))
    assert "⏱ 签收时限 11月23日 11:00：剩余 1小时" in card
    clock.now = at(2026, 11, 24, 9, 15)
    card = "\n".join(r.text for r in await w.say(WANG, "/status 1"))
    assert "⏱ 签收时限 11月23日 11:00：已超时 5小时45分钟" in card  # the most pressing
    card = "\n".join(r.text for r in await w.say(XINYUAN, "/status 1"))
    assert "⏱ 办结时限 11月23日 18:00：已超时 15分钟" in card  # the enterprise's own deadline


async def _overdue_tickets(w: World, *dues: datetime, status: Status = Status.IN_PROGRESS) -> list[int]:
    """In-progress tickets held by wang_lei, signed for and answered: only the resolution clock
    runs, due at those moments."""
    numbers = []
    async with w.storage() as uow:
        if await uow.enterprises.get("acme") is None:
            await uow.enterprises.add(builders.enterprise("acme"))
        contact = await uow.contacts.add(builders.contact("acme", external_id=f"grouping-{dues[0]:%d%H%M}"))
        assert contact.id is not None
        for due in dues:
            opened = due - timedelta(days=7)
            ticket = await uow.tickets.add(
                builders.ticket(
                    contact.id,
                    at=opened,
                    text=f"诉求（时限 {due:%m-%d %H:%M}）",
                    status=status,
                    department_id="industry_it",
                    assignee_id="wang_lei",
                    signed_at=opened,
                    first_contact_at=opened,
                    resolve_by=due,
                )
            )
            numbers.append(ticket.number or 0)
        await uow.commit()
    return numbers


async def test_an_officer_gets_one_message_listing_their_tickets_most_overdue_first(
    settings: Settings, clock: Clock
) -> None:
    clock.now = at(2026, 11, 25, 10, 0)  # Wednesday
    w = await make_world(settings, clock)
    # due an hour ago, on Monday (two working days ago) and yesterday
    hour, monday, tuesday = await _overdue_tickets(
        w, at(2026, 11, 25, 9, 0), at(2026, 11, 23, 10, 0), at(2026, 11, 24, 10, 0)
    )
    replies = (await reminders.sweep(w.deps)).replies
    to_officer = [r for r in replies if r.to == ToOfficer("wang_lei")]
    assert len(to_officer) == 1
    assert to_officer[0].ticket is None  # about several tickets: a reply to it names none
    lines = to_officer[0].text.splitlines()
    assert lines[0] == "⏰ 3 件工单需要您处理，最紧急的在前："
    assert [line.split("「")[0] for line in lines[1:]] == [
        # the first reminders ever sent about them, however late (15, 7.5 and 1 working hours)
        f"🔔 催办：工单 #{monday}",
        f"🔔 催办：工单 #{tuesday}",
        f"🔔 催办：工单 #{hour}",
    ]
    # the two longest overdue also go to the head, in one message
    to_head = [r for r in replies if r.to == ToOfficer("zheng_yu")]
    assert len(to_head) == 1
    assert to_head[0].text.count("📌 督办") == 2


async def test_a_long_list_ends_with_how_many_more_there_are(
    settings: Settings, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reminders, "DETAILED", 2)
    clock.now = at(2026, 11, 25, 10, 0)
    w = await make_world(settings, clock)
    numbers = await _overdue_tickets(w, *(at(2026, 11, 25, 9, minute) for minute in range(5)))
    [reply] = [r for r in (await reminders.sweep(w.deps)).replies if r.to == ToOfficer("wang_lei")]
    lines = reply.text.splitlines()
    assert lines[0] == "⏰ 5 件工单需要您处理，最紧急的在前："
    # the earliest deadlines are the most overdue
    assert [line.split("「")[0] for line in lines[1:3]] == [f"🔔 催办：工单 #{n}" for n in numbers[:2]]
    # the rest by number, most overdue first
    more = "、".join(f"#{n}" for n in numbers[2:])
    assert lines[3:] == [f"……另有 3 条提醒，涉及工单 {more}"]
    # all five were claimed: the next sweep sends nothing about them
    assert (await reminders.sweep(w.deps)).replies == []


async def test_a_long_queue_is_counted_whole_and_listed_in_part(
    settings: Settings, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/mine lists the first QUEUE_LISTED and counts the rest; the morning digest ranks the
    first DIGEST_READ, lists the DETAILED most pressing and counts the rest."""
    monkeypatch.setattr(officer, "QUEUE_LISTED", 3)
    monkeypatch.setattr(reminders, "DIGEST_READ", 4)
    monkeypatch.setattr(reminders, "DETAILED", 2)
    clock.now = at(2026, 11, 25, 10, 0)
    w = await make_world(settings, clock)
    numbers = await _overdue_tickets(w, *(at(2026, 11, 25, 9, minute) for minute in range(5)))
    [mine] = await w.say(WANG, "/mine")
    assert "待办工单（5 件）" in mine.text
    assert [f"#{n}" in mine.text for n in numbers] == [True, True, True, False, False]
    assert "……另有 2 件未列出（先列急件，再按受理先后）。" in mine.text.splitlines()
    clock.now = at(2026, 11, 26, 9, 0)
    [digest] = [r for r in await reminders.daily_digest(w.deps) if r.to == ToOfficer("wang_lei")]
    lines = digest.text.splitlines()
    assert "您有 5 件在办工单" in lines[0]
    # the two most overdue of the four ranked: the earliest deadlines
    assert [line.split()[0] for line in lines[1:3]] == [f"#{numbers[0]}", f"#{numbers[1]}"]
    assert lines[3:] == ["……另有 3 件未列出，发送 /mine 查看待办。"]


async def test_answered_tickets_do_not_crowd_the_digest_out(
    settings: Settings, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The digest reads a limited number of tickets: answered ones, which wait for the enterprise
    and have no limit running, are not among them."""
    monkeypatch.setattr(reminders, "DIGEST_READ", 4)
    clock.now = at(2026, 11, 26, 9, 0)
    w = await make_world(settings, clock)
    await _overdue_tickets(w, *(at(2026, 11, 20, 9, minute) for minute in range(4)), status=Status.REPLIED)
    overdue = await _overdue_tickets(w, *(at(2026, 11, 20, 10, minute) for minute in range(4)))
    [digest] = [r for r in await reminders.daily_digest(w.deps) if r.to == ToOfficer("wang_lei")]
    lines = digest.text.splitlines()
    assert "您有 4 件在办工单" in lines[0]
    assert [line.split()[0] for line in lines[1:]] == [f"#{n}" for n in overdue]


async def test_the_head_is_told_which_tickets_the_unlisted_supervision_is_about(
    settings: Settings, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Supervision goes to the head about others' tickets: the rest are named by number (/mine
    would not show them), up to REFS_LISTED, then how many in all."""
    monkeypatch.setattr(reminders, "DETAILED", 1)
    monkeypatch.setattr(reminders, "REFS_LISTED", 1)
    clock.now = at(2026, 11, 25, 10, 0)
    w = await make_world(settings, clock)
    first, second, _third = await _overdue_tickets(w, *(at(2026, 11, 23, 10, minute) for minute in range(3)))
    [to_head] = [r for r in (await reminders.sweep(w.deps)).replies if r.to == ToOfficer("zheng_yu")]
    lines = to_head.text.splitlines()
    assert lines[1].startswith(f"📌 督办：工单 #{first}")
    assert lines[2:] == [f"……另有 2 条提醒，涉及工单 #{second} 等，共 2 件"]
