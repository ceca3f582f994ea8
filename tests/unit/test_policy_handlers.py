"""Policies through the dispatcher on a fresh SQLite database: the /publish conversation, targeting,
the buttons under a notice, questions, reminders, withdrawal, delivery reports."""

from __future__ import annotations

from datetime import timedelta

from bot.config import Settings
from bot.domain.messages import Sender, ToChat, ToDepartment, ToSender
from bot.domain.outbox import DeliveryStatus, MessageKind
from bot.domain.policies import PolicyStatus
from handlers.policy_reminders import policy_reminders
from handlers.policy_status import policy_report
from tests.conftest import Clock
from tests.fakes import Understood
from tests.policy_world import ZHENG, RecordingTransport, outbox, policy_world, sender
from tests.world import HAIYUE, WANG, XINYUAN, World, own

LANJING = Sender("console", "enterprise:lanjing", "Mr. Zhang")
ZHENG_SENDER = Sender("console", ZHENG)


async def draft_and_preview(
    w: World, tags: str = "规模=规上 资质=专精特新", deadline: str = "2026-12-31"
) -> str:
    assert "请发送政策标题" in own(await w.say(ZHENG_SENDER, "/publish"))
    assert "正文" in own(await w.say(ZHENG_SENDER, "2026年专精特新企业奖励"))
    assert "适用对象" in own(await w.say(ZHENG_SENDER, "**对象**：专精特新企业。\n奖励 50 万元。"))
    assert "截止日期" in own(await w.say(ZHENG_SENDER, tags))
    preview = await w.say(ZHENG_SENDER, deadline)
    assert [b.payload for b in preview[0].buttons] == ["pol:publish:1", "pol:discard:1"]
    return own(preview)


async def test_an_officer_publishes_in_chat_and_only_matching_chats_get_it(
    settings: Settings, clock: Clock
) -> None:
    w = await policy_world(settings, clock)
    preview = await draft_and_preview(w)
    # xinyuan (规上, 专精特新) qualifies; the manufacturing group and the district's mixed group
    # hear of it; the group of small traders (小微) does not
    assert "将发送给 2 个企业群；符合条件的企业 1 家，其中 1 家可在线送达，共 3 个会话" in preview
    assert "对象：专精特新企业。" in preview  # Markdown made plain
    assert "已发布" in own(await w.say(ZHENG_SENDER, "", payload="pol:publish:1"))
    assert "不是草稿" in own(await w.say(ZHENG_SENDER, "", payload="pol:publish:1"))  # pressed twice
    assert await outbox(w, 1) == {
        "group:makers": DeliveryStatus.PENDING,
        "group:huli": DeliveryStatus.PENDING,
        "enterprise:xinyuan": DeliveryStatus.PENDING,
    }
    transport = RecordingTransport()
    await sender(w, transport).run(until_idle=True)
    notice = transport.to("enterprise:xinyuan")[0]
    assert "📢 政策通知 · 2026年专精特新企业奖励" in notice.text
    assert "申报截止：2026年12月31日" in notice.text
    assert [b.payload for b in notice.buttons] == ["pol:ack:1", "pol:apply:1", "pol:ask:1"]
    assert sorted(m.chat_id for m in transport.given if m.kind is MessageKind.NOTICE) == [
        "enterprise:xinyuan",
        "group:huli",
        "group:makers",
    ]
    # the publisher is told how it went, once every notice has an outcome (on the channel used)
    report = [m for m in transport.given if m.kind is MessageKind.REPORT]
    assert [(m.chat_id, m.channel) for m in report] == [(ZHENG, "console")]
    assert "已送达 3，失败 0，已屏蔽 0" in report[0].text


