"""Two officers of one department press 签收 under the same new ticket at once: one has it, the
take is audited once, and the other is told who has it; a press after that is told the ticket is
signed for already."""

from __future__ import annotations

import asyncio

from tests.channels.test_telegram import DEMAND, ENTREPRENEUR, GROUP, HEAD, Running
from tests.channels.test_telegram_reach import OFFICER, running

__all__ = ["running"]  # the fixture, imported for pytest


async def test_two_officers_pressing_sign_for_at_once_one_takes_it(running: Running) -> None:
    api = running.api
    await api.user_sends(ENTREPRENEUR, DEMAND)
    post = await api.wait_text(GROUP, "新工单 #1")
    await asyncio.gather(
        api.user_presses(HEAD, post, "cmd:take:1", name="林慧"),
        api.user_presses(OFFICER, post, "cmd:take:1", name="吴斌"),
    )
    await api.wait_until(lambda: len(api.answered) == 2, "both presses answered")
    await api.wait_text(GROUP, "您已签收工单 #1")
    await api.user_presses(HEAD, post, "cmd:take:1", name="林慧")  # pressed again, later
    # the one who lost the race is told who has it, the second press that it is signed for already
    # (a group's messages are paced: these come a few seconds later)
    loser = await api.wait_text(GROUP, "只有 TA 或部门负责人可以签收", within=60)
    assert "已分派给 林慧" in loser.text or "已分派给 吴斌" in loser.text
    await api.wait_text(GROUP, "当前状态为「已签收」，不能执行「签收」", within=60)
    async with running.app.deps.storage() as uow:
        events = await uow.events.for_ticket(1)
        ticket = await uow.tickets.get(1)
    assert ticket is not None
    takes = [e for e in events if e.action.value == "take"]
    assert len(takes) == 1  # audited once
    assert ticket.assignee_id == takes[0].actor_id
