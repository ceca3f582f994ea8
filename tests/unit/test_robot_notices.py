"""Issue 21 item 8: a policy notice that goes out through a WeCom group robot carries no buttons
(nobody can press one there), so its text does not tell anyone to press one."""

from __future__ import annotations

from bot.config import Settings
from bot.domain.messages import Button
from bot.domain.policies import MemberGroup, Policy
from handlers.policy_audience import Reach, notices
from tests.conftest import NOW, Clock
from tests.world import make_world

POLICY = Policy(
    id=7,
    title="专精特新奖励",
    body="很长的政策正文。" * 400,  # over the excerpt: the notice says where the rest is
    department_id="industry_it",
    created_by="cli",
    created_at=NOW,
)
ROBOT_GROUP = MemberGroup("huli", "湖里园区", "wecom", "huli_park")
TELEGRAM_GROUP = MemberGroup("siming", "思明园区", "telegram", "-1001")


async def test_a_robot_groups_notice_has_no_buttons_and_mentions_none(
    settings: Settings, clock: Clock
) -> None:
    w = await make_world(settings, clock)
    robot, telegram = notices(POLICY, Reach([ROBOT_GROUP, TELEGRAM_GROUP], [], []), w.deps)
    assert robot.buttons == ()
    for pressed in ("点击", "咨询”", "我要申报”"):
        assert pressed not in robot.text, robot.text
    assert "小二" in robot.text  # where to ask or apply instead
    # where buttons can be pressed, the notice still points at them
    assert [b.payload for b in telegram.buttons] == ["pol:ack:7", "pol:apply:7", "pol:ask:7"]
    assert "点击“咨询”" in telegram.text
    assert isinstance(telegram.buttons[0], Button)
