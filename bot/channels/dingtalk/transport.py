"""The outbox's way out to DingTalk.

A person (a staff id) or a group conversation (`group:<openConversationId>`) is answered through
the session webhook of its last message while that is valid, and through the app robot's send API
otherwise, or when DingTalk refuses the webhook before its time. A member-unit group (`chat_id` is
a robot's name in `channels.dingtalk.robots`, as `groups[]` entries with `channel: dingtalk` name
them) gets its notices through its custom robot: signed when the robot has a secret, its keyword
added when the text lacks it, 20 a minute at most.

Buttons become text (bot.channels.text_buttons). An attachment (a report's chart) follows the
text as an image or file message from the app robot (uploaded first; a session webhook cannot
carry one); a custom robot cannot send files, so a member-unit group gets the text alone, and the
log says so. DingTalk cannot rewrite a sent message, so an edit is taken as done. A long message
goes in pieces; when one fails, the outbox tries the message again later and the pieces already
sent are not sent again (remembered in memory: after a restart, a message in doubt is sent whole,
as any message in doubt is).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import Literal

from bot.channels.dingtalk.adapter import CHANNEL, GROUP_PREFIX, DingtalkChannel
from bot.channels.dingtalk.api import (
    API,
    APP_TEXT_LIMIT,
    GROUP_CHAT,
    ROBOT,
    TEXT_LIMIT,
    DingtalkApi,
    Media,
    split_utf8,
)
from bot.channels.dingtalk.config import DingtalkRobotConfig
from bot.channels.send_limits import Window
from bot.domain.messages import Attachment
from bot.domain.outbox import MessageKind, OutboxMessage
from bot.outbox import Outcome, RetryAfter, Sent, Transient

log = logging.getLogger(__name__)
PROGRESS_KEPT = 10_000  # messages whose sent pieces are remembered; the oldest are forgotten first

LangOf = Callable[[str], Awaitable[str]]


class DingtalkTransport:
    def __init__(
        self,
        channel: DingtalkChannel,
        api: DingtalkApi,
        robots: Sequence[DingtalkRobotConfig],
        lang_of: LangOf,
    ) -> None:
        self.dingtalk = channel
        self.api = api
        self.robots: Mapping[str, DingtalkRobotConfig] = {robot.name: robot for robot in robots}
        self.lang_of = lang_of
        self._progress: dict[int, int] = {}  # outbox message id -> pieces sent before a failure

    @property
    def channel(self) -> str:
        return CHANNEL

    def _limits(self, chat_id: str) -> list[tuple[Hashable, Sequence[Window]]]:
        if chat_id in self.robots:
            return [(("robot", chat_id), ROBOT)]
        if chat_id.startswith(GROUP_PREFIX):
            return [(("chat", chat_id.removeprefix(GROUP_PREFIX)), GROUP_CHAT), ("groupMessages", API)]
        return [("batchSend", API)]

    def ready_in(self, chat_id: str) -> float:
        return self.api.limits.ready_in(*self._limits(chat_id))

    async def wait_turn(self, chat_id: str) -> None:
        """The API client takes each call's place under the limits as it calls."""
        return None

    async def send(self, message: OutboxMessage) -> Outcome:
        if message.kind is MessageKind.EDIT:
            return Sent(message.edit_of or "", trackable=False)
        robot = self.robots.get(message.chat_id)
        if robot is not None:
            if message.attachment is not None and message.id not in self._progress:
                log.warning(
                    "DingTalk: %s not sent with message %s (a custom robot cannot send files)",
                    message.attachment.name,
                    message.id,
                )
            keyword = robot.keyword or ""
            # the robot refuses a message without its security keyword: each piece carries it
            pieces = [
                piece if keyword in piece else f"{keyword}\n{piece}"
                for piece in split_utf8(message.text, TEXT_LIMIT - len(keyword.encode()) - 1)
            ]
            return await self._pieces(
                message, [functools.partial(self.api.send_robot, robot, piece) for piece in pieces]
            )
        chat_id = message.chat_id
        group = chat_id.removeprefix(GROUP_PREFIX) if chat_id.startswith(GROUP_PREFIX) else None
        lang = await self.lang_of(chat_id) if message.buttons and group is None else message.lang
        buttons = self.dingtalk.buttons
        text = (
            buttons.for_group(message.text, message.buttons, lang)
            if group
            else buttons.for_member(chat_id, message.text, message.buttons, lang)
        )

        async def say(piece: str) -> Outcome:
            webhook = self.dingtalk.sessions.valid(chat_id)
            if webhook is not None:
                outcome = await self.api.send_by_session(
                    webhook, piece, self._limits(chat_id)[:1] if group else ()
                )
                if isinstance(outcome, Sent) or (isinstance(outcome, Transient) and outcome.maybe_delivered):
                    return outcome
                self.dingtalk.sessions.forget(chat_id, webhook)  # refused, nothing arrived: the API
            return await self._by_api(chat_id, group, piece)

        sends: list[Callable[[], Awaitable[Outcome]]] = [
            functools.partial(say, piece) for piece in split_utf8(text, APP_TEXT_LIMIT)
        ]
        if message.attachment is not None:
            sends.append(functools.partial(self._attach, chat_id, group, message.attachment))
        return await self._pieces(message, sends)

    async def _by_api(self, chat_id: str, group: str | None, content: str | Media) -> Outcome:
        if group is not None:
            return await self.api.send_to_group(group, content)
        return await self.api.send_to_user(chat_id, content)

    async def _attach(self, chat_id: str, group: str | None, attachment: Attachment) -> Outcome:
        """The file as a message of its own, after the text: uploaded, then sent by the app robot."""
        kind: Literal["image", "file"] = "image" if attachment.kind == "photo" else "file"
        media = await self.api.upload(attachment.name, attachment.data, kind)
        if not isinstance(media, Media):
            return media
        return await self._by_api(chat_id, group, media)

    async def _pieces(
        self, message: OutboxMessage, pieces: list[Callable[[], Awaitable[Outcome]]]
    ) -> Outcome:
        """Send the pieces not sent yet, in order: the first that fails stops them and is the
        message's outcome (the pieces before it are remembered as sent)."""
        key = message.id
        sent: list[Sent] = []
        for index in range(self._progress.get(key, 0) if key is not None else 0, len(pieces)):
            outcome = await pieces[index]()
            if not isinstance(outcome, Sent):
                if key is not None and not isinstance(outcome, RetryAfter | Transient):
                    self._progress.pop(key, None)  # refused for good: it will not be tried again
                elif key is not None:
                    self._progress[key] = index
                    if len(self._progress) > PROGRESS_KEPT:
                        del self._progress[next(iter(self._progress))]
                return outcome
            sent.append(outcome)
        if key is not None:
            self._progress.pop(key, None)
        first = sent[0].platform_id if sent else ""
        return Sent(first, tuple(s.platform_id for s in sent[1:]), trackable=False)

    async def close(self) -> None:
        await self.api.close()
