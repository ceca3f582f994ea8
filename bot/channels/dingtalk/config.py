"""The DingTalk channel's section of the config: `channels.dingtalk` (env `XIAOER_CHANNELS__DINGTALK__*`)."""

from __future__ import annotations

import re
from collections import Counter
from typing import ClassVar

from pydantic import Field

from bot.config_section import RobotGroupsSection, RobotSection

_REQUIRED = ("app_key", "app_secret", "robot_code")


class DingtalkRobotConfig(RobotSection):
    """A member-unit group's custom robot (自定义机器人): the access_token of its webhook
    (https://oapi.dingtalk.com/robot/send?access_token=…), the signing secret (加签, "SEC…") if its
    security setting is signing, the keyword if it is a custom keyword, and the group's tags."""

    access_token: str = Field(min_length=1)
    secret: str | None = None
    keyword: str | None = None

    secret_fields: ClassVar[tuple[str, ...]] = ("access_token", "secret")


class DingtalkConfig(RobotGroupsSection):
    """The enterprise-internal app (企业内部应用) with its robot, and the member-unit group robots."""

    platform: ClassVar[str] = "DingTalk"
    path: ClassVar[str] = "channels.dingtalk"
    secret_fields: ClassVar[tuple[str, ...]] = ("app_secret",)

    enabled: bool = False
    app_key: str | None = None  # the app's AppKey (Client ID)
    app_secret: str | None = None  # AppSecret (Client Secret): XIAOER_CHANNELS__DINGTALK__APP_SECRET
    robot_code: str | None = None  # the app robot's RobotCode (usually the AppKey)
    api_base: str = "https://api.dingtalk.com"  # the new server API (access token, robot sends)
    oapi_base: str = "https://oapi.dingtalk.com"  # custom robots' webhooks
    callback_path: str = Field(default="/dingtalk/callback", pattern=r"^/\S*$")
    host: str = "127.0.0.1"  # where the callback server listens (behind a reverse proxy)
    port: int = Field(default=8082, ge=0, le=65535)
    # Moved to departments[].chats.dingtalk (the openConversationId of the officers' group chat,
    # which the app robot has been added to): refused with what to write instead.
    department_groups: dict[str, str] = Field(default_factory=dict)
    robots: tuple[DingtalkRobotConfig, ...] = ()

    @property
    def in_use(self) -> bool:
        return self.enabled

    def problems(self) -> list[str]:
        """An enabled DingTalk channel needs its app's credentials; each problem is one line."""
        problems = (
            [
                f"channels.dingtalk.department_groups: moved to departments: give each department "
                f"chats: {{dingtalk: <openConversationId>}} ({', '.join(sorted(self.department_groups))})"
            ]
            if self.department_groups
            else []
        )
        problems += [
            f"channels.dingtalk.robots[].{field}: '{value}' appears more than once"
            for field in ("name", "access_token")
            for value, count in Counter(getattr(r, field) for r in self.robots).items()
            if count > 1
        ]
        for i, robot in enumerate(self.robots):
            if not re.fullmatch(r"[A-Za-z0-9_-]+", robot.access_token):
                problems.append(
                    f"channels.dingtalk.robots[{i}].access_token: only the access_token value of the "
                    "robot's webhook (the part after access_token=), not the whole URL"
                )
        if not self.enabled:
            return problems
        for key in _REQUIRED:
            if getattr(self, key) in (None, ""):
                problems.append(
                    f"channels.dingtalk.{key}: required when channels.dingtalk.enabled is true "
                    f"(set it in the config or XIAOER_CHANNELS__DINGTALK__{key.upper()})"
                )
        for key in ("api_base", "oapi_base"):
            if not getattr(self, key).startswith(("http://", "https://")):
                problems.append(
                    f"channels.dingtalk.{key}: must start with https:// (or http:// for a gateway)"
                )
        return problems
