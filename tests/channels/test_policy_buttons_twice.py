"""An enterprise presses a policy notice's buttons twice, and presses them after the notice was
withdrawn (an outsider's pass: this worked; kept so that it stays so)."""

from __future__ import annotations

from bot.domain.policies import Policy, Tags
from handlers.policy_publish import add_policy, publish, withdraw
from tests.channels.test_policies_telegram import MAKERS, MEMBER, XINYUAN, Running, running

__all__ = ["running"]  # the fixture, imported for pytest


async def test_buttons_pressed_twice_count_once_and_a_withdrawn_notice_says_so(running: Running) -> None:
    api, deps = running.api, running.app.deps
    eligible = Tags(qualifications=frozenset({"专精特新"}))
    draft = Policy(
        None, "专精特新奖励", "奖励 50 万元。", "industry_it", "cli", deps.clock(), eligibility=eligible
    )
    policy = await add_policy(deps, draft)
    await publish(deps, policy.id or 0, via=None)
    notice = await api.wait_text(XINYUAN, "📢 政策通知")
    group_notice = await api.wait_text(MAKERS, "📢 政策通知")
    for _ in range(2):
        await api.user_presses(XINYUAN, notice, "pol:ack:1")
        await api.user_presses(XINYUAN, notice, "pol:apply:1")
    await api.wait_text(XINYUAN, "无需重复申报", within=20)
    await api.wait_until(lambda: len(api.answered) == 4, "every press answered", 20)
    async with deps.storage() as uow:
        assert await uow.tickets.get(1) is not None
        assert await uow.tickets.get(2) is None  # one application, one ticket
    assert len([s for s in api.to(XINYUAN) if "工单号 #1" in s.text]) == 1

    await withdraw(deps, policy.id or 0)
    await api.user_presses(MEMBER, group_notice, "pol:apply:1")  # someone in the group, later
    await api.wait_text(MEMBER, "已撤回，不再受理", within=20)
    await api.user_presses(XINYUAN, notice, "pol:ask:1")
    await api.wait_until(lambda: sum("已撤回" in s.text for s in api.to(XINYUAN)) == 1, "told", 20)
