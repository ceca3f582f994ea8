"""The WeCom (企业微信 / 政务微信) channel: the app's callback in, app messages and robots out.

Members of the corp (officers, and enterprise staff who can reach the app) message the app; WeCom
POSTs each message, signed and encrypted, to `/wecom/callback`. A verified message is kept in the
inbox (each MsgId once) and then acknowledged, so that WeCom retries what could not be kept and
slow handling never makes it retry. What Xiaoer says goes out through the outbox
(bot.channels.wecom.transport), using this module's calls: to members as app messages, to a
department's officers in its app group chat (created on first use), and to member-unit groups
through their robots. A reply's attachment (a report's chart) follows its text as an image or file
message, uploaded to WeCom as a temporary media file.

App messages have no buttons: a staff button becomes the command to send ("签收：发送 /take 12"),
any other becomes a numbered choice, and a member who answers with that number has pressed it.
WeCom does not tell the app which message a member is answering, so the sender's capabilities
say so and handlers ask for `/info N` instead of a quoted reply.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from aiohttp import web

from bot.channels.send_limits import SendLimits
from bot.channels.text_buttons import TextButtons
from bot.channels.wecom.api import (
    CHAT_MISSING,
    FILE_LIMIT,
    IMAGE_LIMIT,
    TEXT_LIMIT,
    MediaKind,
    WecomApi,
    split_utf8,
)
from bot.channels.wecom.callback import Callback, CallbackVerifier, Rejected, Repeated
from bot.channels.wecom.config import WecomConfig
from bot.channels.wecom.crypto import WecomCrypto
from bot.channels.wecom.mobiles import WecomMobiles
from bot.channels.wecom.robots import RobotGroups
from bot.domain.messages import (
    Attachment,
    Button,
    Capabilities,
    Inbound,
    Recipient,
    Sender,
    ToDepartment,
)
from bot.domain.org import Directory
from bot.domain.outbox import Address, Origin, personal_addresses

T = TypeVar("T")
CHANNEL = "wecom"
CAPABILITIES = Capabilities(buttons=False, quoted_replies=False, shares_phone=False)
DEPARTMENT_PREFIX = "dept:"  # an outbox chat id naming a department's app group chat
MAX_BODY = 64 * 1024  # a callback holds one message of at most 2048 bytes, encrypted and wrapped
log = logging.getLogger(__name__)


@dataclass
class Upload:
    """A reply's attachment on its way: uploaded on first use, once, and its media id reused."""

    attachment: Attachment
    tried: bool = False
    media_id: str | None = None
    # the outbox sends different chats' messages side by side: the second waits for the first upload
    uploading: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def kind(self) -> MediaKind:
        photo = self.attachment.kind == "photo" and len(self.attachment.data) <= IMAGE_LIMIT
        return "image" if photo else "file"


Accept = Callable[[Inbound], Awaitable[bool]]
LangOf = Callable[[str], Awaitable[str]]


