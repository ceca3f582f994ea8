"""Issue 21: what a newcomer typing commands found (bare slashes, huge numbers, refusals that
named the wrong people, departments and officers by name, suggestions for typos)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.config import Settings
from bot.domain.messages import Sender, ToOfficer, ToSender
from tests.conftest import Clock
from tests.world import DEMAND, HAIYUE, WANG, XINYUAN, World, make_world, own

ZHENG = replace(WANG, user_id="officer:zheng_yu")  # head of industry_it, wang_lei's department
ADMIN = Sender("console", "officer:admin")
HUGE = "9" * 5000


async def _taken(settings: Settings, clock: Clock) -> World:
    """Xinyuan's finance demand, #1, signed for by its liaison officer wang_lei."""
    w = await make_world(settings, clock)
    await w.say(XINYUAN, DEMAND)
    await w.say(WANG, "/take 1")
    return w


@pytest.mark.parametrize("text", ["/", "/ ", "/\u3000", " / "])
async def test_a_bare_slash_is_answered_not_an_internal_error(
    settings: Settings, clock: Clock, text: str
) -> None:
    w = await make_world(settings, clock)
    answer = own(await w.say(WANG, text))
    assert "出错" not in answer
    assert "/help" in answer


@pytest.mark.parametrize(
    ("sender", "command"),
    [
        (WANG, "/take"),
        (WANG, "/history"),
        (WANG, "/reply"),
        (XINYUAN, "/status"),
        (XINYUAN, "/urge"),
        (XINYUAN, "/withdraw"),
        (XINYUAN, "/confirm"),
    ],
)
async def test_a_number_of_thousands_of_digits_is_not_found(
    settings: Settings, clock: Clock, sender: Sender, command: str
) -> None:
    w = await make_world(settings, clock)
    answer = own(await w.say(sender, f"{command} {HUGE} 文字"))
    assert "出错" not in answer
    assert "没有找到工单" in answer
    assert len(answer) < 200  # the number is not echoed whole


async def test_extension_days_of_thousands_of_digits_are_a_usage_error(
    settings: Settings, clock: Clock
) -> None:
    w = await _taken(settings, clock)
    assert "用法" in own(await w.say(WANG, f"/extend 1 {HUGE} 原因"))


async def test_approve_without_a_pending_extension_says_so_and_notifies_nobody(
    settings: Settings, clock: Clock
) -> None:
    w = await _taken(settings, clock)
    for sender in (WANG, ZHENG):
        replies = await w.say(sender, "/approve 1")
        assert "没有待审批的延期申请" in own(replies)
        assert "管理员" not in own(replies)
        assert [r for r in replies if not isinstance(r.to, ToSender)] == []


async def test_an_officers_own_extension_is_decided_by_the_head_and_the_refusal_says_so(
    settings: Settings, clock: Clock
) -> None:
    w = await _taken(settings, clock)
    asked = await w.say(WANG, "/extend 1 3 等银行审批")
    assert [r.to for r in asked if isinstance(r.to, ToOfficer)] == [ToOfficer("zheng_yu")]
    refusal = own(await w.say(WANG, "/approve 1"))
    assert "不能审批自己的延期申请" in refusal
    assert "部门负责人" in refusal
    assert "已通知管理员" not in refusal


async def test_the_refusal_for_approve_does_not_name_the_assignee_as_allowed(
    settings: Settings, clock: Clock
) -> None:
    w = await _taken(settings, clock)
    await w.say(WANG, "/extend 1 3 等银行审批")
    wu = replace(WANG, user_id="officer:wu_bin")  # finance_office: neither assignee nor head
    refusal = own(await w.say(wu, "/approve 1"))
    assert "承办人" not in refusal
    assert "部门负责人" in refusal


@pytest.mark.parametrize(
    "department", ["tax_bureau", "区税务局", "District Tax Bureau", "tax", "税务局", "税务", "Tax"]
)
async def test_transfer_takes_a_departments_id_or_name(
    settings: Settings, clock: Clock, department: str
) -> None:
    w = await _taken(settings, clock)
    answer = own(await w.say(WANG, f"/transfer 1 {department} 属于税务问题"))
    assert "已转办至区税务局" in answer


async def test_transfer_to_an_unknown_department_lists_the_valid_ones(
    settings: Settings, clock: Clock
) -> None:
    w = await _taken(settings, clock)
    answer = own(await w.say(WANG, "/transfer 1 环保局 属于环保问题"))
    assert "没有找到部门 环保局" in answer
    assert "tax_bureau（区税务局）" in answer
    assert "justice（区司法局）" in answer
    assert "已增加区商务局为工单 #1 的协办部门" in own(await w.say(WANG, "/cohandle 1 区商务局"))


@pytest.mark.parametrize(
    ("written", "department"),
    [
        ("金融办", "区金融工作办公室"),  # the config's alias
        ("人社局", "区人力资源和社会保障局"),  # an abbreviation
        ("人力资源", "区人力资源和社会保障局"),  # a part of one name only
    ],
)
async def test_transfer_takes_an_alias_an_abbreviation_or_a_unique_part_of_a_name(
    settings: Settings, clock: Clock, written: str, department: str
) -> None:
    w = await _taken(settings, clock)
    assert f"已转办至{department}" in own(await w.say(WANG, f"/transfer 1 {written} 需要对接"))


async def test_a_name_several_departments_fit_lists_them_to_choose_from(
    settings: Settings, clock: Clock
) -> None:
    w = await _taken(settings, clock)
    answer = own(await w.say(WANG, "/transfer 1 资源 需要对接"))
    both = "hr_social（区人力资源和社会保障局）、natural_resources（自然资源和规划分局）"
    assert f"“资源”可能是这几个部门：{both}" in answer
    assert "已转办" not in answer


async def test_assign_to_an_unknown_officer_says_so(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    await w.say(XINYUAN, DEMAND)
    answer = own(await w.say(ZHENG, "/assign 1 nobody"))
    assert "没有找到工作人员 nobody" in answer
    assert "wang_lei（王磊）" in answer
    assert "已指派给 王磊" in own(await w.say(ZHENG, "/assign 1 王磊"))


async def test_a_mistyped_command_suggests_the_near_one(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    assert "/take" in own(await w.say(WANG, "/tkae 2"))
    assert "/status" in own(await w.say(XINYUAN, "/stauts"))
    assert "您是不是要" not in own(await w.say(XINYUAN, "/zzzzzz"))


async def test_a_refused_cluster_names_no_empty_list(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    await w.say(XINYUAN, DEMAND)  # #1, wang_lei's
    await w.say(HAIYUE, "出口退税一直没到账，资金很紧张，希望帮忙协调")  # #2, tax bureau's
    await w.say(HAIYUE, "厂房租金太高，需要协调新的用地")  # #3, natural resources'
    answer = own(await w.say(WANG, "/cluster 2 3"))
    assert "已将 " not in answer
    assert "您无权对工单 #2" in answer
    # a lead the officer may not group refuses the whole group: #1 is not left under #2
    assert "已将 " not in own(await w.say(WANG, "/cluster 2 1"))
    async with w.storage() as uow:
        assert await uow.tickets.in_cluster(2) == []


async def test_a_cluster_of_one_ticket_with_itself_is_a_usage_error(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    await w.say(XINYUAN, DEMAND)
    assert "用法" in own(await w.say(WANG, "/cluster 1 1"))
