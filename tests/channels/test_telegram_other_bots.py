"""An officer group often has other bots in it, and a bot that is the group's admin (as forum
topics need) receives every message there, their commands too: `/take@other_bot 1` is the other
bot's, not a ticket signed for; `/take@xiaoer_bot 1` (the fake Bot API's getMe) is Xiaoer's.
Through real HTTP against the fake Bot API."""

from __future__ import annotations

import asyncio

from tests.channels.test_telegram import DEMAND, ENTREPRENEUR, GROUP, HEAD, STRANGER, Running, running

__all__ = ["running"]  # the fixture, imported for pytest


async def test_a_command_for_another_bot_in_a_group_is_left_to_it(running: Running) -> None:
    api = running.api
    await api.user_sends(ENTREPRENEUR, DEMAND)
    await api.wait_text(GROUP, "新工单 #1")
    await api.user_sends(HEAD, "/take@GroupHelpBot 1", chat_id=GROUP)
    await api.user_sends(STRANGER, "/help@GroupHelpBot", chat_id=GROUP)  # not "officers only" either
    await api.user_sends(HEAD, "/whoami@XIAOER_BOT", chat_id=GROUP)  # ours, whatever the case
    await api.wait_text(GROUP, "林慧 · 区金融工作办公室")
    await asyncio.sleep(0.3)
    assert not [s for s in api.to(GROUP) if "您已签收" in s.text]
    assert not [s for s in api.to(GROUP) if "工作人员办理工单" in s.text]
    async with running.app.deps.storage() as uow:
        ticket = await uow.tickets.get(1)
    assert ticket is not None
    assert ticket.assignee_id is None
    await api.user_sends(HEAD, "/take@xiaoer_bot 1", chat_id=GROUP)
    await api.wait_text(GROUP, "您已签收工单 #1")
