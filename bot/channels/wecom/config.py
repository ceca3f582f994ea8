"""The WeCom channel's section of the config: `channels.wecom` (env `XIAOER_CHANNELS__WECOM__*`)."""

from __future__ import annotations

import base64
import binascii
import re
from collections import Counter
from typing import ClassVar

from pydantic import Field

from bot.config_section import RobotGroupsSection, RobotSection

_REQUIRED = ("corp_id", "agent_id", "secret", "token", "encoding_aes_key")


class WecomRobotConfig(RobotSection):
    """A member-unit group's robot (群机器人): its webhook key, besides its name and the group's tags."""

    key: str = Field(min_length=1)

    secret_fields: ClassVar[tuple[str, ...]] = ("key",)


class WecomConfig(RobotGroupsSection):
    """The WeCom (企业微信 / 政务微信) self-built app and the member-unit group robots."""

    platform: ClassVar[str] = "WeCom"
    path: ClassVar[str] = "channels.wecom"
    secret_fields: ClassVar[tuple[str, ...]] = ("secret", "token", "encoding_aes_key")

    enabled: bool = False
    corp_id: str | None = None  # 企业ID; also the receive id every callback must carry
    agent_id: int | None = None  # the app's AgentId
    secret: str | None = None  # the app's Secret: XIAOER_CHANNELS__WECOM__SECRET
    token: str | None = None  # callback Token: XIAOER_CHANNELS__WECOM__TOKEN
    encoding_aes_key: str | None = None  # callback EncodingAESKey: XIAOER_CHANNELS__WECOM__ENCODING_AES_KEY
    api_base: str = "https://qyapi.weixin.qq.com"  # or a self-hosted gateway (政务微信)
    callback_path: str = Field(default="/wecom/callback", pattern=r"^/\S*$")
    host: str = "127.0.0.1"  # where the callback server listens (behind a reverse proxy)
    port: int = Field(default=8081, ge=0, le=65535)
    robots: tuple[WecomRobotConfig, ...] = ()
    # Binding an enterprise's person by the mobile WeCom has for them (README, Binding by mobile):
    # read from the directory where the app may (apps created before 2022-06-20), else with the
    # member's consent on WeCom's OAuth page, which sends them back to `mobile_path` on the
    # runtime's web server at the public address `web.url` (a trusted domain of the app).
    bind_by_mobile: bool = True
    mobile_path: str = Field(default="/wecom/mobile", pattern=r"^/\S*$")
    mobile_link_minutes: int = Field(default=30, ge=5, le=1440)  # a consent link expires after this
    oauth_base: str = "https://open.weixin.qq.com"  # where the OAuth page is (a gateway's for 政务微信)

    @property
    def in_use(self) -> bool:
        return self.enabled

    def problems(self) -> list[str]:
        """An enabled WeCom channel needs its app credentials; a bad key is named, never guessed at."""
        problems = [
            f"channels.wecom.robots[].{field}: '{value}' appears more than once"
            for field in ("key", "name")
            for value, count in Counter(getattr(r, field) for r in self.robots).items()
            if count > 1
        ]
        if not self.enabled:
            return problems
        for key in _REQUIRED:
            if getattr(self, key) in (None, ""):
                problems.append(
                    f"channels.wecom.{key}: required when channels.wecom.enabled is true "
                    f"(set it in the config or XIAOER_CHANNELS__WECOM__{key.upper()})"
                )
        if self.encoding_aes_key and not _is_encoding_aes_key(self.encoding_aes_key):
            problems.append(
                "channels.wecom.encoding_aes_key: must be the 43 letters and digits shown as EncodingAESKey "
                "in the app's 接收消息 settings (it decodes to a 32-byte AES key)"
            )
        if self.token and not re.fullmatch(r"[A-Za-z0-9]{1,32}", self.token):
            problems.append(
                "channels.wecom.token: must be the 1-32 letters and digits shown as Token in the app's "
                "接收消息 settings"
            )
        if not self.oauth_base.startswith(("http://", "https://")):
            problems.append("channels.wecom.oauth_base: must start with https://")
        if self.mobile_path == self.callback_path:
            problems.append("channels.wecom.mobile_path: must differ from channels.wecom.callback_path")
        if not self.api_base.startswith(("http://", "https://")):
            problems.append(
                "channels.wecom.api_base: must start with https:// (or http:// for a local gateway)"
            )
        return problems


def _is_encoding_aes_key(value: str) -> bool:
    if not re.fullmatch(r"[A-Za-z0-9+/]{43}", value):
        return False
    try:
        return len(base64.b64decode(value + "=", validate=True)) == 32
    except binascii.Error:
        return False
