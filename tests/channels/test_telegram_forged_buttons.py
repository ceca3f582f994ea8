"""Buttons are data the client sends back: Telegram lets anyone send any callback data, and an old
message keeps its buttons. The acknowledgement's "withdraw" and "add information" ask about the
presser's own ticket only, and "withdraw" only while it can be withdrawn (through real HTTP
against the fake Bot API)."""

from __future__ import annotations

from tests.channels.test_telegram import DEMAND, ENTREPRENEUR, Running, running

__all__ = ["running"]  # the fixture, shared with the main Telegram suite

STRANGER = 6666


async def test_a_forged_button_for_someone_else_s_ticket_is_not_found(running: Running) -> None:
    api = running.api
    await api.user_sends(ENTREPRENEUR, DEMAND)
    await api.wait_text(ENTREPRENEUR, "工单号 #1")
    await api.user_sends(STRANGER, "/help")
    own = await api.wait_text(STRANGER, "/status")
    for data in ("ent:withdraw:1", "ent:info:1", "ent:withdraw:424242"):
        await api.user_presses(STRANGER, own, data)
        await api.wait_text(STRANGER, f"没有找到工单 #{data.rsplit(':', 1)[1]}")
    assert not [s for s in api.to(STRANGER) if "确定要撤回" in s.text or "补充工单" in s.text]


async def test_an_old_withdraw_button_of_a_closed_ticket_says_so_at_once(running: Running) -> None:
    api = running.api
    await api.user_sends(ENTREPRENEUR, DEMAND)
    ack = await api.wait_text(ENTREPRENEUR, "工单号 #1")
    await api.user_presses(ENTREPRENEUR, ack, "ent:withdraw:1")
    confirm = await api.wait_text(ENTREPRENEUR, "确定要撤回工单 #1 吗")
    await api.user_presses(ENTREPRENEUR, confirm, "ent:withdraw!:1")
    await api.wait_text(ENTREPRENEUR, "已按您的要求撤回")
    await api.user_presses(ENTREPRENEUR, ack, "ent:withdraw:1")  # the same button, once more
    refusal = await api.wait_text(ENTREPRENEUR, "不能执行")
    assert "/status #1" in refusal.text
    assert len([s for s in api.to(ENTREPRENEUR) if "确定要撤回" in s.text]) == 1