async def test_the_draft_conversation_refuses_bad_input_and_can_be_discarded(
    settings: Settings, clock: Clock
) -> None:
    w = await policy_world(settings, clock)
    assert "只有部门负责人" in own(await w.say(WANG, "/publish"))  # an ordinary officer
    assert "/publish" in own(await w.say(ZHENG_SENDER, "/help"))
    assert "/publish" not in own(await w.say(WANG, "/help"))
    await w.say(ZHENG_SENDER, "/publish")
    await w.say(ZHENG_SENDER, "标题")
    assert "继续填写" in own(await w.say(ZHENG_SENDER, "/publish"))  # resumed, not started again
    await w.say(ZHENG_SENDER, "正文")
    assert "没能识别“颜色=红”" in own(await w.say(ZHENG_SENDER, "颜色=红"))
    await w.say(ZHENG_SENDER, "不限")
    assert "已经过去" in own(await w.say(ZHENG_SENDER, "2026-01-01"))
    assert "没能识别日期" in own(await w.say(ZHENG_SENDER, "明年"))
    preview = own(await w.say(ZHENG_SENDER, "无"))
    assert "符合条件的企业 4 家" in preview  # open to all
    assert "确认发布" in own(await w.say(ZHENG_SENDER, "还要改吗"))
    assert "按钮已失效" not in own(await w.say(HAIYUE, "", payload="pol:discard:1"))
    assert "只有起草人" in own(await w.say(WANG, "", payload="pol:discard:1"))
    assert "已放弃草稿《标题》" in own(await w.say(ZHENG_SENDER, "/publish cancel"))
    async with w.storage() as uow:
        policy = await uow.policies.get(1)
    assert policy is not None
    assert policy.status is PolicyStatus.WITHDRAWN
    assert "/help" in own(await w.say(ZHENG_SENDER, "随便说点什么"))  # no draft: the usual answer


async def publish_and_send(w: World, transport: RecordingTransport | None = None) -> RecordingTransport:
    await draft_and_preview(w)
    await w.say(ZHENG_SENDER, "", payload="pol:publish:1")
    transport = transport or RecordingTransport()
    await sender(w, transport).run(until_idle=True)
    return transport


async def test_acknowledge_apply_and_ask_under_a_notice(settings: Settings, clock: Clock) -> None:
    w = await policy_world(settings, clock)
    await publish_and_send(w)
    assert "已确认收到《2026年专精特新企业奖励》" in own(await w.say(XINYUAN, "", payload="pol:ack:1"))
    await w.say(XINYUAN, "", payload="pol:ack:1")  # twice: counted once
    applied = await w.say(XINYUAN, "", payload="pol:apply:1")
    assert "工单号 #1，已转交区工业和信息化局" in own(applied)
    post = next(r for r in applied if isinstance(r.to, ToDepartment))
    # the issuing department gets it, not the enterprise's liaison officer's queue
    assert post.to == ToDepartment("industry_it")
    assert "【政策申报 P1】申报《2026年专精特新企业奖励》" in post.text
    assert [b.payload for b in post.buttons] == ["cmd:take:1"]
    assert "已申报" in own(await w.say(XINYUAN, "", payload="pol:apply:1"))  # once per enterprise
    async with w.storage() as uow:
        ticket = await uow.tickets.get(1)
        assert await uow.tickets.get(2) is None
    assert ticket is not None
    assert (ticket.category, ticket.department_id, ticket.assignee_id) == ("subsidy", "industry_it", None)
    # an enterprise that does not qualify may still apply: the officers see what it lacks
    unqualified = await w.say(HAIYUE, "", payload="pol:apply:1")
    assert (
        "按登记信息，该企业不满足：规模、资质"
        in next(r for r in unqualified if isinstance(r.to, ToDepartment)).text
    )
    # a question: the next message is it, and goes to the issuing department
    prompt = own(await w.say(LANJING, "", payload="pol:ask:1"))  # an English-speaking contact
    assert 'Please send your question about "2026年专精特新企业奖励"' in prompt
    asked = await w.say(LANJING, "Do software companies qualify?")
    assert "ticket #3" in own(asked)
    assert [r.to for r in asked if not isinstance(r.to, ToSender)] == [ToDepartment("industry_it")]
    report = await policy_report(w.deps, 1)
    assert (report.acknowledgements, report.acknowledging_enterprises) == (1, 1)
    assert [r.ticket_number for r in report.applications] == [1, 2]
    assert report.questions == 1
    assert (report.groups_reached, report.enterprises_reached) == (2, 1)


async def test_a_press_in_a_group_is_answered_privately(settings: Settings, clock: Clock) -> None:
    w = await policy_world(settings, clock)
    await publish_and_send(w)
    from bot.domain.messages import Inbound
    from handlers.dispatch import handle

    pressed = Inbound(XINYUAN, "group:makers", "", clock(), payload="pol:ack:1")
    replies = await handle(pressed, w.deps)
    assert [r.to for r in replies] == [ToChat("console", "enterprise:xinyuan")]


