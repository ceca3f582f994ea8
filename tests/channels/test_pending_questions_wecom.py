"""Issue 13, item 3 on WeCom (real NLU, fake WeCom server), where every enterprise member starts
unbound and so meets the company question: it swallows no demand, and a choice offered with
the question asked again stays answerable by its number."""

from __future__ import annotations

import asyncio

from tests.channels import test_wecom
from tests.channels.test_wecom import DEMAND, ENTREPRENEUR, Running

running = test_wecom.running  # the bot on SQLite behind WeCom's callback, with a fake WeCom API
SECOND = "另外我们招不到技术工人，想申请人才补贴…"
MORE = "能不能帮忙对接一下人社局的招聘会"
ASK_COMPANY = "请问贵公司的全称是"


async def said(running: Running, fragment: str, after: int) -> int:
    """The index of the first message to the member after `after` that says `fragment`."""
    for _ in range(300):
        found = [i for i, s in enumerate(running.api.to(ENTREPRENEUR)) if i > after and fragment in s.content]
        if found:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {fragment!r} to the member after message {after}")


async def test_a_member_s_demands_are_not_swallowed_by_the_company_question(running: Running) -> None:
    await running.says(ENTREPRENEUR, DEMAND)
    asked = await said(running, ASK_COMPANY, -1)
    await running.says(ENTREPRENEUR, SECOND)
    second = await said(running, "工单号 #2", asked)
    await said(running, ASK_COMPANY, second)  # asked again, after the ticket
    # more about the talent demand: added to it, with "a ticket of its own" as choice 1, and the
    # question in the same message, so that the number still answers that choice
    await running.says(ENTREPRENEUR, MORE)
    added = await said(running, "已将您的补充信息添加到工单 #2", second)
    message = running.api.to(ENTREPRENEUR)[added].content
    assert "1. 新开工单" in message
    assert ASK_COMPANY in message
    await running.says(ENTREPRENEUR, "1")
    third = await said(running, "工单号 #3", added)
    await said(running, ASK_COMPANY, third)
    await running.says(ENTREPRENEUR, "鑫源精密")  # the answer, at last
    await said(running, "统一社会信用代码是", third)
    async with running.app.deps.storage() as uow:
        tickets = [await uow.tickets.get(n) for n in (1, 2, 3)]
    assert [t.text if t else None for t in tickets] == [DEMAND, SECOND, MORE]
