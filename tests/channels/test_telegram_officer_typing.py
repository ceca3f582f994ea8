"""Officers working a ticket from their group chat type its number as a Chinese keyboard gives it:
＃１ (full-width), 1号, 第1号, or with Chinese punctuation after it (1，已办结); days as ３天; a
full-width ／ before the command. Each was answered with the command's usage and nothing done.
And a department as a dispatcher writes it: by an abbreviation, or by a name that fits several
(which are listed to choose from)."""

from __future__ import annotations

from collections import Counter

from tests.channels.test_telegram import DEMAND, ENTREPRENEUR, GROUP, HEAD, Running, running
from tests.fake_telegram import FakeBotApi

__all__ = ["running"]  # the fixture, imported for pytest


async def taken(api: FakeBotApi, take: str = "/take 1") -> None:
    """An enterprise's demand, posted to the finance office's group, where its head signs for it."""
    await api.user_sends(ENTREPRENEUR, DEMAND)
    await api.wait_text(GROUP, "新工单 #1")
    await api.user_sends(HEAD, take, chat_id=GROUP)
    await api.wait_text(GROUP, "您已签收工单 #1")


async def test_numbers_typed_on_a_chinese_keyboard_work_the_ticket(running: Running) -> None:
    api = running.api
    await taken(api, "/take ＃１")
    await api.user_sends(HEAD, "/ask 1号，请提供近三个月的银行流水", chat_id=GROUP)
    await api.wait_text(ENTREPRENEUR, "请提供近三个月的银行流水")
    await api.user_sends(HEAD, "/extend ＃１ ３天\u3000需协调银行审批", chat_id=GROUP)
    await api.wait_text(GROUP, "申请延期 3 天")
    await api.user_sends(HEAD, "／mine", chat_id=GROUP)  # a full-width keyboard's slash
    await api.wait_text(GROUP, "待办")
    await api.user_sends(HEAD, "/approve 1号", chat_id=GROUP)  # read: it is her own request
    await api.wait_text(GROUP, "您不能审批自己的延期申请")
    await api.user_sends(HEAD, "/history 第1号。", chat_id=GROUP)
    await api.wait_text(GROUP, "工单 #1 办理记录")
    assert not any("用法" in s.text for s in api.to(GROUP))
    async with running.app.deps.storage() as uow:
        events = await uow.events.for_ticket(1)
    actions = Counter(e.action.value for e in events if e.actor_id == "lin_hui")
    assert actions == Counter(take=1, ask=1, request_extension=1)  # each audited once


async def test_a_transfer_by_abbreviation_and_one_that_fits_several_departments(running: Running) -> None:
    api = running.api
    await taken(api)
    await api.user_sends(HEAD, "/transfer 1 资源 实为用工问题", chat_id=GROUP)
    choice = await api.wait_text(GROUP, "“资源”可能是这几个部门")
    assert "hr_social（区人力资源和社会保障局）、natural_resources（自然资源和规划分局）" in choice.text
    await api.user_sends(HEAD, "/transfer 1 人社局 实为用工问题", chat_id=GROUP)
    await api.wait_text(GROUP, "工单 #1 已转办至区人力资源和社会保障局")
