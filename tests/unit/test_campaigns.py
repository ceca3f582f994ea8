"""Campaigns through the dispatcher on a fresh SQLite database (issue 15): targeting (tags, lists,
the key-support flag) and assignment, who may run them, a visit recorded question by question with
a demand (a ticket on the enterprise's behalf, its contact told; when nobody is bound, the officer
told so and the first chat to bind taking the ticket over) and notes, coverage counted,
corrections, the digest."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from bot.config import Settings
from bot.domain.campaigns import Campaign, Targeting, assign, parse_code_list, targets
from bot.domain.enterprise import ROSTER, VISIT, Contact, Enterprise
from bot.domain.errors import IllegalTransition, NotAllowed
from bot.domain.lifecycle import hand_over
from bot.domain.messages import Reply, Sender, ToChat, ToOfficer, ToSender
from bot.domain.policies import Tags
from bot.domain.tickets import Action, Status
from handlers.campaigns.bulletin import build_bulletin, to_markdown
from handlers.campaigns.chat import parse_targeting
from handlers.campaigns.coverage import campaign_reminders, coverage_report
from handlers.campaigns.manage import create_campaign
from handlers.reminders import daily_digest
from tests import builders
from tests.conftest import NOW, Clock
from tests.world import WANG, WU, World, make_world, own

CHEN = Sender("console", "officer:chen_jing")  # head of the service centre
ZHENG = Sender("console", "officer:zheng_yu")  # head of industry_it, wang_lei's department


def test_targets_match_every_restricted_dimension_or_the_imported_list(settings: Settings) -> None:
    enterprises = settings.demo_enterprises()
    by_tags = targets(Targeting(Tags.of({"district": ["湖里区"], "size_class": ["小微"]})), enterprises)
    assert [e.id for e in by_tags] == ["haiyue", "lanjing"]
    listed = Targeting(
        codes=frozenset(parse_code_list(["91350206MA2Y3K8P13,厦门鑫源", "not a code", "92350206ma8tl5r2xt"]))
    )
    assert [e.id for e in targets(listed, enterprises)] == ["xinyuan", "tongxin"]
    assert [e.id for e in targets(Targeting(), enterprises)] == ["xinyuan", "haiyue", "lanjing", "tongxin"]


def test_the_key_support_flag_narrows_tags_and_imported_lists(settings: Settings) -> None:
    enterprises = [
        replace(e, key_support=e.id in ("xinyuan", "lanjing")) for e in settings.demo_enterprises()
    ]
    small = Tags.of({"size_class": ["小微"]})
    assert [e.id for e in targets(Targeting(key_support=True), enterprises)] == ["xinyuan", "lanjing"]
    assert [e.id for e in targets(Targeting(small, key_support=True), enterprises)] == ["lanjing"]
    listed = frozenset({"91350206MA2Y3K8P13", "91350200MA31XQ7N4P"})  # xinyuan, haiyue
    assert [e.id for e in targets(Targeting(codes=listed, key_support=True), enterprises)] == ["xinyuan"]
    assert [e.id for e in targets(Targeting(codes=listed), enterprises)] == ["xinyuan", "haiyue"]
    # stored as JSON: the flag survives; a campaign stored before the flag reads back without it
    flagged = Targeting(small, listed, key_support=True)
    assert Targeting.from_dict(flagged.as_dict()) == flagged
    assert Targeting.from_dict({"tags": {"district": ["湖里区"]}, "codes": []}).key_support is False
    assert "key_support" not in Targeting(small).as_dict()


def test_chat_reads_the_key_support_flag_beside_the_tags() -> None:
    for text in ("区域=湖里区 重点帮扶 部门=industry_it", "key_support district=湖里区 depts=industry_it"):
        targeting, departments = parse_targeting(text)
        assert (targeting.key_support, targeting.tags.district, departments) == (
            True,
            frozenset({"湖里区"}),
            ["industry_it"],
        ), text
    assert parse_targeting("重点帮扶=是")[0].key_support is True
    assert parse_targeting("区域=湖里区")[0].key_support is False
    assert parse_targeting("标签=重点帮扶企业")[0] == Targeting(Tags.of({"qualifications": ["重点帮扶企业"]}))


async def test_a_campaign_for_the_key_support_enterprises_from_chat(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    async with w.storage() as uow:
        await uow.enterprises.add(
            Enterprise("jinlong", "厦门金龙帮扶机械有限公司", district="湖里区", key_support=True)
        )
        await uow.enterprises.add(Enterprise("siming", "思明区帮扶企业", district="思明区", key_support=True))
        await uow.commit()
    new = "/campaign new 重点帮扶走访 2026-11-20..2026-11-30 区域=湖里区 重点帮扶 部门=industry_it"
    created = own(await w.say(CHEN, new))
    assert "已创建走访活动 C1「重点帮扶走访」：目标企业 1 家，未分配 0 家" in created, created
    async with w.storage() as uow:
        campaign = await uow.campaigns.get(1)
        lines = await uow.campaigns.target_lines(1)
    assert campaign is not None
    assert campaign.targeting.key_support
    assert [(line.enterprise.id, line.officer_id) for line in lines] == [("jinlong", "wang_lei")]
    everyone = own(await w.say(CHEN, "/campaign new 全体帮扶 2026-11-20..2026-11-30 重点帮扶"))
    assert "目标企业 2 家，未分配 2 家" in everyone, everyone


def test_liaison_officers_first_then_spread_over_the_named_departments(settings: Settings) -> None:
    directory = settings.bootstrap_directory()
    enterprises = [*settings.demo_enterprises(), Enterprise("zz", "Z", liaison_officer_id="gone")]
    spread = {
        a.enterprise_id: (a.officer_id, a.department_id)
        for a in assign(enterprises, ["industry_it", "hr_social"], directory)
    }
    assert spread["xinyuan"] == ("wang_lei", "industry_it")  # its liaison officer
    # the rest in turn over the departments (by enterprise id), and in each over its officers
    assert spread["haiyue"] == ("wang_lei", "industry_it")
    assert spread["lanjing"] == ("fang_yi", "hr_social")
    assert spread["tongxin"] == ("zheng_yu", "industry_it")
    assert spread["zz"] == ("zhou_min", "hr_social")  # a liaison officer no longer configured
    unassigned = assign(enterprises, [], directory)
    assert [a.officer_id for a in unassigned if a.enterprise_id != "xinyuan"] == [None, None, None, None]


async def _campaign(w: World) -> str:
    created = own(
        await w.say(CHEN, "/campaign new 敲门行动 2026-11-20..2026-11-30 区域=湖里区 部门=industry_it")
    )
    assert "已创建走访活动 C1「敲门行动」：目标企业 4 家，未分配 0 家" in created, created
    return created


async def test_heads_and_admins_run_campaigns_officers_are_told_who_may(
    settings: Settings, clock: Clock
) -> None:
    w = await make_world(settings, clock)
    refused = own(await w.say(WANG, "/campaign new 敲门行动 2026-11-20..2026-11-30"))
    assert "部门负责人或管理员" in refused
    assert "/visits" in refused
    await _campaign(w)
    assert "C1「敲门行动」[进行中] 至 2026-11-30：已走访 0/4" in own(await w.say(ZHENG, "/campaign"))
    assert "结束日 2026-11-01 早于开始日 2026-11-20" in own(
        await w.say(CHEN, "/campaign new 二轮 2026-11-20..2026-11-01")
    )
    assert "没有符合条件的企业" in own(
        await w.say(CHEN, "/campaign new 空 2026-11-20..2026-11-30 区域=思明区")
    )
    assert "没有这些部门：nowhere" in own(
        await w.say(CHEN, "/campaign new 错 2026-11-20..2026-11-30 部门=nowhere")
    )
    assert "用法" in own(await w.say(CHEN, "/campaign close"))


async def test_reassign_change_close_are_audited(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    await _campaign(w)
    assert "1 家企业改由 wu_bin 走访" in own(
        await w.say(CHEN, "/campaign assign 1 厦门海悦进出口贸易有限公司 wu_bin")
    )
    assert "2 家企业改由 wu_bin 走访" in own(await w.say(CHEN, "/campaign assign 1 from:wang_lei wu_bin"))
    assert "已修改" in own(await w.say(CHEN, "/campaign change 1 period 2026-11-20..2026-12-05"))
    status = own(await w.say(CHEN, "/campaign status 1"))
    assert "2026-11-20 至 2026-12-05" in status
    assert "吴斌: 已走访 0/3，剩余 3，完成 0.0%" in status
    assert "郑宇: 已走访 0/1" in status
    assert own(await w.say(CHEN, "/campaign status　Ｃ１")) == status  # as a full-width keyboard types it
    assert "已结束" in own(await w.say(CHEN, "/campaign close 1"))
    assert "已经结束" in own(await w.say(CHEN, "/campaign close 1"))
    # closed before its last day: no days are left to it
    head = own(await w.say(CHEN, "/campaign status 1")).splitlines()[0]
    assert head.endswith("2026-11-20 至 2026-12-05，已结束）"), head
    async with w.storage() as uow:
        actions = [e.action for e in await uow.campaigns.events(1)]
    assert actions == ["create", "assign", "assign", "change", "close"]


async def _record_visit_of(w: World, company: str) -> None:
    await w.say(WANG, f"/visit {company}")
    for answer in ("今天", "陈总", "生产正常"):
        await w.say(WANG, answer)
    await w.say(WANG, "/done")


async def _record_visit(w: World) -> list[Reply]:
    listed = own(await w.say(WANG, "/visits"))
    assert "您还有 3 家企业待走访" in listed
    assert "1. 厦门海悦进出口贸易有限公司" in listed
    assert "2. 厦门鑫源精密机械有限公司" in listed
    started = await w.say(WANG, "/visit 2")
    assert "开始记录走访 V1：厦门鑫源精密机械有限公司（C1 敲门行动）" in own(started)
    assert started[-1].buttons[0].payload == "visit:today"
    assert "见到了谁" in own(await w.say(WANG, "", payload="visit:today"))
    assert "一句话" in own(await w.say(WANG, "陈总（总经理）"))
    assert "逐条发送" in own(await w.say(WANG, "订单饱满，正在扩产，用工紧张"))
    return await w.say(WANG, "诉求：新厂房需要尽快办理施工许可")


async def test_a_visit_recorded_in_chat_opens_a_ticket_for_the_enterprise_and_counts(
    settings: Settings, clock: Clock
) -> None:
    w = await make_world(settings, clock)
    await _campaign(w)
    demand = await _record_visit(w)
    assert "已为企业建立工单 #1（其他诉求），转交 王磊；已通知企业的 1 位联系人" in own(demand)
    told = [r for r in demand if r.to == ToChat("console", "enterprise:xinyuan")]
    assert len(told) == 1
    assert "王磊 在走访中记录了贵企业的诉求，已为您建立工单 #1" in told[0].text
    assert not [r for r in demand if r.to == ToOfficer("wang_lei")]  # the author hears it once, above
    async with w.storage() as uow:
        ticket = await uow.tickets.get(1)
        events = await uow.events.for_ticket(1)
    assert ticket is not None
    assert (ticket.enterprise_id, ticket.assignee_id, ticket.channel) == ("xinyuan", "wang_lei", "console")
    assert events[0].actor_id == "wang_lei"
    assert events[0].note == "source: visit V1"
    # an item without its kind is asked about; a command meanwhile is done and the question re-asked
    asked = await w.say(WANG, "希望政府牵线对接高校做联合研发")
    assert [b.payload for b in asked[-1].buttons] == [
        "visit:kind:demand",
        "visit:kind:opinion",
        "visit:kind:plan",
    ]
    mine = own(await w.say(WANG, "/mine"))
    assert "仍在记录中" in mine
    assert "是哪一类" in mine
    assert "已记录意见建议" in own(await w.say(WANG, "", payload="visit:kind:opinion"))
    assert "已记录项目计划" in own(await w.say(WANG, "项目：明年投资两亿元建设二期"))
    assert "已保存到走访 V1" in own(await w.say(WANG, "", payload="media:photo:AgAC-file-1"))
    done = own(await w.say(WANG, "/done"))
    assert "诉求 1 条，意见建议 1 条，项目计划 1 条，附件 1 个" in done
    # after /done, staff free text is no longer taken as the record's
    assert "工作人员请使用命令" in own(await w.say(WANG, "你好"))
    async with w.storage() as uow:
        campaign = await uow.campaigns.get(1)
    assert campaign is not None
    report = await coverage_report(w.deps, campaign)
    assert (report.total.assigned, report.total.visited, report.total.remaining) == (4, 1, 3)
    assert (report.total.demands, report.total.notes) == (1, 2)
    wang = next(line for line in report.by_officer if line.key == "wang_lei")
    assert (wang.assigned, wang.visited, wang.percent) == (3, 1, 33.3)
    assert "您还有 2 家企业待走访" in own(await w.say(WANG, "/visits"))


async def test_a_marked_item_is_taken_at_any_step_and_the_question_asked_again(
    settings: Settings, clock: Clock
) -> None:
    w = await make_world(settings, clock)
    await _campaign(w)
    await w.say(WANG, "/visit 厦门海悦进出口贸易有限公司")
    replies = await w.say(WANG, "意见：希望简化出口退税流程")
    assert "已记录意见建议（V1）" in own(replies)
    assert "走访日期" in replies[-1].text
    assert "不是日期" in own(await w.say(WANG, "明天下午"))
    assert "见到了谁" in own(await w.say(WANG, "11-22"))
    assert "还有一条走访记录 V1" in own(await w.say(WANG, "/visit 1"))
    assert "不计入走访覆盖" in own(await w.say(WANG, "/done"))  # no situation: not counted
    async with w.storage() as uow:
        visit = await uow.campaigns.visit(1)
    assert visit is not None
    assert visit.visited_on == date(2026, 11, 22)


async def test_only_the_author_corrects_a_visit_and_only_that_day(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    await _campaign(w)
    await _record_visit(w)
    await w.say(WANG, "/done")
    assert "已更正" in own(await w.say(WANG, "/visit fix V1 met 陈总（董事长）"))
    assert "逐条发送" in own(await w.say(WANG, "/visit add V1"))  # a forgotten item, added the same day
    assert "已记录项目计划" in own(await w.say(WANG, "项目：计划明年上市"))
    assert "诉求 1 条，意见建议 0 条，项目计划 1 条" in own(await w.say(WANG, "/done"))
    assert "只能由记录人在记录当天更正" in own(await w.say(WU, "/visit add V1"))
    assert "只能由记录人在记录当天更正" in own(await w.say(WU, "/visit fix V1 met 别人"))
    clock.now += timedelta(days=1)
    assert "只能由记录人在记录当天更正" in own(await w.say(WANG, "/visit fix V1 met 又改"))
    async with w.storage() as uow:
        visit = await uow.campaigns.visit(1)
    assert visit is not None
    assert visit.met == "陈总（董事长）"


async def test_officers_behind_pace_or_near_the_end_hear_what_is_left_and_the_lead_the_progress(
    settings: Settings, clock: Clock
) -> None:
    w = await make_world(settings, clock)  # Monday 2026-11-23
    created = await create_campaign(
        w.deps,
        name="远期",
        starts_on=date(2026, 11, 23),
        ends_on=date(2026, 12, 31),
        lead_id="chen_jing",
        targeting=Targeting(),
        departments=["industry_it"],
    )
    assert created.targets == 4
    first = await campaign_reminders(w.deps, clock())  # its first day: nobody is behind yet
    assert [r.to for r in first] == [ToOfficer("chen_jing")]
    assert "远期」（剩余 39 天）：已走访 0/4" in first[0].text
    assert await campaign_reminders(w.deps, clock()) == []  # once a day

    clock.now += timedelta(days=1)  # a day gone of 39 with nothing visited: behind the pace
    await _record_visit_of(w, "厦门鑫源精密机械有限公司")
    behind = {r.to: r.text for r in await daily_digest(w.deps, clock()) if "走访进度落后" in r.text}
    # zheng_yu: 0 of 1 after 1 day of 39, behind; wang_lei: 1 of 3, ahead of 3/39
    assert set(behind) == {ToOfficer("zheng_yu")}
    assert "蓝鲸软件科技(厦门)有限公司" in behind[ToOfficer("zheng_yu")]

    clock.now += timedelta(days=1)  # Wednesday, the end near
    await w.say(CHEN, "/campaign change 1 period 2026-11-23..2026-11-27")
    near = {r.to: r.text for r in await daily_digest(w.deps, clock()) if "走访进度落后" in r.text}
    assert "湖里区同心食品厂" in near[ToOfficer("wang_lei")]
    assert "厦门鑫源" not in near[ToOfficer("wang_lei")]  # visited: no longer listed
    assert "剩余 3 天" in near[ToOfficer("wang_lei")]


def test_campaign_days_left_counts_the_last_day() -> None:
    campaign = Campaign(None, "x", date(2026, 11, 1), date(2026, 11, 30), "chen_jing")
    assert campaign.days_left(date(2026, 11, 30)) == 1
    assert campaign.days_left(date(2026, 12, 1)) == 0
    assert isinstance(ToSender(), ToSender)


async def test_the_bulletin_groups_the_items_and_names_no_confidential_company(
    settings: Settings, clock: Clock
) -> None:
    w = await make_world(settings, clock)
    await _campaign(w)
    await _record_visit(w)  # ticket #1 for xinyuan
    await w.say(WANG, "意见：希望简化出口退税流程")
    await w.say(WANG, "/done")
    await w.say(WANG, "/visit 厦门海悦进出口贸易有限公司")
    for answer in ("今天", "林经理", "出口订单下滑", "诉求：海关查验太慢", "项目：新建保税仓"):
        await w.say(WANG, answer)
    await w.say(WANG, "/done")
    async with w.storage() as uow:
        secret = await uow.tickets.get(2)
        assert secret is not None
        await uow.tickets.update(replace(secret, confidential=True))
        await uow.commit()
        campaign = await uow.campaigns.get(1)
    assert campaign is not None
    text = to_markdown(await build_bulletin(w.deps, campaign, "zh-CN"), w.deps)
    assert "- 合计 已走访 2/4，剩余 2，完成 50.0%" in text
    assert "- 共 2 条：办理中 2 条，已答复 0 条，已办结 0 条" in text
    assert "- 其他诉求：2 条（办理中 2，已答复 0，已办结 0）" in text
    assert "- #1 厦门鑫源精密机械有限公司: 新厂房需要尽快办理施工许可" in text
    assert "- #2 （保密企业）: 海关查验太慢" in text
    assert "海悦" not in text.split("## 意见建议")[0]  # the confidential demand's company, nowhere
    assert "## 意见建议\n\n- 共 1 条\n- 厦门鑫源精密机械有限公司: 希望简化出口退税流程" in text
    assert "## 项目计划\n\n- 共 1 条\n- 厦门海悦进出口贸易有限公司: 新建保税仓" in text
    english = to_markdown(await build_bulletin(w.deps, campaign, "en", since=date(2026, 11, 24)), w.deps)
    assert "- 0 in all: 0 in progress, 0 answered, 0 closed" in english  # nothing visited since


async def test_a_demand_for_an_enterprise_nobody_bound_is_routed_the_officer_told_the_binder_takes_it(
    settings: Settings, clock: Clock
) -> None:
    """Roster-only contacts tell no one; the officer hears so. The first chat to bind takes over the
    open ticket (audited) and is told of it; what happens to it then reaches that chat."""
    w = await make_world(settings, clock)
    async with w.storage() as uow:
        await uow.enterprises.add(
            Enterprise("jinlong", "厦门金龙精工有限公司", district="湖里区", liaison_officer_id="wang_lei")
        )
        await uow.contacts.add(
            Contact(None, ROSTER, "13900000001", "郑经理", "zh-CN", enterprise_id="jinlong")
        )
        await uow.commit()
    created = own(await w.say(CHEN, "/campaign new 敲门行动 2026-11-20..2026-11-30 区域=湖里区"))
    assert "目标企业 5 家" in created, created
    await w.say(WANG, "/visit 厦门金龙精工有限公司")
    for answer in ("今天", "郑经理", "新建产线"):
        await w.say(WANG, answer)
    demand = await w.say(WANG, "诉求：新厂房需要尽快办理施工许可")
    said = own(demand)
    assert "已为企业建立工单 #1（其他诉求），转交 王磊。" in said
    assert "该企业还没有人绑定小二（名册上有联系人 1 位），无法通知企业" in said
    assert "/invite jinlong" in said
    assert [r.to for r in demand] == [ToSender()]  # nobody else: no roster "chat", no stand-in
    await w.say(WANG, "诉求：希望协调办理环评")  # a second one, closed before anyone binds
    await w.say(WANG, "/done")
    async with w.storage() as uow:
        ticket = await uow.tickets.get(1)
        second = await uow.tickets.get(2)
        assert second is not None
        await uow.tickets.update(replace(second, status=Status.CLOSED, closed_at=clock()))
        await uow.commit()
    assert ticket is not None
    assert (ticket.enterprise_id, ticket.assignee_id, ticket.channel) == ("jinlong", "wang_lei", VISIT)
    async with w.storage() as uow:  # the stand-in binds no one: the liaison officer is still to invite
        unbound, _ = await uow.onboarding.unbound_of("wang_lei")
    assert "jinlong" in [e.id for e in unbound]

    await w.say(WANG, "/take 1")
    unheard = own(await w.say(WANG, "/reply 1 已联系住建局，等待企业补充材料"))
    assert "该企业还没有人绑定小二，这条消息暂时无人接收" in unheard  # the officer is not misled

    code = own(await w.say(WANG, "/invite jinlong")).split("/start ")[1].split()[0].rstrip("。")
    newcomer = Sender("telegram", "6001", "郑经理", language="zh-hans")
    bound = await w.say(newcomer, f"/start {code}")
    told = own(bound)
    assert "绑定成功！您现在是厦门金龙精工有限公司的联系人" in told
    assert "工作人员在走访中为贵企业记录了 1 条诉求" in told
    assert "#1 【急】[办理中] 其他诉求 · 王磊 · 区工业和信息化局 · 新厂房需要尽快办理施工许可" in told
    assert "#2" not in told  # closed: not brought up again
    async with w.storage() as uow:
        ticket = await uow.tickets.get(1)
        events = await uow.events.for_ticket(1)
        still_held = await uow.tickets.get(2)
    assert ticket is not None
    assert still_held is not None
    assert (ticket.channel, ticket.chat_id) == ("telegram", "6001")
    assert still_held.channel == VISIT
    assert (events[-1].action.value, events[-1].note) == ("hand_over", "telegram:6001")
    reply = await w.say(WANG, "/reply 1 您好，明天上午带住建局同志上门")
    assert [r.text for r in reply if r.to == ToChat("telegram", "6001")], reply
    assert "无人接收" not in own(reply)
    again = await w.say(Sender("telegram", "6002", "李会计"), f"/start {code}")  # used: nothing changes
    assert "走访中" not in own(again)


async def test_a_visit_ticket_answered_before_anyone_bound_asks_its_survey_of_the_binder(
    settings: Settings, clock: Clock
) -> None:
    """The survey of a ticket resolved while only the stand-in held it went to nobody: whoever binds
    is asked it, with the officer's result, and can answer it."""
    w = await make_world(settings, clock)
    async with w.storage() as uow:
        await uow.enterprises.add(
            Enterprise("jinlong", "厦门金龙精工有限公司", district="湖里区", liaison_officer_id="wang_lei")
        )
        await uow.commit()
    await w.say(CHEN, "/campaign new 敲门行动 2026-11-20..2026-11-30 区域=湖里区")
    await w.say(WANG, "/visit 厦门金龙精工有限公司")
    for answer in ("今天", "郑经理", "新建产线"):
        await w.say(WANG, answer)
    await w.say(WANG, "诉求：新厂房需要尽快办理施工许可")
    await w.say(WANG, "/done")
    await w.say(WANG, "/take 1")
    await w.say(WANG, "/resolve 1 施工许可已于今日核发")
    assert await w.status(1) is Status.SURVEY

    code = own(await w.say(WANG, "/invite jinlong")).split("/start ")[1].split()[0].rstrip("。")
    newcomer = Sender("telegram", "6001", "郑经理", language="zh-hans")
    bound = await w.say(newcomer, f"/start {code}")
    [asked] = [r for r in bound if r.buttons]
    assert "施工许可已于今日核发" in asked.text
    assert "王磊" in asked.text
    assert asked.buttons[0].payload == "survey:1:r:resolved"
    satisfied = await w.say(newcomer, "1", payload="survey:1:r:resolved")
    assert next(b.payload for r in satisfied for b in r.buttons) == "survey:1:s:satisfied"


