"""What free text leads to: clarifying questions, follow-ups on own tickets, a person, bad codes."""

from __future__ import annotations

from bot.config import Settings
from bot.domain.messages import Reply, Sender, ToDepartment, ToOfficer, ToSender
from bot.domain.tickets import Action, Status
from tests.conftest import Clock
from tests.fakes import Understood
from tests.world import DEMAND, HAIYUE, WANG, XINYUAN, World, make_world, own

UNSURE = "那个事情怎么弄"
UNSURE_READING = Understood(
    "report_demand",
    "finance",
    0.35,
    (("report_demand", 0.35), ("policy_inquiry", 0.3), ("out_of_scope", 0.2)),
)


def buttons(replies: list[Reply]) -> list[tuple[str, str]]:
    return [(b.label, b.payload) for r in replies for b in r.buttons]


async def opened(w: World) -> None:
    await w.say(XINYUAN, DEMAND)  # ticket #1, liaison wang_lei


async def test_unsure_message_gets_a_question_not_a_ticket(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    w.nlu.table[UNSURE] = UNSURE_READING
    replies = await w.say(XINYUAN, UNSURE)
    assert "我不太确定您的意思" in own(replies)
    choices = buttons(replies)
    assert [label for label, _ in choices] == [
        "反映困难、请求协调（融资信贷）",
        "咨询政策（融资信贷）",
        "都不是",
    ]
    async with w.storage() as uow:
        assert await uow.tickets.for_enterprise("xinyuan") == []
    # choosing a reading acts on the original text, once
    picked = await w.say(XINYUAN, "1", payload=choices[0][1])
    assert "工单号 #1" in own(picked)
    async with w.storage() as uow:
        ticket = await uow.tickets.get(1)
    assert ticket is not None
    assert ticket.text == UNSURE
    again = await w.say(XINYUAN, "1", payload=choices[0][1])
    assert "按钮已失效" in own(again)
    async with w.storage() as uow:
        assert len(await uow.tickets.for_enterprise("xinyuan")) == 1


async def test_someone_else_cannot_press_the_choice(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    w.nlu.table[UNSURE] = UNSURE_READING
    payload = buttons(await w.say(XINYUAN, UNSURE))[0][1]
    assert "按钮已失效" in own(await w.say(HAIYUE, "1", payload=payload))
    assert "按钮已失效" in own(await w.say(XINYUAN, "1", payload="clarify:999:report_demand"))
    assert "按钮已失效" in own(await w.say(XINYUAN, "1", payload="clarify:1:rm -rf"))


async def test_none_of_these_asks_to_rephrase(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    w.nlu.table[UNSURE] = UNSURE_READING
    payload = buttons(await w.say(XINYUAN, UNSURE))[-1][1]
    assert "换个说法" in own(await w.say(XINYUAN, "3", payload=payload))


async def test_nlu_down_still_offers_a_way_forward(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    w.nlu.down = True
    replies = await w.say(XINYUAN, DEMAND)
    assert len(buttons(replies)) == 4  # demand, progress, a person, none of these
    w.nlu.down = False
    picked = await w.say(XINYUAN, "1", payload=buttons(replies)[0][1])
    assert "工单号 #1" in own(picked)


async def test_invalid_credit_code_is_pointed_out(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    only_code = await w.say(XINYUAN, "91350206MA2Y3K8P14")
    assert own(only_code).startswith("您提供的统一社会信用代码 91350206MA2Y3K8P14 未通过校验")
    with_demand = await w.say(XINYUAN, "我司代码91350206MA2Y3K8P14，急需流动资金贷款200万，请帮忙对接银行")
    assert "未通过校验" in own(with_demand)
    assert "工单号 #1" in own(with_demand)


async def test_progress_of_a_named_or_the_latest_ticket(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    await opened(w)
    w.nlu.table["工单1进度怎么样了"] = Understood("query_status")
    w.nlu.table["有进展吗"] = Understood("query_status")
    w.nlu.table["工单2呢"] = Understood("query_status")
    assert "工单 #1" in own(await w.say(XINYUAN, "工单1进度怎么样了"))
    assert "工单 #1" in own(await w.say(XINYUAN, "有进展吗"))
    await w.say(HAIYUE, "厂房租金太高，需要协调新的用地")  # #2 belongs to another company
    assert "没有找到工单 #2" in own(await w.say(XINYUAN, "工单2呢"))


async def test_urge_records_and_tells_the_handler(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    await opened(w)
    w.nlu.table["都一周了，麻烦快点"] = Understood("urge")
    replies = await w.say(XINYUAN, "都一周了，麻烦快点")
    assert "已为您催办工单 #1" in own(replies)
    notices = [r for r in replies if isinstance(r.to, ToOfficer)]
    assert notices[0].to == ToOfficer("wang_lei")
    assert "都一周了" in notices[0].text
    assert (await w.events(1))[-1] is Action.URGE
    assert await w.status(1) is Status.DISPATCHED
    assert "已为您催办工单 #1" in own(await w.say(XINYUAN, "/urge 1 请尽快"))


async def test_cancel_withdraws_the_latest_open_ticket(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    await opened(w)
    w.nlu.table["不用了，问题解决了，撤回吧"] = Understood("cancel")
    replies = await w.say(XINYUAN, "不用了，问题解决了，撤回吧")
    assert "工单 #1 已按您的要求撤回" in own(replies)
    assert await w.status(1) is Status.CLOSED
    assert "没有办理中的诉求" in own(await w.say(XINYUAN, "不用了，问题解决了，撤回吧"))
    assert "没有办理中的诉求" in own(await w.say(XINYUAN, "/withdraw"))


async def test_staff_cannot_withdraw_or_urge(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    await opened(w)
    assert "企业用户使用的命令" in own(await w.say(WANG, "/withdraw 1"))
    assert await w.status(1) is Status.DISPATCHED


async def test_feedback_goes_to_the_latest_ticket_even_closed(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    w.nlu.table["谢谢王磊，帮了大忙"] = Understood("feedback")
    assert own(await w.say(XINYUAN, "谢谢王磊，帮了大忙")) == "感谢您的反馈！"
    await opened(w)
    await w.say(XINYUAN, "/withdraw 1")
    replies = await w.say(XINYUAN, "谢谢王磊，帮了大忙")
    assert "感谢您对工单 #1 的反馈" in own(replies)
    assert (await w.events(1))[-1] is Action.FEEDBACK


async def test_asking_for_a_person_names_the_liaison(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    w.nlu.table["我想直接和人工聊"] = Understood("human")
    replies = await w.say(XINYUAN, "我想直接和人工聊")
    assert "您的包联干部是 王磊（区工业和信息化局）" in own(replies)
    assert [r.to for r in replies if not isinstance(r.to, ToSender)] == [ToOfficer("wang_lei")]
    without = await w.say(HAIYUE, "我想直接和人工聊")  # no liaison: the service centre
    assert "区企业服务中心" in own(without)
    assert [r.to for r in without if not isinstance(r.to, ToSender)] == [ToDepartment("service_center")]


async def test_policy_inquiry_opens_an_inquiry_ticket_for_the_department(
    settings: Settings, clock: Clock
) -> None:
    w = await make_world(settings, clock)
    stranger = Sender("console", "walk-in")
    w.nlu.table["高新技术企业认定有什么补贴？"] = Understood("policy_inquiry", "innovation")
    replies = await w.say(stranger, "高新技术企业认定有什么补贴？")
    assert [r.to for r in replies if not isinstance(r.to, ToSender)] == [ToDepartment("industry_it")]
    async with w.storage() as uow:
        ticket = await uow.tickets.get(1)
    assert ticket is not None
    assert (ticket.intent, ticket.category) == ("policy_inquiry", "innovation")


async def test_group_posts_mask_phones_but_the_assignee_sees_them(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    with_phone = "出口退税没到账，请联系我 138 0000 1234"
    w.nlu.table[with_phone] = Understood("report_demand", "tax")
    group_post = next(r for r in await w.say(HAIYUE, with_phone) if isinstance(r.to, ToDepartment))
    assert "138****1234" in group_post.text
    assert "138 0000 1234" not in group_post.text
    liaison_post = next(r for r in await w.say(XINYUAN, with_phone) if isinstance(r.to, ToOfficer))
    assert "138 0000 1234" in liaison_post.text


async def test_confidential_tickets_are_hidden_from_colleagues(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    await opened(w)
    zheng = Sender("console", "officer:zheng_yu")  # head of industry_it
    await w.say(WANG, "/take 1")
    assert "已设为保密" in own(await w.say(WANG, "/confidential 1 on"))
    assert "工单 #1" in own(await w.say(zheng, "/status 1"))
    assert "用法" in own(await w.say(WANG, "/confidential 1 maybe"))


async def test_unanswered_surveys_close_as_not_rated(settings: Settings, clock: Clock) -> None:
    from datetime import timedelta

    from handlers.survey import close_unanswered

    w = await make_world(settings, clock)
    await opened(w)
    await w.say(WANG, "/take 1")
    await w.say(WANG, "/resolve 1 已处理")
    assert await close_unanswered(w.deps, timedelta(days=3)) == (0, [])  # not yet
    clock.now += timedelta(days=3, minutes=1)
    closed, notices = await close_unanswered(w.deps, timedelta(days=3))
    assert closed == 1
    assert [n.to for n in notices] == [ToOfficer("wang_lei")]
    assert await w.status(1) is Status.CLOSED
    assert (await w.events(1))[-1] is Action.CLOSE_UNRATED
    async with w.storage() as uow:
        ticket = await uow.tickets.get(1)
    assert ticket is not None
    assert (ticket.resolution, ticket.satisfaction) == (None, None)  # not rated


async def test_officers_can_press_the_buttons_under_notices(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    notice = next(r for r in await w.say(XINYUAN, DEMAND) if isinstance(r.to, ToOfficer))
    assert [b.payload for b in notice.buttons] == ["cmd:take:1"]
    assert "按钮已失效" in own(await w.say(XINYUAN, "1", payload="cmd:take:1"))  # not for enterprises
    assert "按钮已失效" in own(await w.say(WANG, "1", payload="cmd:withdraw:1"))  # not a button command
    assert "您已签收工单 #1" in own(await w.say(WANG, "1", payload="cmd:take:1"))
    extension = await w.say(WANG, "/extend 1 3 需要现场勘查")
    head_notice = next(r for r in extension if isinstance(r.to, ToOfficer))
    zheng = Sender("console", "officer:zheng_yu")
    assert "延期已批准" in own(await w.say(zheng, "1", payload=head_notice.buttons[0].payload))
