"""Issue 14 item 4: administering the organisation from chat (/officer, /liaison, /company), for
admins and heads, audited, refused for everyone else; the directory follows at once."""

from __future__ import annotations

from bot.config import Settings
from bot.domain.messages import Sender
from handlers.campaigns.stand_in import stand_in
from tests.conftest import Clock
from tests.world import DEMAND, WANG, WU, XINYUAN, World, make_world, own

ADMIN = Sender("console", "officer:admin")
ZHENG = Sender("console", "officer:zheng_yu")  # head of industry_it, wang_lei's department
LIN = Sender("console", "officer:lin_hui")  # head of finance_office
LI_NA = Sender("console", "officer:li_na")  # a dispatcher


async def _changes(w: World, kind: str, key: str) -> list[tuple[str, str]]:
    async with w.storage() as uow:
        return [(c.actor, c.action) for c in await uow.org.changes(kind, key)]


async def test_officers_are_added_changed_and_deactivated_by_admins_and_heads(
    settings: Settings, clock: Clock
) -> None:
    w = await make_world(settings, clock)
    added = own(await w.say(ADMIN, "/officer add zhao_li 赵丽 区金融工作办公室"))
    assert "已添加工作人员 赵丽（zhao_li，区金融工作办公室，工作人员）" in added
    assert w.deps.directory.officers["zhao_li"].department_id == "finance_office"
    assert await _changes(w, "officer", "zhao_li") == [("admin", "add")]

    refused = own(await w.say(ZHENG, "/officer add qian_yi 钱一 finance_office"))  # not his department
    assert "只有管理员和部门负责人可以管理工作人员" in refused
    assert own(await w.say(WANG, "/officer off wu_bin")).startswith("只有管理员和部门负责人")
    assert "qian_yi" not in w.deps.directory.officers
    assert own(await w.say(ZHENG, "/officer add boss 老板 industry_it admin")).startswith("只有管理员")

    changed = own(await w.say(ZHENG, "/officer set wang_lei telegram=555 lang=en"))
    assert "已修改工作人员 王磊（wang_lei）" in changed
    assert "telegram" in changed
    officer = w.deps.directory.officer_by_identity("telegram", "555")
    assert officer is not None
    assert officer.lang == "en"
    assert own(await w.say(ZHENG, "/officer set wang_lei lang=en")) == "工作人员 wang_lei 没有变化。"
    assert "语言 fr 不认识" in own(await w.say(ZHENG, "/officer set wang_lei lang=fr"))

    off = own(await w.say(ZHENG, "/officer off wang_lei"))
    assert "已停用工作人员 王磊（wang_lei，区工业和信息化局）" in off
    assert "wang_lei" not in w.deps.directory.officers
    assert await _changes(w, "officer", "wang_lei") == [
        ("config", "add"),
        ("zheng_yu", "change"),
        ("zheng_yu", "deactivate"),
    ]
    # xinyuan's liaison is gone: its demand goes to the department that leads the category
    ack = own(await w.say(XINYUAN, DEMAND))
    assert "已转交 区金融工作办公室" in ack
    assert "用法" in own(await w.say(ADMIN, "/officer dance"))


async def test_liaison_officers_are_assigned_and_companies_shown(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    assert "只有管理员和部门负责人可以指定包联干部" in own(await w.say(WU, "/liaison haiyue wu_bin"))
    assert "只有管理员和部门负责人可以指定包联干部" in own(await w.say(ZHENG, "/liaison haiyue wu_bin"))
    done = own(await w.say(LIN, "/liaison 91350200MA31XQ7N4P 吴斌"))
    assert done == "厦门海悦进出口贸易有限公司的包联干部已改为 吴斌。"
    async with w.storage() as uow:
        haiyue = await uow.enterprises.get("haiyue")
    assert haiyue is not None
    assert haiyue.liaison_officer_id == "wu_bin"
    assert await _changes(w, "enterprise", "haiyue") == [("lin_hui", "change")]
    assert "没有变化" in own(await w.say(ADMIN, "/liaison haiyue wu_bin"))
    assert "对应 0 家企业" in own(await w.say(ADMIN, "/liaison nowhere wu_bin"))

    async with w.storage() as uow:  # a visit's demand was recorded before anyone there had a chat
        enterprise = await uow.enterprises.get("haiyue")
        assert enterprise is not None
        await stand_in(uow, enterprise, "走访代记", "zh-CN")
        await uow.commit()
    shown = own(await w.say(LI_NA, "/company 海悦"))
    assert "走访代记" not in shown  # the stand-in is nobody the officer could call
    assert "厦门海悦进出口贸易有限公司（haiyue）" in shown
    assert "统一社会信用代码：91350200MA31XQ7N4P" in shown
    assert "包联干部：吴斌" in shown
    assert "林经理" in shown  # its console contact
    assert "只有管理员、部门负责人和调度员可以查看企业档案" in own(await w.say(WU, "/company 海悦"))
    several = own(await w.say(ADMIN, "/company 厦门"))
    assert "“厦门”对应 3 家企业" in several
    assert "· 蓝鲸软件科技(厦门)有限公司（91350211MA2XYN0B8A）" in several
