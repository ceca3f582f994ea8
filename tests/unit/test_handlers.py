"""Handlers through the dispatcher, on a fresh SQLite database: what people see, and what is stored."""

from __future__ import annotations

from bot.config import Settings
from bot.domain.messages import Sender, ToChat, ToDepartment, ToOfficer, ToSender
from bot.domain.tickets import Action, Status
from tests.conftest import Clock
from tests.world import DEMAND, HAIYUE, WANG, WU, XINYUAN, make_world, own


async def test_demand_opens_a_ticket_for_the_liaison_and_says_when(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    replies = await w.say(XINYUAN, DEMAND)
    assert "#1" in own(replies)
    assert "王磊" in own(replies)
    # urgent, opened Monday 10:00 in Xiamen: contact within 4 working hours (10:00-12:00, lunch,
    # 13:30-15:30), resolve within one working day
    assert "11月23日 15:30" in own(replies)
    assert "11月24日 10:00" in own(replies)
    notices = [r for r in replies if isinstance(r.to, ToOfficer)]
    assert [n.to for n in notices] == [ToOfficer("wang_lei")]
    assert "/take 1" in notices[0].text
    assert await w.status(1) is Status.DISPATCHED
    assert await w.events(1) == [Action.CREATE, Action.DISPATCH]
    async with w.storage() as uow:
        logged = await uow.messages.get(1)
    assert logged is not None
    assert logged.ticket_number == 1  # the message log links the message to its ticket


async def test_without_liaison_the_department_group_is_told(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    replies = await w.say(HAIYUE, "出口退税一直没到账，资金很紧张，希望帮忙协调")
    assert [r.to for r in replies if not isinstance(r.to, ToSender)] == [ToDepartment("tax_bureau")]
    assert "区税务局" in own(replies)


async def test_status_lists_own_enterprise_tickets_only(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    await w.say(XINYUAN, DEMAND)
    await w.say(HAIYUE, "厂房租金太高，需要协调新的用地")
    mine = own(await w.say(XINYUAN, "/status"))
    assert "#1" in mine
    assert "#2" not in mine
    refused = own(await w.say(XINYUAN, "/status 2"))
    assert "没有找到工单 #2" in refused


async def test_the_whole_loop(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    await w.say(XINYUAN, DEMAND)
    assert "#1" in own(await w.say(WANG, "/mine"))
    taken = await w.say(WANG, "/take 1")
    assert ToChat("console", "enterprise:xinyuan") in [r.to for r in taken]
    replied = await w.say(WANG, "/reply 1 已对接建行，明天上门")
    to_enterprise = [r for r in replied if isinstance(r.to, ToChat)]
    assert "已对接建行，明天上门" in to_enterprise[0].text
    resolved = await w.say(WANG, "/resolve 1 建行已审批，本周放款")
    survey = next(r for r in resolved if isinstance(r.to, ToChat))
    assert [b.payload for b in survey.buttons] == [
        "survey:1:r:resolved",
        "survey:1:r:partly",
        "survey:1:r:not_resolved",
    ]
    asked = await w.say(XINYUAN, "1", payload=survey.buttons[0].payload)
    assert next(b.payload for r in asked for b in r.buttons) == "survey:1:s:satisfied"
    closed = await w.say(XINYUAN, "1", payload="survey:1:s:satisfied")
    assert "已办结" in own(closed)
    assert [r.to for r in closed if not isinstance(r.to, ToSender)] == [ToOfficer("wang_lei")]
    assert await w.status(1) is Status.CLOSED
    assert await w.events(1) == [
        Action.CREATE,
        Action.DISPATCH,
        Action.TAKE,
        Action.REPLY,
        Action.RESOLVE,
        Action.START_SURVEY,
        Action.ANSWER_RESOLUTION,
        Action.ANSWER_SATISFACTION,
    ]
    history = own(await w.say(WANG, "/history 1"))
    assert history.count("\n") == 8
    # the audit keeps ids ("industry_it/wang_lei"); the reader is shown names
    assert "区工业和信息化局 / 王磊" in history
    assert "industry_it" not in history


async def test_not_resolved_reopens_with_the_reason(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    await w.say(XINYUAN, DEMAND)
    await w.say(WANG, "/take 1")
    await w.say(WANG, "/resolve 1 已处理")
    replies = await w.say(XINYUAN, "/notresolved 1 钱还没到账")
    notice = next(r for r in replies if isinstance(r.to, ToOfficer))
    assert "钱还没到账" in notice.text
    assert await w.status(1) is Status.REOPENED


async def test_unauthorised_actions_are_refused_and_change_nothing(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    await w.say(XINYUAN, DEMAND)
    before = await w.events(1)
    assert "工作人员使用的命令" in own(await w.say(XINYUAN, "/take 1"))
    assert "无权" in own(await w.say(WU, "/reply 1 我来回复"))  # another department, not assigned
    assert "由其他部门承办" in own(await w.say(WU, "/take 1"))
    await w.say(WANG, "/take 1")
    assert "无权" in own(await w.say(WU, "/resolve 1 好了"))
    assert "企业用户使用的命令" in own(await w.say(WANG, "/confirm 1"))
    assert "没有找到工单 #1" in own(await w.say(HAIYUE, "/confirm 1"))  # not their ticket
    assert await w.events(1) == [*before, Action.TAKE]
    assert await w.status(1) is Status.SIGNED


async def test_mistakes_get_messages_that_say_what_to_do(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    await w.say(XINYUAN, DEMAND)
    assert "用法：/reply 编号 回复内容" in own(await w.say(WANG, "/reply 1"))
    assert "用法：/take 编号" in own(await w.say(WANG, "/take abc"))
    assert "/help" in own(await w.say(WANG, "/frobnicate"))
    assert "请先发送 /take 1 签收" in own(await w.say(WANG, "/reply 1 你好"))
    assert "没有找到工单 #99" in own(await w.say(WANG, "/take 99"))
    assert "/mine" in own(await w.say(WANG, "今天几点开会"))  # officers use commands
    assert "这个按钮已失效" in own(await w.say(XINYUAN, "x", payload="survey:1:bogus"))


async def test_greeting_and_chatter_do_not_open_tickets(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    assert "小二" in own(await w.say(XINYUAN, "你好"))
    assert "没有看懂" in own(await w.say(XINYUAN, "今天天气不错"))
    async with w.storage() as uow:
        assert await uow.tickets.for_enterprise("xinyuan") == []
        kept = [await uow.messages.get(entry_id) for entry_id in (1, 2, 3)]
    assert [m.text if m else None for m in kept] == ["你好", "今天天气不错", None]  # what was said is kept


async def test_unknown_sender_becomes_an_unverified_contact(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    stranger = Sender("telegram", "555", "Alice", language="en-US")
    replies = await w.say(stranger, "We urgently need help with a power outage at our factory")
    text = own(replies)
    assert "ticket #1" in text
    assert "not yet linked to a company" in text
    assert [r.to for r in replies if not isinstance(r.to, ToSender)] == [ToDepartment("industry_it")]
    assert "#1" in own(await w.say(stranger, "/status"))