def test_only_the_enterprises_own_chat_takes_over_a_ticket_held_by_the_visit_stand_in() -> None:
    held = replace(builders.ticket(enterprise_id="acme"), number=3, channel=VISIT, chat_id="visit:acme")
    chat = replace(builders.contact("acme", external_id="6001", channel="telegram"), id=8)
    person = builders.enterprise_actor("acme", contact_id=8)
    taken = hand_over(held, person, chat, NOW)
    assert (taken.ticket.contact_id, taken.ticket.channel, taken.ticket.chat_id) == (8, "telegram", "6001")
    assert (taken.event.action, taken.event.note, taken.event.to_status) == (
        Action.HAND_OVER,
        "telegram:6001",
        held.status,
    )
    other = replace(builders.contact("other", external_id="6002", channel="telegram"), id=9)
    roster = replace(builders.contact("acme", external_id="13900000001", channel=ROSTER), id=10)
    for ticket, contact, actor in (
        (replace(held, channel="telegram"), chat, person),  # a ticket someone already speaks for
        (held, other, builders.enterprise_actor("other", contact_id=9)),  # another enterprise's chat
        (held, roster, builders.enterprise_actor("acme", contact_id=10)),  # a roster name is no chat
        (held, chat, builders.officer_actor("wang_lei", "industry_it")),  # only the person themself
    ):
        with pytest.raises(NotAllowed):
            hand_over(ticket, actor, contact, NOW)
    with pytest.raises(IllegalTransition):
        hand_over(replace(held, status=Status.CLOSED), person, chat, NOW)
