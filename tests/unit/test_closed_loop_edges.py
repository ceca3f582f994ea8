"""Edges of the closed loop found in review: each pins down one promise."""

from __future__ import annotations

from bot.config import Settings
from bot.domain.messages import Sender, ToDepartment, ToOfficer
from bot.domain.tickets import Action, Status
from tests.conftest import Clock
from tests.fakes import Understood
from tests.world import DEMAND, HAIYUE, WANG, XINYUAN, make_world, own

GUO = Sender("console", "officer:guo_ping")  # head of the tax bureau
LIN = Sender("console", "officer:lin_hui")  # head of the finance office
WU = Sender("console", "officer:wu_bin")  # officer of the finance office
TAX = "出口退税三个月没到账，联系人 13912345678"


async def test_a_confidential_ticket_is_never_posted_to_a_group(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    w.nlu.table[TAX] = Understood("report_demand", "tax")
    await w.say(HAIYUE, TAX)
    await w.say(GUO, "/take 1")
    await w.say(GUO, "/confidential 1 on")
    replies = await w.say(GUO, "/transfer 1 finance_office 涉及融资")
    assert not [r for r in replies if isinstance(r.to, ToDepartment)]
    assert [r.to for r in replies if isinstance(r.to, ToOfficer)] == [ToOfficer("lin_hui")]
    assert "待办工单" not in own(await w.say(WU, "/mine"))  # not in the colleagues' queue
    assert "工单 #1 已设为保密" in own(await w.say(WU, "/take 1"))
    assert "您已签收工单 #1" in own(await w.say(LIN, "/take 1"))


async def test_group_posts_of_enterprise_words_mask_phones(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    w.nlu.table[TAX] = Understood("report_demand", "tax")
    await w.say(HAIYUE, TAX)
    notices = await w.say(HAIYUE, "/info 1 财务王会计 13912345678")
    post = next(r for r in notices if isinstance(r.to, ToDepartment))
    assert "139****5678" in post.text
    assert "13912345678" not in post.text


async def test_an_answer_during_an_extension_request_is_not_lost(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    await w.say(XINYUAN, DEMAND)
    await w.say(WANG, "/take 1")
    await w.say(WANG, "/ask 1 请提供报表")
    await w.say(WANG, "/extend 1 3 等报表")
    replies = await w.say(XINYUAN, "报表已经发到您邮箱了")
    assert "已将您的补充信息添加到工单 #1" in own(replies)
    await w.say(Sender("console", "officer:zheng_yu"), "/approve 1")
    assert await w.status(1) is Status.IN_PROGRESS


async def test_a_choice_acts_once_however_often_it_is_pressed(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    await w.say(XINYUAN, DEMAND)
    w.nlu.table["那个事"] = Understood("urge", confidence=0.3, ranking=(("urge", 0.3), ("query_status", 0.3)))
    payload = next(b.payload for r in await w.say(XINYUAN, "那个事") for b in r.buttons)
    for _ in range(3):
        await w.say(XINYUAN, "1", payload=payload)
    assert (await w.events(1)).count(Action.URGE) == 1


async def test_oversized_numbers_are_not_found_not_crashes(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    await w.say(XINYUAN, DEMAND)
    huge = "99999999999999999999"
    assert "用法" in own(await w.say(WANG, f"/merge 1 {huge}"))
    assert "用法" in own(await w.say(WANG, f"/cluster 1 {huge}"))
    for payload in (
        f"survey:{huge}:r:resolved",
        f"similar:{huge}:new",
        f"clarify:{huge}:urge",
        "similar:1:add:" + huge,
    ):
        assert own(await w.say(XINYUAN, "1", payload=payload))


async def test_info_urge_and_withdraw_take_text_without_a_number(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    await w.say(XINYUAN, DEMAND)
    assert "已将您的补充信息添加到工单 #1" in own(await w.say(XINYUAN, "/info 开户行是建设银行"))
    assert "已为您催办工单 #1" in own(await w.say(XINYUAN, "/urge 请尽快"))


async def test_a_heads_own_extension_goes_to_an_admin(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    w.nlu.table[TAX] = Understood("report_demand", "tax")
    await w.say(HAIYUE, TAX)
    await w.say(GUO, "/take 1")
    asked = await w.say(GUO, "/extend 1 5 需要核查")
    assert [r.to for r in asked if isinstance(r.to, ToOfficer)] == [ToOfficer("admin")]
    assert "不能审批自己的延期申请" in own(await w.say(GUO, "/approve 1"))
    assert "延期已批准" in own(await w.say(Sender("console", "officer:admin"), "/approve 1"))


async def test_a_merge_leaves_the_duplicates_words_on_the_kept_ticket(
    settings: Settings, clock: Clock
) -> None:
    w = await make_world(settings, clock)
    await w.say(XINYUAN, DEMAND)
    second = "厂区门口的路灯坏了"
    await w.say(XINYUAN, second)
    await w.say(WANG, "/take 1")
    await w.say(WANG, "/take 2")
    await w.say(WANG, "/merge 2 1")
    history = own(await w.say(WANG, "/history 1"))
    assert "由重复工单 #2 合并" in history
    assert (await w.events(1))[-1] is Action.INFO


async def test_a_shared_problem_is_told_when_it_appears_and_when_it_doubles(
    settings: Settings, clock: Clock
) -> None:
    # A busy morning: seven companies report the same outage. The department hears at three and
    # at six, not seven times.
    w = await make_world(settings, clock)
    outage = "园区今天又限电了，生产线全停了，请协调供电局"
    w.nlu.table[outage] = Understood("report_demand", "utilities")
    told = []
    for index in range(7):
        replies = await w.say(Sender("telegram", str(500 + index), "Boss"), outage)
        told += [r.text for r in replies if isinstance(r.to, ToDepartment) and "类似问题" in r.text]
    assert [text.split("家企业")[0].split()[-1] for text in told] == ["3", "6"]


async def test_a_second_delivery_of_the_same_message_changes_nothing(
    settings: Settings, clock: Clock
) -> None:
    """Recognised where updates arrive (the inbox), before anything is handled."""
    from bot.domain.messages import Inbound
    from bot.runtime.conversations import Conversations
    from handlers.outgoing import Outgoing

    w = await make_world(settings, clock)
    conversations = Conversations(w.deps, Outgoing(w.deps, []))
    inbound = Inbound(HAIYUE, HAIYUE.user_id, DEMAND, clock(), delivery_id="update-7")
    assert await conversations.accept(inbound)
    assert not await conversations.accept(inbound)
    await conversations.drain()
    assert conversations.handled == 1
    assert "您的诉求（1 件）" in own(await w.say(HAIYUE, "/status"))


async def test_an_unreadable_update_does_not_hold_up_the_conversation(
    settings: Settings, clock: Clock
) -> None:
    """An inbox entry that cannot be read back is set aside and logged; the later ones are handled."""
    from sqlalchemy import text

    from bot.domain.inbox import conversation_of
    from bot.domain.messages import Inbound
    from bot.runtime.conversations import Conversations
    from handlers.outgoing import Outgoing
    from storage.sql import SqlStorage

    w = await make_world(settings, clock)
    storage = w.deps.storage
    assert isinstance(storage, SqlStorage)
    conversations = Conversations(w.deps, Outgoing(w.deps, []))
    first = Inbound(HAIYUE, HAIYUE.user_id, "你好", clock(), delivery_id="u-1")
    async with storage() as uow:  # kept, as if by another process, before anyone handles it
        await uow.inbox.accept(conversation_of(first), first)
        await uow.commit()
    async with storage.engine.begin() as conn:
        await conn.execute(text("UPDATE inbox SET inbound = 'not json {' WHERE delivery_id = 'u-1'"))
    assert await conversations.accept(Inbound(HAIYUE, HAIYUE.user_id, DEMAND, clock(), delivery_id="u-2"))
    await conversations.drain()
    assert conversations.handled == 1
    assert "您的诉求（1 件）" in own(await w.say(HAIYUE, "/status"))
    async with storage.engine.connect() as conn:
        kept = (
            await conn.execute(text("SELECT done, last_error FROM inbox WHERE delivery_id = 'u-1'"))
        ).one()
    assert kept.done
    assert kept.last_error.startswith("unreadable: JSONDecodeError")


async def test_a_transfer_while_waiting_for_the_enterprise_restarts_the_clock(
    settings: Settings, clock: Clock
) -> None:
    from datetime import timedelta

    w = await make_world(settings, clock)
    await w.say(HAIYUE, DEMAND)
    await w.say(LIN, "/take 1")
    await w.say(LIN, "/ask 1 请提供近三个月的银行流水")
    async with w.storage() as uow:
        asked = await uow.tickets.get(1)
    assert asked is not None
    assert asked.paused_at is not None
    clock.now += timedelta(days=1)  # Tuesday: a working day of waiting
    await w.say(LIN, "/transfer 1 tax_bureau 涉及退税")
    async with w.storage() as uow:
        moved = await uow.tickets.get(1)
    assert moved is not None
    assert moved.paused_at is None  # the clock runs again at its new department
    assert moved.resolve_by > asked.resolve_by  # moved on by the day it stood


async def test_a_reopened_ticket_gets_its_full_time_again(settings: Settings, clock: Clock) -> None:
    from datetime import timedelta

    from bot.domain.tickets import Status

    w = await make_world(settings, clock)
    await w.say(HAIYUE, DEMAND)
    await w.say(LIN, "/take 1")
    await w.say(LIN, "/resolve 1 已协调银行放款")
    clock.now += timedelta(days=10)  # long past the first deadline the enterprise says no
    await w.say(HAIYUE, "", payload="survey:1:r:not_resolved")
    async with w.storage() as uow:
        reopened = await uow.tickets.get(1)
    assert reopened is not None
    assert reopened.status is Status.REOPENED
    assert reopened.resolve_by > clock.now  # not overdue (nor escalated) the moment it is back
