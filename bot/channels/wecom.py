"""The WeCom (企业微信 / 政务微信) channel: the app's callback in, app messages and robots out.

Members of the corp (officers, and enterprise staff who can reach the app) message the app; WeCom
POSTs each message, signed and encrypted, to `/wecom/callback`. A verified message is acknowledged
at once and worked in the background, each MsgId once, so that slow work never makes WeCom retry.
Replies go out through the API: to members as app messages, to a department's officers in its
app group chat (created on first use), and to member-unit groups through their robots. A reply's
attachment (a report's chart) follows its text as an image or file message, uploaded to WeCom
once as a temporary media file however many people it goes to.

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
from dataclasses import dataclass
from typing import TypeVar

from aiohttp import web

from bot.channels.send_limits import SendLimits
from bot.channels.turns import Turns
from bot.channels.wecom_api import (
    CHAT_MISSING,
    FILE_LIMIT,
    IMAGE_LIMIT,
    TEXT_LIMIT,
    MediaKind,
    WecomApi,
    split_utf8,
)
from bot.channels.wecom_buttons import TextButtons
from bot.channels.wecom_callback import Callback, CallbackVerifier, Rejected
from bot.channels.wecom_crypto import WecomCrypto
from bot.channels.wecom_robots import RobotGroups
from bot.config import DepartmentConfig, WecomConfig
from bot.domain.messages import (
    Attachment,
    Button,
    Capabilities,
    Inbound,
    Reply,
    Sender,
    ToChat,
    ToDepartment,
    ToOfficer,
    ToSender,
)
from bot.i18n import t
from handlers.deps import Deps
from handlers.dispatch import handle

T = TypeVar("T")
CHANNEL = "wecom"
CAPABILITIES = Capabilities(buttons=False, quoted_replies=False)
MAX_BODY = 64 * 1024  # a callback holds one message of at most 2048 bytes, encrypted and wrapped
MEDIA_KINDS = frozenset({"image", "voice", "video", "file", "location", "link"})  # answered "text only"
log = logging.getLogger(__name__)


@dataclass
class _Upload:
    """A reply's attachment on its way: uploaded on first use, once, and its media id reused."""

    attachment: Attachment
    tried: bool = False
    media_id: str | None = None

    @property
    def kind(self) -> MediaKind:
        photo = self.attachment.kind == "photo" and len(self.attachment.data) <= IMAGE_LIMIT
        return "image" if photo else "file"


@dataclass(frozen=True)
class _Target:
    user_id: str | None = None  # a member, privately
    chat_id: str | None = None  # an app group chat
    department_id: str | None = None  # whose group chat it is