class WecomChannel:
    """The WeCom client: the callback's way in (verified messages kept in the inbox) and the
    API calls the outbox transport says things with."""

    def __init__(
        self,
        config: WecomConfig,
        directory: Directory,
        accept: Accept,
        department_chats: Mapping[str, str] | None = None,
        *,
        now: Callable[[], datetime],
        lang_of: LangOf | None = None,
        default_lang: str = "zh-CN",
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        corp_id = _required(config.corp_id, "corp_id")
        self.config = config
        self.directory = directory
        self.accept = accept
        self.now = now
        self.default_lang = default_lang
        self.lang_of = lang_of or self._configured_lang
        self.department_chats = dict(department_chats or {})
        self.api = WecomApi(
            config.api_base,
            corp_id,
            _required(config.secret, "secret"),
            _required(config.agent_id, "agent_id"),
            limits=SendLimits(clock, sleep),
            clock=clock,
            sleep=sleep,
        )
        self.robots = RobotGroups(self.api, config.robots)
        crypto = WecomCrypto(
            _required(config.token, "token"), _required(config.encoding_aes_key, "encoding_aes_key"), corp_id
        )
        self.verifier = CallbackVerifier(crypto, clock=lambda: self.now().timestamp())
        self.buttons = TextButtons()
        self._chats_ready: set[str] = set()
        # binding by mobile (bot/channels/wecom/mobiles.py), when plugged in: its redirect's route
        self.mobiles: WecomMobiles | None = None

    # --- the callback ---------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        """Mount the callback (and the consent redirect) on the runtime's web server."""
        app.router.add_get(self.config.callback_path, self._verify_url)
        app.router.add_post(self.config.callback_path, self._receive)
        if self.mobiles is not None:
            self.mobiles.add_routes(app)

    async def _verify_url(self, request: web.Request) -> web.Response:
        try:
            echo = self.verifier.echo(request.query)
        except Rejected as rejected:
            log.warning("WeCom URL verification from %s refused: %s", request.remote, rejected.reason)
            return web.Response(status=rejected.status, text="forbidden")
        return web.Response(text=echo)

    async def _receive(self, request: web.Request) -> web.Response:
        body = await _read_limited(request, MAX_BODY)
        if body is None:
            log.warning("WeCom callback from %s refused: over %s bytes", request.remote, MAX_BODY)
            return web.Response(status=413, text="too large")
        try:
            callback = self.verifier.open(request.query, body)
        except Repeated:  # WeCom's retry of a request whose answer it missed: kept already
            return web.Response(text="")
        except Rejected as rejected:
            log.warning("WeCom callback from %s refused: %s", request.remote, rejected.reason)
            return web.Response(status=rejected.status, text="refused")
        inbound = self.inbound(callback)
        if inbound is not None:
            try:
                await self.accept(inbound)
            except Exception:  # not kept: WeCom sends it again when it hears no answer in time
                log.exception("WeCom message %s from %s could not be kept", callback.key, callback.user_id)
                return web.Response(status=500, text="try again")
        self.verifier.kept(request.query)
        return web.Response(text="")  # WeCom's "received, no passive reply"

    def inbound(self, callback: Callback) -> Inbound | None:
        """The message as an `Inbound`; None for what needs no answer (events, another app's)."""
        if callback.agent_id and callback.agent_id != str(self.config.agent_id):
            log.warning("WeCom message for agent %s, not ours; ignored", callback.agent_id)
            return None
        if callback.event and callback.kind != "click":
            log.debug("WeCom %s event from %s ignored", callback.kind, callback.user_id)
            return None  # entering the app, subscribing, location reports: nothing to answer
        text, payload = callback.content, None
        if not callback.event and callback.kind != "text":
            # a picture, voice, video, file, location, link, or a kind WeCom adds later: the
            # member sent something, so it is answered ("text only"), once per MsgId like any message
            text, payload = "", f"media:{callback.kind}:{callback.content}"[:256]
        elif callback.kind == "click":  # a menu item: "/status" is typed text, anything else a button
            if not text.startswith("/"):
                text, payload = "", text
        else:
            payload = self.buttons.pick(callback.user_id, text)
            if payload is not None:
                text = ""
        return Inbound(
            sender=Sender(CHANNEL, callback.user_id, callback.user_id),
            chat_id=callback.user_id,
            text=text,
            received_at=self.now(),
            payload=payload,
            capabilities=CAPABILITIES,
            delivery_id=callback.key,
        )

    # --- replies (called by the outbox transport) -----------------------------------------------

    async def send_user_media(self, user_id: str, upload: Upload) -> bool:
        media_id = await self._media_id(upload)
        return media_id is not None and (await self.api.send_media_to_user(user_id, upload.kind, media_id)).ok

    async def send_department_media(self, department_id: str, chat_id: str, upload: Upload) -> bool:
        """To the group chat (its text went first, so the chat exists if it could be made); if
        the chat misses it, its officers get it privately, as with text."""
        media_id = await self._media_id(upload)
        if media_id is None:
            return False
        if (await self.api.send_media_to_chat(chat_id, upload.kind, media_id)).ok:
            return True
        delivered = True
        for user in self._members(department_id):
            delivered = await self.send_user_media(user, upload) and delivered
        return delivered

    async def _media_id(self, upload: Upload) -> str | None:
        async with upload.uploading:
            if not upload.tried:
                upload.tried = True
                attachment = upload.attachment
                if len(attachment.data) > FILE_LIMIT:
                    log.warning(
                        "%s is over WeCom's %s-byte file limit: not sent", attachment.name, FILE_LIMIT
                    )
                    return None
                upload.media_id = await self.api.upload(upload.kind, attachment.name, attachment.data)
                if upload.media_id is None:
                    log.warning("WeCom would not take %s: its text went without it", attachment.name)
            return upload.media_id

    def _members(self, department_id: str) -> list[str]:
        return members(self.directory, department_id)

    async def send_user(self, user_id: str, text: str, buttons: Sequence[Button] = ()) -> bool:
        pieces = await self.user_pieces(user_id, text, buttons)
        results = [await self.api.send_to_user(user_id, piece) for piece in pieces]
        return all(r.ok for r in results)

    async def user_pieces(self, user_id: str, text: str, buttons: Sequence[Button] = ()) -> list[str]:
        """The app messages that say `text` to a member: its buttons as numbered choices (which
        this remembers for the member's answer), cut under WeCom's size limit."""
        lang = await self.lang_of(user_id) if buttons else self.default_lang
        return split_utf8(self.buttons.for_member(user_id, text, buttons, lang), TEXT_LIMIT)

    async def send_department(
        self, department_id: str, chat_id: str, text: str, buttons: Sequence[Button] = ()
    ) -> bool:
        """To the department's app group chat, created the first time it is missing."""
        department = self.directory.departments[department_id]
        rendered = self.buttons.for_group(text, buttons, department.lang)
        delivered = True
        for piece in split_utf8(rendered, TEXT_LIMIT):
            outcome = await self.api.send_to_chat(chat_id, piece)
            missing = not outcome.ok and outcome.errcode == CHAT_MISSING and chat_id not in self._chats_ready
            if missing and await self._create_chat(department_id, chat_id):
                outcome = await self.api.send_to_chat(chat_id, piece)
            if not outcome.ok:
                log.warning("WeCom group chat %s missed a message; its officers get it privately", chat_id)
                for user in self._members(department_id):
                    delivered = await self.send_user(user, piece) and delivered
        return delivered

    async def _create_chat(self, department_id: str, chat_id: str) -> bool:
        department = self.directory.departments[department_id]
        members = self._members(department_id)
        head = self.directory.officers.get(department.head_officer_id or "")
        owner = head.identities.get(CHANNEL) if head else None
        created = await self.api.create_chat(
            chat_id, department.name(department.lang), owner if owner in members else members[0], members
        )
        if created.ok:
            self._chats_ready.add(chat_id)
            log.info("WeCom group chat %s created for %s", chat_id, department_id)
        return created.ok

    async def _configured_lang(self, user_id: str) -> str:
        officer = self.directory.officer_by_identity(CHANNEL, user_id)
        return officer.lang if officer is not None else self.default_lang

    # --- group robots ---------------------------------------------------------------------------

    async def broadcast(
        self, text: str, *, tags: Iterable[str] = (), markdown: bool = False, mentioned: Sequence[str] = ()
    ) -> dict[str, bool]:
        """To every member-unit robot group with one of the tags (see `RobotGroups.broadcast`)."""
        return await self.robots.broadcast(text, tags=tags, markdown=markdown, mentioned=mentioned)

    async def check(self) -> None:
        """At start: WeCom answers and takes the app's credentials (else ChannelUnusable)."""
        await self.api.check()

    async def close(self) -> None:
        await self.api.close()


class WecomAddressing:
    """The WeCom chats a reply is for: members by user id, a department's app group chat as
    `dept:<department id>` (its officers privately where it has no chat, or fewer than two)."""

    def __init__(self, directory: Directory, department_chats: Mapping[str, str] | None = None) -> None:
        self.directory = directory
        self.department_chats = dict(department_chats or {})  # given (tests), else the directory's

    @property
    def channel(self) -> str:
        return CHANNEL

    def addresses(self, to: Recipient, origin: Origin | None) -> list[Address]:
        match to:
            case ToDepartment(department_id=department_id):
                users = members(self.directory, department_id)
                if department_chat(self.directory, department_id, self.department_chats) and len(users) >= 2:
                    return [Address(f"{DEPARTMENT_PREFIX}{department_id}")]
                return [Address(user) for user in users]  # no group: privately
        return personal_addresses(CHANNEL, to, origin, self.directory)


def members(directory: Directory, department_id: str) -> list[str]:
    """The department's officers' WeCom user ids."""
    return [o.identities[CHANNEL] for o in directory.members(department_id) if CHANNEL in o.identities]


def _required(value: T | None, key: str) -> T:
    if value is None or value == "":
        raise ValueError(f"channels.wecom.{key} is required to run the WeCom channel")
    return value


def department_chat(
    directory: Directory, department_id: str, given: Mapping[str, str] | None = None
) -> str | None:
    """The department's WeCom app group chat: as given, else as the directory has it now."""
    if given and department_id in given:
        return given[department_id]
    department = directory.departments.get(department_id)
    return department.chat(CHANNEL) if department is not None else None


async def _read_limited(request: web.Request, limit: int) -> bytes | None:
    """The body, or None past `limit` bytes (read no further than that, whatever the headers say)."""
    if (request.content_length or 0) > limit:
        return None
    body = bytearray()
    while chunk := await request.content.read(limit + 1 - len(body)):
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)
