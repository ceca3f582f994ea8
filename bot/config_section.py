"""The base of every config section: frozen, and an unknown key is an error, never ignored.

Its own module so that a channel's package can define its section (`bot/channels/<name>/config.py`)
without importing the whole settings model, which gathers the sections."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # the fields that hold credentials: masked wherever they turn up in a log line
    secret_fields: ClassVar[tuple[str, ...]] = ()

    def secrets(self) -> list[str]:
        return [
            value for name in self.secret_fields if isinstance(value := getattr(self, name), str) and value
        ]


class ChannelSection(Section):
    """A channel's section under `channels:`. The runtime plugs in each channel whose section is
    in use, from the module `bot.channels.<name>.plugin` (bot/channels/plugin.py)."""

    # whether people in this channel's member-unit groups can press a message's buttons (a group
    # reached through a webhook robot cannot: its notices are worded for typed answers instead)
    group_buttons: ClassVar[bool] = True

    @property
    def in_use(self) -> bool:
        raise NotImplementedError

    def problems(self) -> list[str]:
        """What is wrong with the section on its own, one `key.path: what to fix` line each."""
        return []

    def start_link_maker(self) -> Callable[[str], str] | None:
        """How to make a link that opens a chat with Xiaoer and sends `/start CODE` (an invite
        redeemed in one tap), if the channel has such links and the section knows enough to make
        them; the running channel may learn it later (StartLinks.offer)."""
        return None

    def member_group_problem(self, chat_id: str) -> str | None:
        """What is wrong with a member-unit group's `chat_id` (`groups[].chat_id`) on this channel,
        or None: each channel knows what its chats are called."""
        return None

    def member_group_warnings(self, named: set[str]) -> list[str]:
        """What is allowed but most likely not meant, given the chat ids that `groups[]` entries of
        this channel name."""
        return []


class RobotSection(Section):
    """A member-unit group's webhook robot: a name that `groups[].chat_id` uses, and the group's tags."""

    name: str = Field(min_length=1)
    tags: tuple[str, ...] = ()


class RobotGroupsSection(ChannelSection):
    """A channel whose member-unit groups are reached through webhook robots (WeCom's 群机器人,
    DingTalk's 自定义机器人): a group names its robot, and nobody there can press a button."""

    group_buttons: ClassVar[bool] = False
    platform: ClassVar[str]  # the platform's name in messages, e.g. "WeCom"
    path: ClassVar[str]  # the section's key path, e.g. "channels.wecom"
    robots: tuple[RobotSection, ...] = ()

    def member_group_problem(self, chat_id: str) -> str | None:
        names = sorted(robot.name for robot in self.robots)
        if chat_id in names:
            return None
        return (
            f"a {self.platform} member-unit group is reached through its robot: name one of "
            f"{self.path}.robots ({', '.join(names) or 'none configured'}), not {chat_id!r}"
        )

    def secrets(self) -> list[str]:
        return super().secrets() + [secret for robot in self.robots for secret in robot.secrets()]

    def member_group_warnings(self, named: set[str]) -> list[str]:
        channel = self.path.rsplit(".", 1)[-1]
        return [
            f"{self.path}.robots[{i}] ({robot.name}): no groups[] entry with channel: {channel} names "
            f"it, so it receives no policy notices (its tags are not used for delivery): add a group "
            f"with chat_id: {robot.name} and the group's tags"
            for i, robot in enumerate(self.robots)
            if robot.name not in named
        ]
