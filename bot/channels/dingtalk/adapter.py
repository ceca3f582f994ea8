"""The DingTalk channel's way in: the app robot's HTTP callback.

DingTalk POSTs each message someone sends the robot (privately, or in a group where they @ it) to
`/dingtalk/callback`, signed with the app's secret. A verified message is kept in the inbox (each
msgId once) before DingTalk hears 200, so that what could not be kept is sent again. Its session
webhook is remembered for the replies (bot.channels.dingtalk.transport).

Chat ids on this channel: a person's is their staff id (senderStaffId; senderId for someone
outside the organisation, whom only the session webhook reaches); a group conversation's is
`group:<openConversationId>`; a member-unit group's custom robot is its name in
`channels.dingtalk.robots`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from urllib.parse import urlsplit

from aiohttp import web

from bot.channels.dingtalk.callback import Message, read_message
from bot.channels.dingtalk.config import DingtalkConfig
from bot.channels.dingtalk.sessions import SessionWebhooks
from bot.channels.dingtalk.signing import CallbackCheck, Rejected
from bot.channels.text_buttons import TextButtons
from bot.domain.messages import Capabilities, Inbound, Recipient, Sender, ToDepartment
from bot.domain.org import Directory
from bot.domain.outbox import Address, Origin, personal_addresses

CHANNEL = "dingtalk"
GROUP_PREFIX = "group:"
# Numbered choices stand for buttons; DingTalk does not say which message someone answers.
CAPABILITIES = Capabilities(buttons=False, quoted_replies=False, shares_phone=False)
MAX_BODY = 64 * 1024  # one message's JSON
OAPI = "https://oapi.dingtalk.com"  # where DingTalk's session webhooks are
MEDIA_KINDS = frozenset({"picture", "audio", "video", "file"})  # answered "text only"
log = logging.getLogger(__name__)

Accept = Callable[[Inbound], Awaitable[bool]]


def now_ms(now: Callable[[], datetime]) -> Callable[[], int]:
    return lambda: int(now().timestamp() * 1000)


class DingtalkChannel:
    """The callback, and what the transport shares with it: the session webhooks it heard and the
    numbered choices it showed."""

    def __init__(self, config: DingtalkConfig, accept: Accept, *, now: Callable[[], datetime]) -> None:
        if not config.app_secret:
            raise ValueError("channels.dingtalk.app_secret is required to run the DingTalk channel")
        self.config = config
        self.accept = accept
        self.now = now
        self.check = CallbackCheck(config.app_secret, now_ms(now))
        self.sessions = SessionWebhooks(now_ms(now))
        self.buttons = TextButtons()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post(self.config.callback_path, self._receive)

    async def _receive(self, request: web.Request) -> web.Response:
        try:
            self.check.verify(request.headers)
        except Rejected as rejected:
            log.warning("DingTalk callback from %s refused: %s", request.remote, rejected.reason)
            return web.Response(status=rejected.status, text="refused")
        if (request.content_length or 0) > MAX_BODY:
            return web.Response(status=413, text="too large")
        body = await request.content.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            return web.Response(status=413, text="too large")
        try:
            message = read_message(body)
        except (ValueError, UnicodeDecodeError, RecursionError) as error:  # nested past reading too
            log.warning("DingTalk callback from %s unreadable: %s", request.remote, error)
            return web.Response(status=400, text="malformed")
        if message.robot_code and self.config.robot_code and message.robot_code != self.config.robot_code:
            log.warning("DingTalk message for robot %s, not ours; ignored", message.robot_code)
            return web.json_response({})
        inbound = self.inbound(message)
        # before the inbox has it: its replies may be on their way before this handler returns.
        # Only DingTalk's own: the signature does not cover the body, and a webhook elsewhere
        # would carry this conversation's replies there.
        if dingtalk_webhook(message.session_webhook, self.config.oapi_base):
            self.sessions.remember(inbound.chat_id, message.session_webhook, message.session_expires_ms)
        elif message.session_webhook:
            log.warning(
                "DingTalk session webhook %.80s is not on %s: not used",
                message.session_webhook,
                self.config.oapi_base,
            )
        try:
            await self.accept(inbound)
        except Exception:  # not kept: DingTalk sends it again when it does not hear 200
            log.exception("DingTalk message %s from %s could not be kept", message.msg_id, message.sender_id)
            return web.Response(status=500, text="try again")
        return web.json_response({})  # received; the answer goes through the outbox

    def inbound(self, message: Message) -> Inbound:
        chat_id = f"{GROUP_PREFIX}{message.conversation_id}" if message.group else message.sender_id
        text, payload = message.text, None
        if message.kind in MEDIA_KINDS:  # answered "text only", once per msgId like any message
            text, payload = "", f"media:{message.kind}"
        elif not message.group:
            payload = self.buttons.pick(message.sender_id, text)
            if payload is not None:
                text = ""
        return Inbound(
            sender=Sender(CHANNEL, message.sender_id, message.sender_nick or message.sender_id),
            chat_id=chat_id,
            text=text,
            received_at=self.now(),
            payload=payload,
            capabilities=CAPABILITIES,
            delivery_id=message.msg_id,
        )


def dingtalk_webhook(webhook: str | None, oapi_base: str) -> bool:
    """Whether a session webhook is on DingTalk's robot server: DingTalk's own, or the gateway
    configured for it (scheme, host and port)."""
    if not webhook:
        return False
    given = urlsplit(webhook)
    origin = (given.scheme, given.netloc.lower())
    return not given.username and any(
        origin == (ours.scheme, ours.netloc.lower()) for ours in map(urlsplit, (OAPI, oapi_base))
    )


class DingtalkAddressing:
    """The DingTalk chats a reply is for: people by staff id, a department's group conversation
    where one is configured (its officers privately where not)."""

    def __init__(self, directory: Directory, department_groups: Mapping[str, str] | None = None) -> None:
        self.directory = directory
        self.department_groups = dict(department_groups or {})  # given (tests), else the directory's

    @property
    def channel(self) -> str:
        return CHANNEL

    def addresses(self, to: Recipient, origin: Origin | None) -> list[Address]:
        if isinstance(to, ToDepartment):
            department = self.directory.departments.get(to.department_id)
            group = self.department_groups.get(to.department_id) or (
                department.chat(CHANNEL) if department is not None else None
            )
            if group is not None:
                return [Address(f"{GROUP_PREFIX}{group}")]
            return [
                Address(o.identities[CHANNEL])
                for o in self.directory.members(to.department_id)
                if CHANNEL in o.identities
            ]
        return personal_addresses(CHANNEL, to, origin, self.directory)