class WecomChannel:
    def __init__(
        self,
        config: WecomConfig,
        deps: Deps,
        department_chats: Mapping[str, str] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        corp_id = _required(config.corp_id, "corp_id")
        self.config = config
        self.deps = deps
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
        self.verifier = CallbackVerifier(crypto, clock=lambda: self.deps.clock().timestamp())
        self.buttons = TextButtons()
        self._chats_ready: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._turns = Turns()  # one per member: their messages in order

    # --- the callback ---------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        """Mount the callback on an aiohttp application (its own, or the Telegram webhook's)."""
        app.router.add_get(self.config.callback_path, self._verify_url)
        app.router.add_post(self.config.callback_path, self._receive)

    def web_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        self.add_routes(app)

        async def health(_: web.Request) -> web.Response:
            return web.Response(text="ok")

        app.router.add_get("/healthz", health)
        return app

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
        except Rejected as rejected:
            log.warning("WeCom callback from %s refused: %s", request.remote, rejected.reason)
            return web.Response(status=rejected.status, text="refused")
        task = asyncio.create_task(self.process(callback))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.Response(text="")  # WeCom's "received, no passive reply"

    async def process(self, callback: Callback) -> None:
        """Work one verified message: at most once per MsgId, never letting an error escape, and
        one member's messages one after another, so an answer never overtakes its question."""
        try:
            async with self._turns.of(callback.user_id):
                await self._process(callback)
        except Exception:
            log.exception("WeCom message %s from %s could not be handled", callback.key, callback.user_id)

    async def _process(self, callback: Callback) -> None:
        if callback.agent_id and callback.agent_id != str(self.config.agent_id):
            log.warning("WeCom message for agent %s, not ours; ignored", callback.agent_id)
            return
        if callback.kind not in ("text", "click") and callback.kind not in MEDIA_KINDS:
            log.debug("WeCom %s event from %s ignored", callback.kind, callback.user_id)
            return  # entering the app, subscribing, location reports: nothing to answer
        user = callback.user_id
        if callback.kind in MEDIA_KINDS:
            async with self.deps.storage() as uow:
                first = await uow.updates.claim(CHANNEL, callback.key, self.deps.clock())
                await uow.commit()
            if first:
                await self.send_user(user, t(await self._lang_of(user), "wecom.text_only"))
            return
        # handle() recognises a second delivery of the same MsgId (delivery_id) in the transaction
        # that logs the message, so a crash can never lose a message it already counted as seen
        await self.deliver(await handle(self.inbound(callback), self.deps), origin=user)

    def inbound(self, callback: Callback) -> Inbound:
        text, payload = callback.content, None
        if callback.kind == "click":  # a menu item: "/status" is typed text, anything else a button
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
            received_at=self.deps.clock(),
            payload=payload,
            capabilities=CAPABILITIES,
            delivery_id=callback.key,
        )

    # --- replies --------------------------------------------------------------------------------

    async def deliver(self, replies: Sequence[Reply], origin: str) -> None:
        for reply in replies:
            upload = _Upload(reply.attachment) if reply.attachment is not None else None
            for target in self._targets(reply, origin):
                if target.user_id is not None:
                    await self.send_user(target.user_id, reply.text, reply.buttons)
                    if upload is not None:
                        await self.send_user_media(target.user_id, upload)
                elif target.chat_id is not None and target.department_id is not None:
                    await self.send_department(
                        target.department_id, target.chat_id, reply.text, reply.buttons
                    )
                    if upload is not None:
                        await self.send_department_media(target.department_id, target.chat_id, upload)

    async def send_user_media(self, user_id: str, upload: _Upload) -> bool:
        media_id = await self._media_id(upload)
        return media_id is not None and (await self.api.send_media_to_user(user_id, upload.kind, media_id)).ok

    async def send_department_media(self, department_id: str, chat_id: str, upload: _Upload) -> bool:
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

    async def _media_id(self, upload: _Upload) -> str | None:
        if not upload.tried:
            upload.tried = True
            attachment = upload.attachment
            if len(attachment.data) > FILE_LIMIT:
                log.warning("%s is over WeCom's %s-byte file limit: not sent", attachment.name, FILE_LIMIT)
                return None
            upload.media_id = await self.api.upload(upload.kind, attachment.name, attachment.data)
            if upload.media_id is None:
                log.warning("WeCom would not take %s: its text went without it", attachment.name)
        return upload.media_id

    def _targets(self, reply: Reply, origin: str) -> list[_Target]:
        match reply.to:
            case ToSender():
                return [_Target(user_id=origin)]
            case ToChat(channel=channel, chat_id=chat_id) if channel == CHANNEL:
                return [_Target(user_id=chat_id)]
            case ToOfficer(officer_id=officer_id):
                officer = self.deps.directory.officers.get(officer_id)
                user = officer.identities.get(CHANNEL) if officer else None
                return [_Target(user_id=user)] if user else []
            case ToDepartment(department_id=department_id):
                chat = self.department_chats.get(department_id)
                if chat is not None and len(self._members(department_id)) >= 2:
                    return [_Target(chat_id=chat, department_id=department_id)]
                return [_Target(user_id=u) for u in self._members(department_id)]  # no group: privately
        return []  # a reply for another channel's chat: that channel delivers it

    def _members(self, department_id: str) -> list[str]:
        return [
            o.identities[CHANNEL]
            for o in self.deps.directory.members(department_id)
            if CHANNEL in o.identities
        ]

    async def send_user(self, user_id: str, text: str, buttons: Sequence[Button] = ()) -> bool:
        pieces = await self.user_pieces(user_id, text, buttons)
        results = [await self.api.send_to_user(user_id, piece) for piece in pieces]
        return all(r.ok for r in results)

    async def user_pieces(self, user_id: str, text: str, buttons: Sequence[Button] = ()) -> list[str]:
        """The app messages that say `text` to a member: its buttons as numbered choices (which
        this remembers for the member's answer), cut under WeCom's size limit."""
        lang = await self._lang_of(user_id) if buttons else self.deps.default_lang
        return split_utf8(self.buttons.for_member(user_id, text, buttons, lang), TEXT_LIMIT)

    async def send_department(
        self, department_id: str, chat_id: str, text: str, buttons: Sequence[Button] = ()
    ) -> bool:
        """To the department's app group chat, created the first time it is missing."""
        department = self.deps.directory.departments[department_id]
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
        department = self.deps.directory.departments[department_id]
        members = self._members(department_id)
        head = self.deps.directory.officers.get(department.head_officer_id or "")
        owner = head.identities.get(CHANNEL) if head else None
        created = await self.api.create_chat(
            chat_id, department.name(department.lang), owner if owner in members else members[0], members
        )
        if created.ok:
            self._chats_ready.add(chat_id)
            log.info("WeCom group chat %s created for %s", chat_id, department_id)
        return created.ok

    async def _lang_of(self, user_id: str) -> str:
        officer = self.deps.directory.officer_by_identity(CHANNEL, user_id)
        if officer is not None:
            return officer.lang
        async with self.deps.storage() as uow:
            contact = await uow.contacts.by_identity(CHANNEL, user_id)
        return contact.lang if contact is not None else self.deps.default_lang

    # --- group robots ---------------------------------------------------------------------------

    async def broadcast(
        self, text: str, *, tags: Iterable[str] = (), markdown: bool = False, mentioned: Sequence[str] = ()
    ) -> dict[str, bool]:
        """To every member-unit robot group with one of the tags (see `RobotGroups.broadcast`)."""
        return await self.robots.broadcast(text, tags=tags, markdown=markdown, mentioned=mentioned)

    # --- running --------------------------------------------------------------------------------

    async def serve(self, host: str, port: int) -> None:
        """Serve the callback (and /healthz) until cancelled."""
        runner = web.AppRunner(self.web_app())
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    async def close(self, grace: float = 10.0) -> None:
        """Let messages already acknowledged finish (they are claimed: no one would redo them)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=grace)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.api.close()


def _required(value: T | None, key: str) -> T:
    if value is None or value == "":
        raise ValueError(f"channels.wecom.{key} is required to run the WeCom channel")
    return value


def department_chats(departments: Iterable[DepartmentConfig]) -> dict[str, str]:
    """Department id -> its configured WeCom group chat id."""
    return {d.id: d.wecom_chat_id for d in departments if d.wecom_chat_id}


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
