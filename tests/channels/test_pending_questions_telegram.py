"""Issue 13, item 3 end to end on Telegram (real NLU, fake Bot API): a pending question about the
company never swallows the next demand, and genuine answers still count."""

from __future__ import annotations

from tests.channels import test_telegram
from tests.channels.test_telegram import ENTREPRENEUR, GROUP, Running
from tests.fake_telegram import FakeBotApi, Sent

DEMAND = "我们公司急需一笔200万的流动资金贷款，下月发工资都困难了"
SECOND = "另外我们招不到技术工人，想申请人才补贴…"


running = test_telegram.running  # the bot on SQLite over a fake Bot API (the fixture)


async def said_after(api: FakeBotApi, after: Sent, fragment: str) -> Sent:
    """The first message to the entrepreneur after `after` that says `fragment`."""

    def found() -> list[Sent]:
        return [s for s in api.to(ENTREPRENEUR) if s.message_id > after.message_id and fragment in s.text]

    await api.wait_until(lambda: bool(found()), fragment)
    return found()[0]


async def test_a_pending_company_question_does_not_swallow_a_second_demand(running: Running) -> None:
    api = running.api
    await api.user_sends(ENTREPRENEUR, DEMAND)
    await api.wait_text(ENTREPRENEUR, "工单号 #1")
    asked = await api.wait_text(ENTREPRENEUR, "请问贵公司的全称是")
    await api.user_sends(ENTREPRENEUR, SECOND)
    second = await api.wait_text(ENTREPRENEUR, "工单号 #2")
    await said_after(api, second, "请问贵公司的全称是")  # asked again, after the ticket
    assert asked.message_id < second.message_id
    # a short name without a legal form is still the answer, and so is the code
    await api.user_sends(ENTREPRENEUR, "鑫源精密")
    await api.wait_text(ENTREPRENEUR, "统一社会信用代码是")
    await api.user_sends(ENTREPRENEUR, "91350206MA2Y3K8P13")
    await api.wait_text(ENTREPRENEUR, "谢谢，已记录")
    async with running.app.deps.storage() as uow:
        second_ticket = await uow.tickets.get(2)
        contact = await uow.contacts.by_identity("telegram", str(ENTREPRENEUR))
    assert second_ticket is not None
    assert second_ticket.text == SECOND
    assert second_ticket.category == "talent"
    assert contact is not None
    assert (contact.claimed_company, contact.claimed_uscc) == ("鑫源精密", "91350206MA2Y3K8P13")
    assert contact.asking is None


async def test_greeting_demand_and_more_of_it_land_where_meant(running: Running) -> None:
    """The reported session: the third message is more about the demand, not the company's name."""
    api = running.api
    await api.user_sends(ENTREPRENEUR, "你好")
    await api.wait_text(ENTREPRENEUR, "您好")
    await api.user_sends(ENTREPRENEUR, "我们公司招工难，缺50个普工")
    await api.wait_text(ENTREPRENEUR, "请问贵公司的全称是")
    await api.user_sends(ENTREPRENEUR, "能不能帮忙对接一下人社局的招聘会")
    added = await api.wait_text(ENTREPRENEUR, "已将您的补充信息添加到工单 #1")
    assert added.buttons[-1][0] == "新开工单"
    assert "请问贵公司的全称是" in added.text  # asked again in the message with the choice
    async with running.app.deps.storage() as uow:
        contact = await uow.contacts.by_identity("telegram", str(ENTREPRENEUR))
        assert await uow.tickets.get(2) is None
    assert contact is not None
    assert contact.claimed_company is None
    assert not [s for s in api.to(GROUP) if "新工单 #2" in s.text]
