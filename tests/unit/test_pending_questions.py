"""Issue 13, item 3: a new demand is never swallowed by a pending question.

While Xiaoer waits for a company name, a credit code or an answer an officer asked for, a message
that is clearly something else is handled as itself and the question is asked again afterwards
(or dropped with a word, when it no longer has a purpose). Genuine answers still count as answers.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from bot.config import Settings
from bot.domain.messages import Reply, Sender, ToDepartment, ToSender
from bot.domain.tickets import Status
from handlers import verification
from nlu.builtin import BuiltinNlu
from tests.conftest import Clock
from tests.fakes import Understood
from tests.policy_world import policy_world
from tests.unit.test_policy_handlers import publish_and_send
from tests.world import DEMAND, WANG, XINYUAN, World, make_world, own

NEWCOMER = Sender("wecom", "zhangsan", "张总", language="zh-CN")  # every WeCom member starts unbound
SECOND = "另外我们招不到技术工人，想申请人才补贴，需要准备什么材料"
HIRING = "我们公司招工难，缺50个普工"
JOB_FAIR = "能不能帮忙对接一下人社局的招聘会"
ASK_COMPANY = "请问贵公司的全称是"
ASK_USCC = "统一社会信用代码是"


async def world(settings: Settings, clock: Clock) -> World:
    w = await make_world(settings, clock)
    w.nlu.table.update(
        {
            SECOND: Understood("report_demand", "talent", 0.88),
            HIRING: Understood("report_demand", "talent", 0.97),
            JOB_FAIR: Understood("report_demand", "talent", 0.97),
            "鑫源精密": Understood("out_of_scope", None, 0.63),
            "谢谢": Understood("feedback", None, 0.99),
            "都一周了，快点": Understood("urge", None, 0.99),
            "撤回吧": Understood("cancel", None, 0.99),
            "工单1进度？": Understood("query_status", None, 0.99),
            "明天上午有人在": Understood("out_of_scope", None, 0.27),
            "联系电话13800001234": Understood("human", None, 0.99),
            "贷款是用来买设备的，大概需要200万": Understood("report_demand", "finance", 0.9),
        }
    )
    return w


async def claims(w: World, sender: Sender) -> tuple[str | None, str | None, str | None]:
    async with w.storage() as uow:
        contact = await uow.contacts.by_identity(sender.channel, sender.user_id)
    assert contact is not None
    return contact.claimed_company, contact.claimed_uscc, contact.asking


def texts(replies: list[Reply]) -> list[str]:
    return [r.text for r in replies if isinstance(r.to, ToSender)]


async def test_a_second_demand_during_the_company_question_opens_a_second_ticket(
    settings: Settings, clock: Clock
) -> None:
    w = await world(settings, clock)
    assert ASK_COMPANY in own(await w.say(NEWCOMER, DEMAND))
    replies = texts(await w.say(NEWCOMER, SECOND))
    assert "工单号 #2" in replies[0]  # handled as itself: the talent office gets a ticket
    assert ASK_COMPANY in replies[-1]  # and the question comes again, after the handling
    assert await claims(w, NEWCOMER) == (None, None, "company")
    async with w.storage() as uow:
        second = await uow.tickets.get(2)
    assert second is not None
    assert second.category == "talent"
    assert second.text == SECOND


async def test_a_second_demand_during_the_credit_code_question_opens_a_second_ticket(
    settings: Settings, clock: Clock
) -> None:
    w = await world(settings, clock)
    await w.say(NEWCOMER, DEMAND)
    assert ASK_USCC in own(await w.say(NEWCOMER, "厦门鹭江精工机械有限公司"))
    replies = texts(await w.say(NEWCOMER, SECOND))
    assert "工单号 #2" in replies[0]
    assert ASK_USCC in replies[-1]
    assert "没有识别到统一社会信用代码" not in "\n".join(replies)
    assert "谢谢，已记录" in own(await w.say(NEWCOMER, "91350206MA2Y3K8P13"))
    assert await claims(w, NEWCOMER) == ("厦门鹭江精工机械有限公司", "91350206MA2Y3K8P13", None)


async def test_three_quick_messages_each_land_where_meant(settings: Settings, clock: Clock) -> None:
    """The reported session: greeting, a demand, then more about the same demand (not a name)."""
    w = await world(settings, clock)
    assert "您好" in own(await w.say(NEWCOMER, "你好"))
    assert ASK_COMPANY in own(await w.say(NEWCOMER, HIRING))
    replies = await w.say(NEWCOMER, JOB_FAIR)
    said = texts(replies)
    assert "已将您的补充信息添加到工单 #1" in said[0]
    assert [b.payload for b in replies[0].buttons] == ["similar:3:new"]  # or a ticket of its own
    assert ASK_COMPANY in said[-1]
    assert await claims(w, NEWCOMER) == (None, None, "company")
    async with w.storage() as uow:
        assert await uow.tickets.get(2) is None
    # the officers hear it as information on the ticket
    assert any(JOB_FAIR in r.text and r.ticket == 1 for r in replies if not isinstance(r.to, ToSender))
    # "open a ticket of its own" still can: the message was kept
    split = own(await w.say(NEWCOMER, "1", payload="similar:3:new"))
    assert "工单号 #2" in split


async def test_genuine_company_answers_still_count(settings: Settings, clock: Clock) -> None:
    w = await world(settings, clock)
    await w.say(NEWCOMER, DEMAND)
    # a short name without a legal suffix: the NLU sees no demand in it, and it is shaped like a name
    assert ASK_USCC in own(await w.say(NEWCOMER, "鑫源精密"))
    assert await claims(w, NEWCOMER) == ("鑫源精密", None, "uscc")


async def test_a_short_name_the_fake_nlu_calls_a_demand_is_still_a_name(
    settings: Settings, clock: Clock
) -> None:
    """Four characters are no demand, however sure the NLU is: a demand describes a difficulty."""
    w = await world(settings, clock)
    await w.say(NEWCOMER, DEMAND)
    assert ASK_USCC in own(await w.say(NEWCOMER, "鹭江精工"))  # the fake NLU: a confident demand
    assert await claims(w, NEWCOMER) == ("鹭江精工", None, "uscc")


async def test_a_name_given_in_a_sentence_keeps_the_name_only(settings: Settings, clock: Clock) -> None:
    w = await world(settings, clock)
    await w.say(NEWCOMER, DEMAND)
    assert ASK_USCC in own(await w.say(NEWCOMER, "我们是厦门鹭江精工机械有限公司"))
    assert await claims(w, NEWCOMER) == ("厦门鹭江精工机械有限公司", None, "uscc")


async def test_greeting_thanks_urging_and_commands_are_themselves(settings: Settings, clock: Clock) -> None:
    w = await world(settings, clock)
    await w.say(NEWCOMER, DEMAND)
    greeted = texts(await w.say(NEWCOMER, "你好"))
    assert "您好，张总" in greeted[0]
    assert ASK_COMPANY in greeted[-1]
    thanked = texts(await w.say(NEWCOMER, "谢谢"))
    assert "感谢您对工单 #1 的反馈" in thanked[0]
    assert ASK_COMPANY in thanked[-1]
    urged = texts(await w.say(NEWCOMER, "都一周了，快点"))
    assert "已为您催办工单 #1" in urged[0]
    assert ASK_COMPANY in urged[-1]
    status = texts(await w.say(NEWCOMER, "/status"))
    assert "您的诉求（1 件）" in status[0]
    assert ASK_COMPANY in status[-1]
    assert await claims(w, NEWCOMER) == (None, None, "company")
    assert ASK_USCC in own(await w.say(NEWCOMER, "鑫源精密"))  # the answer still counts afterwards


async def test_withdrawing_the_only_ticket_drops_the_question_with_a_word(
    settings: Settings, clock: Clock
) -> None:
    w = await world(settings, clock)
    await w.say(NEWCOMER, DEMAND)
    withdrawn = texts(await w.say(NEWCOMER, "撤回吧"))
    assert "已按您的要求撤回" in withdrawn[0]
    assert ASK_COMPANY not in "\n".join(withdrawn)
    assert "不再询问" in withdrawn[-1]
    assert await claims(w, NEWCOMER) == (None, None, None)
    # the next message is a demand again, not a name
    assert "工单号 #2" in own(await w.say(NEWCOMER, "鹭江精工"))


async def officer_asked(w: World) -> None:
    await w.say(XINYUAN, DEMAND)
    await w.say(WANG, "/take 1")
    await w.say(WANG, "/ask 1 请问贷款用途和金额？")
    assert await w.status(1) is Status.WAITING_ENTERPRISE


async def test_a_new_demand_while_an_officer_waits_for_an_answer(settings: Settings, clock: Clock) -> None:
    w = await world(settings, clock)
    await officer_asked(w)
    replies = texts(await w.say(XINYUAN, SECOND))
    assert "工单号 #2" in replies[0]
    assert "工单 #1" in replies[-1]
    assert "等您" in replies[-1]
    assert await w.status(1) is Status.WAITING_ENTERPRISE
    # a status question is one too
    status = texts(await w.say(XINYUAN, "工单1进度？"))
    assert "工单 #1" in status[0]
    assert "等您" in status[-1]
    # the answer itself, even one the NLU reads as a demand of the same kind, goes to ticket #1
    answered = own(await w.say(XINYUAN, "贷款是用来买设备的，大概需要200万"))
    assert "已将您的补充信息添加到工单 #1" in answered
    assert await w.status(1) is Status.IN_PROGRESS


async def test_answers_to_an_officer_with_facts_are_answers(settings: Settings, clock: Clock) -> None:
    w = await world(settings, clock)
    await officer_asked(w)
    # a phone number is information, though the NLU hears "contact a person" in it
    assert "已将您的补充信息添加到工单 #1" in own(await w.say(XINYUAN, "联系电话13800001234"))
    await w.say(WANG, "/ask 1 明天方便上门吗？")
    assert "已将您的补充信息添加到工单 #1" in own(await w.say(XINYUAN, "明天上午有人在"))


@pytest.fixture(scope="module")
def real_nlu() -> BuiltinNlu:
    return BuiltinNlu.load()


NAMES = [
    "鑫源精密",
    "鹭江精工",
    "阿里巴巴",
    "厦门鹭江精工机械有限公司",
    "我们是厦门鹭江精工机械有限公司",
    "公司全称：厦门市思明区鑫源贸易商行",
    "Lujiang Precision",
    "Xiamen Lujiang Co., Ltd.",
    "公司名称是鑫源精密",
    "我们公司叫鑫源精密",  # the NLU hears a demand in it, but the name is introduced as one
    "跳过",
    "不方便",  # refusals and putting off are answers: "skip"
    "稍后再说",
    "我们还没注册公司",
]
NOT_NAMES = [
    "你好",
    "谢谢",
    "好的",
    "撤回吧",
    "找人工",
    "工单1进度？",
    "都一周了，快点",
    JOB_FAIR,
    SECOND,
    "另外我们招不到技术工人，想申请人才补贴…",
    "We also cannot hire skilled workers, can you help?",
    "1",
    "这个有必要吗",
    "明天再告诉你",
]


@pytest.mark.parametrize("text", NAMES)
async def test_the_real_nlu_takes_names_as_the_answer(real_nlu: BuiltinNlu, text: str) -> None:
    assert verification.answers("company", text, await real_nlu.parse(text), 0.5)


@pytest.mark.parametrize("text", NOT_NAMES)
async def test_the_real_nlu_takes_other_messages_as_themselves(real_nlu: BuiltinNlu, text: str) -> None:
    assert not verification.answers("company", text, await real_nlu.parse(text), 0.5)


@pytest.mark.parametrize("text", ["91350206MA2Y3K8P13", "91350206MA2Y3K8P1", "跳过", "我也不清楚"])
async def test_credit_code_answers(real_nlu: BuiltinNlu, text: str) -> None:
    assert verification.answers("uscc", text, await real_nlu.parse(text), 0.5)


@pytest.mark.parametrize("text", [SECOND, JOB_FAIR, "你好", "工单1进度？"])
async def test_not_credit_code_answers(real_nlu: BuiltinNlu, text: str) -> None:
    assert not verification.answers("uscc", text, await real_nlu.parse(text), 0.5)


async def test_a_clarifying_question_or_a_similar_offer_swallows_nothing(
    settings: Settings, clock: Clock
) -> None:
    """Choices are buttons tied to the message they are about: a new message is itself, and the
    earlier choice still acts once, later."""
    w = await world(settings, clock)
    w.nlu.table["那个事情怎么说"] = Understood(
        "report_demand", None, 0.4, (("report_demand", 0.4), ("query_status", 0.35))
    )
    unsure = (await w.say(XINYUAN, "那个事情怎么说"))[0]
    assert unsure.buttons[0].payload == "clarify:1:report_demand"
    assert "工单号 #1" in own(await w.say(XINYUAN, DEMAND))
    offer = (await w.say(XINYUAN, DEMAND))[0]  # the same again: offered as an addition
    assert [b.payload for b in offer.buttons] == ["similar:3:add:1", "similar:3:new"]
    assert "工单号 #2" in own(await w.say(XINYUAN, HIRING))
    assert "已为您催办工单 #2" in own(await w.say(XINYUAN, "都一周了，快点"))
    assert "已将您的补充信息添加到工单 #1" in own(await w.say(XINYUAN, "1", payload="similar:3:add:1"))
    assert "工单号 #3" in own(await w.say(XINYUAN, "1", payload="clarify:1:report_demand"))
    assert "已失效" in own(await w.say(XINYUAN, "1", payload="clarify:1:report_demand"))


async def test_binding_ends_the_question_and_lang_asks_it_in_the_new_language(
    settings: Settings, clock: Clock
) -> None:
    w = await world(settings, clock)
    await w.say(NEWCOMER, DEMAND)
    assert "what is your company's full name" in own(await w.say(NEWCOMER, "/lang en"))
    code = own(await w.say(WANG, "/invite xinyuan")).split("/start ")[1].split()[0].rstrip("。")
    bound = own(await w.say(NEWCOMER, f"/start {code}"))
    assert "full name" not in bound  # bound now: nothing left to ask, and nothing to say about it
    assert await claims(w, NEWCOMER) == (None, None, None)
    assert "Your request is registered" in own(await w.say(NEWCOMER, "Our workshop needs a power line"))


async def test_the_question_asked_again_keeps_choices_the_last_shown(
    settings: Settings, clock: Clock
) -> None:
    """On WeCom a bare number answers only the latest message's choices: the question asked again
    is written into a reply that offers choices, not sent after it."""
    w = await world(settings, clock)
    await w.say(NEWCOMER, DEMAND)
    w.nlu.table["这个问题之前也反映过，不知道现在怎样"] = Understood(
        "query_status", None, 0.4, (("query_status", 0.4), ("report_demand", 0.35))
    )
    replies = [
        r for r in await w.say(NEWCOMER, "这个问题之前也反映过，不知道现在怎样") if isinstance(r.to, ToSender)
    ]
    assert len(replies) == 1
    assert replies[0].buttons[0].payload == "clarify:2:query_status"
    assert ASK_COMPANY in replies[0].text


async def test_with_the_nlu_down_the_shape_of_the_answer_still_decides(
    settings: Settings, clock: Clock
) -> None:
    w = await world(settings, clock)
    await w.say(NEWCOMER, DEMAND)
    w.nlu.down = True
    unsure = [r for r in await w.say(NEWCOMER, SECOND) if isinstance(r.to, ToSender)]
    assert unsure[-1].buttons[0].payload == "clarify:2:report_demand"  # asked what it is, kept
    assert ASK_COMPANY in unsure[-1].text
    assert ASK_USCC in own(await w.say(NEWCOMER, "鑫源精密"))


async def test_a_greeting_after_ask_a_question_is_not_the_question(settings: Settings, clock: Clock) -> None:
    w = await policy_world(settings, clock)
    await publish_and_send(w)
    assert "请直接发送您关于《2026年专精特新企业奖励》的问题" in own(
        await w.say(XINYUAN, "", payload="pol:ask:1")
    )
    greeted = texts(await w.say(XINYUAN, "你好"))
    assert "您好，陈总" in greeted[0]
    assert "请直接发送您关于《2026年专精特新企业奖励》的问题" in greeted[-1]
    asked = await w.say(XINYUAN, "软件企业可以申报吗？")
    assert "工单号 #1" in own(asked)
    assert [r.to for r in asked if not isinstance(r.to, ToSender)] == [ToDepartment("industry_it")]


async def test_an_introduced_name_is_kept_without_its_introduction_and_a_refusal_skips(
    settings: Settings, clock: Clock
) -> None:
    w = await world(settings, clock)
    await w.say(NEWCOMER, DEMAND)
    assert ASK_USCC in own(await w.say(NEWCOMER, "公司名称是鑫源精密"))
    assert await claims(w, NEWCOMER) == ("鑫源精密", None, "uscc")
    assert "谢谢，已记录" in own(await w.say(NEWCOMER, "不方便"))
    assert await claims(w, NEWCOMER) == ("鑫源精密", None, None)


async def test_an_answer_taking_up_the_officers_question_is_the_answer_whatever_the_nlu_hears(
    settings: Settings, clock: Clock
) -> None:
    """Found when the NLU read "流水和合同已经发到您邮箱了" as a legal demand: the officer had asked
    for exactly those papers, so it is the answer, not a new ticket."""
    w = await world(settings, clock)
    w.nlu.table["流水和合同已经发到您邮箱了"] = Understood("report_demand", "legal", 0.66)
    await w.say(XINYUAN, DEMAND)
    await w.say(WANG, "/take 1")
    await w.say(WANG, "/ask 1 请提供近三个月的银行流水和贷款合同")
    assert "已将您的补充信息添加到工单 #1" in own(await w.say(XINYUAN, "流水和合同已经发到您邮箱了"))


async def test_a_newcomers_demand_asks_for_the_company_without_reading_the_contact_again(
    settings: Settings, clock: Clock
) -> None:
    """The question comes from what the sender was resolved with (issue 22): the contact is
    read once per message, by its identity, and not again by its number to ask."""
    w = await world(settings, clock)
    reads: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "FROM contacts" in statement and "WHERE contacts.id" in statement:
            reads.append(statement)

    event.listen(w.storage.engine.sync_engine, "before_cursor_execute", seen)
    assert ASK_COMPANY in own(await w.say(NEWCOMER, DEMAND))
    assert ASK_USCC in own(await w.say(NEWCOMER, "厦门鹭江精工机械有限公司"))
    assert ASK_USCC in texts(await w.say(NEWCOMER, SECOND))[-1]
    event.remove(w.storage.engine.sync_engine, "before_cursor_execute", seen)
    assert len(reads) == 2  # the answer and the demand after it, whose handling reads the question
    assert await claims(w, NEWCOMER) == ("厦门鹭江精工机械有限公司", None, "uscc")
