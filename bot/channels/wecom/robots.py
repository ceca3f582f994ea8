"""Member-unit groups reached through their WeCom group robots (群机器人 webhooks).

A robot posts into one group; each group is configured with its robot's key and the group's tags,
so that a notice can go to every group with a tag (as policy broadcasts target by tags). Robots
take at most 20 messages a minute each, which the API client's limits keep; a long message is
split under the robot's size limits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from bot.channels.wecom.api import MARKDOWN_LIMIT, TEXT_LIMIT, WecomApi, split_utf8
from bot.channels.wecom.config import WecomRobotConfig

log = logging.getLogger(__name__)


class RobotGroups:
    def __init__(self, api: WecomApi, robots: Sequence[WecomRobotConfig]) -> None:
        self.api = api
        self.robots = tuple(robots)

    def robots_for(self, tags: Iterable[str] = ()) -> list[WecomRobotConfig]:
        """The robots whose group has any of the tags; every robot when no tag is given."""
        wanted = set(tags)
        return [r for r in self.robots if not wanted or wanted & set(r.tags)]

    async def broadcast(
        self, text: str, *, tags: Iterable[str] = (), markdown: bool = False, mentioned: Sequence[str] = ()
    ) -> dict[str, bool]:
        """Send to every robot group matching the tags, one group after another (each robot's own
        limit paces it); returns whether each group, by robot name, got the whole message."""
        return {
            robot.name: await self.send_robot(robot, text, markdown=markdown, mentioned=mentioned)
            for robot in self.robots_for(tags)
        }

    async def send_robot(
        self, robot: WecomRobotConfig, text: str, *, markdown: bool = False, mentioned: Sequence[str] = ()
    ) -> bool:
        """One group, split under the robot's limits; text @-mentions ride on the first piece,
        markdown ones are written inline (`<@userid>`) at the end."""
        if markdown and mentioned:
            text += "\n" + " ".join(f"<@{m}>" for m in mentioned)
        pieces = split_utf8(text, MARKDOWN_LIMIT if markdown else TEXT_LIMIT)
        delivered = True
        for index, piece in enumerate(pieces):
            outcome = await self.api.send_robot(
                robot.key, piece, markdown=markdown, mentioned=mentioned if index == 0 else ()
            )
            if not outcome.ok:
                log.warning("WeCom robot %s: piece %s of %s not sent", robot.name, index + 1, len(pieces))
                delivered = False
        return delivered
