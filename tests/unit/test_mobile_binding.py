"""When binding by a vouched-for mobile speaks, on a channel whose platform gives mobiles (a fake
source standing in for WeCom): the directory's mobile binds at once; else the consent link is
offered on the first message and on a bare `/start`, not on every message nor beside a code
being redeemed; a channel without a source (Telegram) is untouched."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.config import Settings
from bot.domain.messages import Sender
from bot.domain.phones import comparable_phone
from tests.conftest import Clock
from tests.unit.test_binding import code_in
from tests.world import DEMAND, WANG, World, make_world, own

MEMBER = Sender("wecom", "ZhaoLiu", "ZhaoLiu")


@dataclass
class FakeMobiles:
    """The platform's side: mobiles its directory gives this app, and the links it makes."""

    mobiles: dict[str, str] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)
    link_minutes: int = 30

    async def mobile_of(self, user_id: str) -> str | None:
        self.asked.append(user_id)
        return self.mobiles.get(user_id)

    def consent_link(self, state: str) -> str | None:
        return f"https://oauth.example/authorize?state={state}#wechat_redirect"


async def _world(settings: Settings, clock: Clock) -> tuple[World, FakeMobiles]:
    w = await make_world(settings, clock)
    source = FakeMobiles()
    w.deps.mobile_sources.offer("wecom", source)
    async with w.storage() as uow:  # xinyuan's roster lists 13900000001
        row = {"phone": comparable_phone("13900000001"), "display_name": "赵总", "lang": "zh-CN"}
        await uow.org_sheets.write("contacts", [{**row, "enterprise_id": "xinyuan"}], [], [], clock())
        await uow.commit()
    return w, source


def _states(text: str) -> list[str]:
    return re.findall(r"state=([0-9a-f]{40})#wechat_redirect", text)


async def test_the_link_is_offered_on_the_first_message_and_on_a_bare_start(
    settings: Settings, clock: Clock
) -> None:
    w, source = await _world(settings, clock)
    first = own(await w.say(MEMBER, DEMAND))
    assert "工单号 #1" in first  # the demand is handled as it is, and then the offer
    [state] = _states(first)
    assert "也可以向包联干部索取邀请码" in first
    assert _states(own(await w.say(MEMBER, "你好"))) == []  # not on every message
    again = own(await w.say(MEMBER, "/start"))
    assert "/status 查看我的诉求" in again  # the help
    assert "分享手机号" not in again  # no contact button to press on this channel
    [fresh] = _states(again)
    assert fresh != state
    assert source.asked == ["ZhaoLiu"] * 3  # the platform is asked each time, it may know it now


async def test_a_first_message_redeeming_a_code_is_not_offered_the_link(
    settings: Settings, clock: Clock
) -> None:
    w, _ = await _world(settings, clock)
    code = code_in(own(await w.say(WANG, "/invite xinyuan")))
    bound = own(await w.say(MEMBER, f"/start {code}"))
    assert "绑定成功！您现在是厦门鑫源精密机械有限公司的联系人" in bound
    assert _states(bound) == []


async def test_the_directorys_mobile_binds_before_the_message_is_handled(
    settings: Settings, clock: Clock
) -> None:
    w, source = await _world(settings, clock)
    source.mobiles = {"ZhaoLiu": "+86 139 0000 0001", "SunQi": "13900000002"}
    replies = own(await w.say(MEMBER, DEMAND))
    assert replies.index("尾号 0001）完成绑定") < replies.index("包联干部 王磊")  # xinyuan's demand
    assert _states(replies) == []
    stranger = Sender("wecom", "SunQi", "SunQi")
    assert "尾号 0002）还没有登记在任何企业名下" in own(await w.say(stranger, "你好"))
    assert own(await w.say(stranger, "你好")).count("尾号") == 0  # said once, not on every message
    assert "尾号 0002）还没有登记" in own(await w.say(stranger, "/start"))


async def test_a_channel_without_a_source_is_untouched(settings: Settings, clock: Clock) -> None:
    w, source = await _world(settings, clock)
    telegram = Sender("telegram", "5001", "张总")
    assert _states(own(await w.say(telegram, DEMAND))) == []
    assert source.asked == []
