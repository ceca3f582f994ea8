"""The outbox's way out to WeCom: member-unit groups through their group robots, people through
the app's messages, a department's officers through its app group chat (`dept:<id>`, created on
first use; where WeCom will not have it, its officers privately). A message's attachment follows
its text as an image or file message; each file is uploaded once as temporary media and its
media id reused for the other recipients while WeCom keeps it (three days).

A WeCom member group in `groups[]` names its robot (`chat_id` is the robot's `name` in
`channels.wecom.robots`), so policy notices reach robot groups by the same tags as Telegram groups,
through the same persistent outbox. Any other chat id is a member's WeCom user id. The API client
keeps WeCom's limits (20 a minute per robot, 30 a minute per member) and retries what may pass.

Robots only post: nobody can press a button under a robot's message, so a group notice goes
without them (its text says what the policy is and how to apply). A person's notice carries its
buttons as numbered choices, as every WeCom app message does.

A long notice goes in pieces. If one fails, the outbox tries the message again later; the pieces
already sent are not sent again (the transport remembers how far each message got, in memory:
after a restart, a message in doubt is sent whole, as any message in doubt is).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable, Hashable, Sequence

from bot.channels.send_limits import Window
from bot.channels.wecom.adapter import DEPARTMENT_PREFIX, Upload, WecomChannel, department_chat
from bot.channels.wecom.api import APP, MARKDOWN_LIMIT, MEMBER, RATE_LIMITED, ROBOT, split_utf8
from bot.channels.wecom.api import Outcome as ApiOutcome
from bot.channels.wecom.config import WecomRobotConfig
from bot.domain.messages import Attachment
from bot.domain.outbox import DeliveryStatus, MessageKind, OutboxMessage
from bot.outbox import Outcome, Refused, RetryAfter, Sent, Transient

CHANNEL = "wecom"
RATE_LIMIT_WAIT = 60.0  # seconds: WeCom's limits are per minute
PROGRESS_KEPT = 10_000  # messages whose sent pieces are remembered; the oldest are forgotten first
MEDIA_KEPT = 256  # uploads whose media ids are reused
MEDIA_LIFETIME = 2 * 24 * 3600.0  # seconds; WeCom keeps temporary media three days


class WecomTransport:
    def __init__(
        self, channel: WecomChannel, robots: Sequence[WecomRobotConfig], *, owns_channel: bool = False
    ) -> None:
        self.wecom = channel
        self.robots = {robot.name: robot for robot in robots}
        self.owns_channel = owns_channel  # False: `xiaoer run`'s chat channel, closed by its owner
        self._progress: dict[int, int] = {}  # outbox message id -> pieces sent before a failure
        self._uploads: dict[str, tuple[float, Upload]] = {}  # file digest -> (when, its upload)

    @property
    def channel(self) -> str:
        return CHANNEL

    def _limits(self, chat_id: str) -> list[tuple[Hashable, Sequence[Window]]]:
        robot = self.robots.get(chat_id)
        if robot is not None:
            return [(("robot", robot.key), ROBOT)]
        return [(("member", chat_id), MEMBER), ("app", APP)]

    def ready_in(self, chat_id: str) -> float:
        return self.wecom.api.limits.ready_in(*self._limits(chat_id))

    async def wait_turn(self, chat_id: str) -> None:
        """The API client takes each send's place under the limits as it calls."""
        return None

    async def send(self, message: OutboxMessage) -> Outcome:
        if message.kind is MessageKind.EDIT:  # WeCom cannot rewrite a sent message
            return Sent(message.edit_of or "", trackable=False)
        if message.chat_id.startswith(DEPARTMENT_PREFIX):
            return await self._to_department(message)
        robot = self.robots.get(message.chat_id)
        if robot is None:
            pieces = await self.wecom.user_pieces(message.chat_id, message.text, message.buttons)
            failed = await self._send_pieces(
                message, pieces, lambda piece: self.wecom.api.send_to_user(message.chat_id, piece)
            )
            if failed is None:
                if message.attachment is not None:  # a refused upload leaves the text delivered
                    await self.wecom.send_user_media(message.chat_id, self._upload(message.attachment))
                return Sent(f"wecom:{message.chat_id}", trackable=False)
            if failed.errcode in RATE_LIMITED:
                return RetryAfter(
                    RATE_LIMIT_WAIT, f"member {message.chat_id}: too many messages ({failed.errcode})"
                )
            return Transient("WeCom did not take the app message (see the log for its errcode)")
        # Markdown holds 4096 bytes; a longer notice goes in pieces, in order.
        pieces = split_utf8(message.text, MARKDOWN_LIMIT)
        failed = await self._send_pieces(
            message, pieces, lambda piece: self.wecom.api.send_robot(robot.key, piece, markdown=True)
        )
        if failed is None:
            return Sent(f"robot:{robot.name}", trackable=False)
        if failed.errcode is None:
            return Transient("WeCom could not be reached", maybe_delivered=True)
        if failed.errcode in RATE_LIMITED:
            return RetryAfter(RATE_LIMIT_WAIT, f"robot {robot.name} is sending too often ({failed.errcode})")
        self._progress.pop(message.id or 0, None)  # refused for good: it will not be tried again
        return Refused(DeliveryStatus.FAILED, f"robot {robot.name}: WeCom errcode {failed.errcode}")

    async def _to_department(self, message: OutboxMessage) -> Outcome:
        department_id = message.chat_id.removeprefix(DEPARTMENT_PREFIX)
        chat_id = department_chat(self.wecom.directory, department_id, self.wecom.department_chats)
        if chat_id is None or department_id not in self.wecom.directory.departments:
            return Refused(DeliveryStatus.FAILED, f"no WeCom group chat for department {department_id}")
        delivered = await self.wecom.send_department(department_id, chat_id, message.text, message.buttons)
        if not delivered:
            return Transient("WeCom did not take the group chat's message (see the log)")
        if message.attachment is not None:
            await self.wecom.send_department_media(department_id, chat_id, self._upload(message.attachment))
        return Sent(f"wecom:{chat_id}", trackable=False)

    def _upload(self, attachment: Attachment) -> Upload:
        """The same file to several recipients is uploaded once."""
        digest = hashlib.sha256(attachment.data).hexdigest() + attachment.name
        now = time.monotonic()
        known = self._uploads.get(digest)
        if known is not None and now - known[0] < MEDIA_LIFETIME:
            return known[1]
        upload = Upload(attachment)
        self._uploads[digest] = (now, upload)
        if len(self._uploads) > MEDIA_KEPT:
            del self._uploads[next(iter(self._uploads))]
        return upload

    async def _send_pieces(
        self, message: OutboxMessage, pieces: list[str], send: Callable[[str], Awaitable[ApiOutcome]]
    ) -> ApiOutcome | None:
        """Send the pieces not sent yet, in order; the failure that stopped them, or None."""
        key = message.id
        start = self._progress.get(key, 0) if key is not None else 0
        for index in range(start, len(pieces)):
            outcome = await send(pieces[index])
            if not outcome.ok:
                if key is not None:
                    self._progress[key] = index
                    if len(self._progress) > PROGRESS_KEPT:  # messages another sender took over
                        del self._progress[next(iter(self._progress))]
                return outcome
        if key is not None:
            self._progress.pop(key, None)
        return None

    async def close(self) -> None:
        if self.owns_channel:
            await self.wecom.close()
