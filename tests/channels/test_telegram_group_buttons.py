"""Issue 21 item 3: a button in an officer group pressed by someone who is not an officer is
refused as /take refuses them (officers only), and leaves no trace: no contact, no message."""

from __future__ import annotations

import asyncio

from tests.channels.test_telegram import DEMAND, ENTREPRENEUR, GROUP, HEAD, STRANGER, Running, running

__all__ = ["running"]  # the fixture, imported for pytest


async def test_a_stranger_pressing_sign_for_in_the_group_is_told_officers_only(running: Running) -> None:
    api = running.api
    await api.user_sends(ENTREPRENEUR, DEMAND)
    post = await api.wait_text(GROUP, "新工单 #1")
    update = await api.user_presses(STRANGER, post, "cmd:take:1")
    query_id = update["callback_query"]["id"]
    await api.wait_until(lambda: query_id in api.answered, "the press answered")
    assert "工作人员" in api.answer_texts.get(query_id, "")
    assert "失效" not in api.answer_texts.get(query_id, "")
    await asyncio.sleep(0.3)
    assert not any("失效" in s.text for s in api.to(GROUP))
    async with running.app.deps.storage() as uow:
        assert await uow.contacts.by_identity("telegram", str(STRANGER)) is None
        ticket = await uow.tickets.get(1)
    assert ticket is not None
    assert ticket.assignee_id is None


async def test_whoami_answers_on_telegram(running: Running) -> None:
    api = running.api
    await api.user_sends(HEAD, "/whoami")
    await api.wait_text(HEAD, "林慧 · 区金融工作办公室")


async def test_a_report_in_telegram_is_not_raw_markdown(running: Running) -> None:
    api = running.api
    await api.user_sends(HEAD, "/report week")
    summary = await api.wait_text(HEAD, "企业服务专线工作报告", within=30)
    assert "| ---" not in summary.text
    assert not summary.text.startswith("#")


async def test_a_command_in_a_member_units_group_is_told_to_write_privately(running: Running) -> None:
    """A group that is no department's (a member units' group the bot posts notices to): "this
    group is for the configured officers" was wrong there; the sender is told where to write."""
    api = running.api
    member_group = -200200
    await api.user_sends(STRANGER, "/status", chat_id=member_group)
    answer = await api.wait_text(member_group, "请私聊小二")
    assert "工作人员办理工单" not in answer.text
    await api.user_sends(STRANGER, "/status", chat_id=GROUP)  # the officers' group: as before
    await api.wait_text(GROUP, "本群仅供配置的工作人员办理工单")
