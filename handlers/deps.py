"""Everything a handler may use, passed in explicitly (built once by bot.bootstrap)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.domain.bulletin import BulletinRules
from bot.domain.escalation import Ladder
from bot.domain.org import Directory
from bot.domain.policies import PolicyOptions
from bot.domain.sla import SlaPolicy
from bot.domain.web_console import ConsoleAccess
from handlers.mobile_sources import MobileSources
from handlers.start_links import StartLinks
from nlu.types import NluBackend
from storage.protocols import UnitOfWorkFactory


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Deps:
    storage: UnitOfWorkFactory
    directory: Directory
    nlu: NluBackend
    sla: SlaPolicy = field(default_factory=SlaPolicy)  # the limits and the working calendar
    ladder: Ladder = field(default_factory=Ladder)  # when reminders and supervision are due
    clock: Callable[[], datetime] = utc_now
    default_lang: str = "zh-CN"
    clarify_below: float = 0.5  # intent confidence under which the bot asks instead of acting
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    policies: PolicyOptions = field(default_factory=PolicyOptions)
    # each channel's deep link for invites, told by the channel once it knows it (Telegram: getMe)
    start_links: StartLinks = field(default_factory=StartLinks)
    # each channel whose platform vouches for a member's mobile (WeCom), told by the channel
    mobile_sources: MobileSources = field(default_factory=MobileSources)
    # channels whose member-unit groups are reached through a robot: notices there carry no buttons
    robot_group_channels: frozenset[str] = frozenset()
    # The channels messages can go out on (`xiaoer run`: those in use), to tell whether a notice
    # reaches anyone; None: every officer is reachable (the console shell, tests).
    reach_channels: frozenset[str] | None = None
    # the web console, when it is enabled with a public address (`/web` sends its sign-in links)
    console: ConsoleAccess | None = None
    bulletin: BulletinRules = field(default_factory=BulletinRules)  # the leadership bulletin (动态)