async def test_questions_are_answered_from_the_registry_or_passed_on(
    settings: Settings, clock: Clock
) -> None:
    w = await policy_world(settings, clock)
    await publish_and_send(w)
    question = "专精特新企业有什么奖励政策？"
    w.nlu.table[question] = Understood("policy_inquiry", "subsidy")
    answered = await w.say(XINYUAN, question)
    text = own(answered)
    assert "为您找到 1 项相关政策" in text
    assert "P1《2026年专精特新企业奖励》" in text
    assert "申报截止：2026年12月31日" in text
    assert "办理方式" in text
    assert next(b.payload for b in answered[0].buttons) == "pol:apply:1"
    async with w.storage() as uow:
        assert await uow.tickets.get(1) is None  # answered: no ticket
    # the asker's eligibility counts: the policy is not offered to a company that does not qualify
    passed_on = await w.say(HAIYUE, question)
    assert "暂未找到与您的问题相符的已发布政策" in own(passed_on)
    assert "工单号 #1" in own(passed_on)
    # a question about something the registry does not cover opens an inquiry ticket
    other = "出口信用保险的保费有补贴吗"
    w.nlu.table[other] = Understood("policy_inquiry", "trade")
    elsewhere = await w.say(XINYUAN, other)
    assert "暂未找到" in own(elsewhere)
    async with w.storage() as uow:
        ticket = await uow.tickets.get(2)
    assert ticket is not None
    assert (ticket.intent, ticket.category) == ("policy_inquiry", "trade")
    # "none of these": the answered question becomes a ticket, once
    person = answered[0].buttons[-1].payload
    assert person.startswith("polq:")
    assert "工单号 #3" in own(await w.say(XINYUAN, "", payload=person))
    assert "按钮已失效" in own(await w.say(XINYUAN, "", payload=person))


async def test_reminders_go_once_to_those_who_have_not_applied(settings: Settings, clock: Clock) -> None:
    w = await policy_world(settings, clock)
    await draft_and_preview(w, tags="不限", deadline="2026-12-10")
    await w.say(ZHENG_SENDER, "", payload="pol:publish:1")
    await w.say(XINYUAN, "", payload="pol:apply:1")
    early = await policy_reminders(w.deps, clock())
    assert (early.policies, early.queued) == (0, 0)  # 17 days ahead: not yet
    clock.now += timedelta(days=11)
    due = await policy_reminders(w.deps, clock())
    assert (due.policies, due.queued) == (1, 3)  # haiyue, lanjing, tongxin; xinyuan applied
    again = await policy_reminders(w.deps, clock() + timedelta(days=1))
    assert again.queued == 0  # each chat once
    reminders = await outbox(w, 1, MessageKind.REMINDER)
    assert sorted(reminders) == ["enterprise:haiyue", "enterprise:lanjing", "enterprise:tongxin"]
    transport = RecordingTransport()
    await sender(w, transport).run(until_idle=True)
    reminder = transport.to("enterprise:lanjing")[-1]
    assert "Deadline reminder · 2026年专精特新企业奖励" in reminder.text  # in the contact's language
    assert "6 days left" in reminder.text
    assert [b.payload for b in reminder.buttons] == ["pol:apply:1", "pol:ask:1"]
    clock.now += timedelta(days=30)
    assert (await policy_reminders(w.deps, clock())).policies == 0  # the deadline has passed


async def test_withdrawing_cancels_what_is_not_sent_and_closes_the_buttons(
    settings: Settings, clock: Clock
) -> None:
    from handlers.policy_publish import withdraw

    w = await policy_world(settings, clock)
    await draft_and_preview(w)
    await w.say(ZHENG_SENDER, "", payload="pol:publish:1")
    withdrawn = await withdraw(w.deps, 1)
    assert withdrawn.cancelled == 3
    transport = RecordingTransport()
    await sender(w, transport).run(until_idle=True)
    assert transport.given == []
    assert "已撤回" in own(await w.say(XINYUAN, "", payload="pol:apply:1"))
    assert set((await outbox(w, 1)).values()) == {DeliveryStatus.CANCELLED}


async def test_a_clarified_policy_question_is_answered_and_can_still_go_to_a_person(
    settings: Settings, clock: Clock
) -> None:
    w = await policy_world(settings, clock)
    await publish_and_send(w)
    unsure = "专精特新奖励"
    w.nlu.table[unsure] = Understood(
        "report_demand", "subsidy", confidence=0.4, ranking=(("report_demand", 0.4), ("policy_inquiry", 0.35))
    )
    question = await w.say(XINYUAN, unsure)
    choice = next(b.payload for b in question[0].buttons if b.payload.endswith(":policy_inquiry"))
    answered = await w.say(XINYUAN, "", payload=choice)
    assert "P1《2026年专精特新企业奖励》" in own(answered)
    person = answered[0].buttons[-1].payload
    assert "工单号 #1" in own(await w.say(XINYUAN, "", payload=person))
    assert "按钮已失效" in own(await w.say(XINYUAN, "", payload=person))
