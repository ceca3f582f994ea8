"""The Telegram channel on aiogram: the only module that imports it.

Updates become `Inbound`s for the dispatcher, each handled once (a redelivered update is
recognised in storage and skipped); replies become Bot API calls in HTML parse mode with every
piece of text escaped, split below Telegram's 4096-character limit, buttons as inline keyboards.
A failed call never stops the bot: 429 waits out `retry_after`, a blocked user is noted, other
errors are logged and the next reply goes on.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    AiogramError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from aiohttp import web

from bot.channels.pacing import Pacer
from bot.domain.messages import (
    Attachment,
    Button,
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
from handlers.posts import current_post

CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MESSAGE_LIMIT = 4096
SEND_ATTEMPTS = 5
CAPTION_LIMIT = 1024  # Telegram's limit for a photo's or document's caption
TOPIC_NAME_LIMIT = 128  # Telegram's limit for a forum topic's name
FLOOD_PATIENCE = 600.0  # seconds of 429 waits one call accepts before it is given up and logged
log = logging.getLogger(__name__)


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Pieces under the limit, cut at line ends where possible, never inside an HTML entity, and
    never empty or only white space: Telegram refuses those, and the last piece carries the buttons."""
    pieces: list[str] = []
    rest = text.rstrip()
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut <= 0:
            cut = limit
            amp = rest.rfind("&", cut - 8, cut)  # escaped text: keep "&amp;" whole
            if amp != -1 and ";" not in rest[amp:cut]:
                cut = amp
        if rest[:cut].strip():
            pieces.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    if rest.strip() or not pieces:
        pieces.append(rest)
    return pieces


def keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=b.label, callback_data=b.payload)] for b in buttons]
    )


class TelegramChannel:
    def __init__(
        self,
        token: str,
        api_base: str,
        deps: Deps,
        department_chats: Mapping[str, int] | None = None,
        polling_timeout: int = 10,
        topic_chats: Collection[int] = (),
    ) -> None:
        self.polling_timeout = polling_timeout
        self._tasks: set[asyncio.Task[Any]] = set()
        self.pacer = Pacer()
        self._posted: dict[tuple[str, str], tuple[str, tuple[Button, ...]]] = {}
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_base))
        self.bot = Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
        self.deps = deps
        self.department_chats = dict(department_chats or {})
        self.topic_chats = set(topic_chats)  # forum groups where each ticket gets its own topic
        self.dispatcher = Dispatcher()
        router = Router(name="xiaoer")
        router.message()(self.on_message)
        router.callback_query()(self.on_button)
        self.dispatcher.include_router(router)

    async def on_message(self, message: Message, event_update: Update) -> None:
        if message.from_user is None or message.text is None:
            return
        user = message.from_user
        if (
            message.chat.type != "private"
            and self.deps.directory.officer_by_identity(CHANNEL, str(user.id)) is None
        ):
            # Officer groups are for officers: others are told so, and nothing they write is acted on.
            if message.text.startswith("/"):
                await self.send(message.chat.id, t(self.deps.default_lang, "telegram.group_officers_only"))
            return
        inbound = Inbound(
            sender=Sender(CHANNEL, str(user.id), user.full_name, user.language_code),
            chat_id=str(message.chat.id),
            text=message.text,
            received_at=self.deps.clock(),
            reply_to=str(message.reply_to_message.message_id) if message.reply_to_message else None,
            delivery_id=str(event_update.update_id),
        )
        thread = message.message_thread_id if message.is_topic_message else None
        await self.deliver(
            await handle(inbound, self.deps), origin_chat=message.chat.id, origin_thread=thread
        )

    async def on_button(self, query: CallbackQuery, event_update: Update) -> None:
        chat = query.message.chat.id if query.message is not None else query.from_user.id
        user = query.from_user
        if (
            chat in self.department_chats.values()
            and self.deps.directory.officer_by_identity(CHANNEL, str(user.id)) is None
        ):
            # An officer group's buttons are for its officers, as its commands are: the presser alone
            # is told so, and nothing is recorded of someone who is nobody here.
            notice = t(self.deps.default_lang, "telegram.group_buttons_officers_only")
            await self._call(lambda: self.bot.answer_callback_query(query.id, text=notice, show_alert=True))
            return
        await self._call(lambda: self.bot.answer_callback_query(query.id))  # stops the button's spinner
        inbound = Inbound(
            sender=Sender(CHANNEL, str(user.id), user.full_name, user.language_code),
            chat_id=str(chat),
            text="",
            payload=query.data or "",
            received_at=self.deps.clock(),
            delivery_id=str(event_update.update_id),
        )
        message = query.message
        thread = (
            message.message_thread_id if isinstance(message, Message) and message.is_topic_message else None
        )
        await self.deliver(await handle(inbound, self.deps), origin_chat=chat, origin_thread=thread)

    async def deliver(
        self, replies: Sequence[Reply], origin_chat: int, origin_thread: int | None = None
    ) -> None:
        """Send each reply where it belongs; an answer to someone who wrote in a forum topic
        stays in that topic."""
        for reply in replies:
            for chat_id in self._chats_for(reply, origin_chat):
                if isinstance(reply.to, ToSender) and origin_thread is not None:
                    thread: int | None = origin_thread
                elif chat_id in self.topic_chats:
                    thread = await self._topic(chat_id, reply)
                else:
                    thread = None
                if reply.attachment is not None:
                    sent = await self.send_file(chat_id, reply.attachment, reply.text, thread=thread)
                else:
                    sent = await self.send(chat_id, reply.text, reply.buttons, thread=thread)
                if reply.ticket is not None and sent:
                    await self._remember(chat_id, sent, reply.ticket, is_post=reply.post)
                if reply.post and sent:  # what the post says now, so an unchanged post is left alone
                    first = split_text(html.escape(reply.text, quote=False))[0]
                    self._posted[(str(chat_id), str(sent[0].message_id))] = (first, reply.buttons)
        touched = {r.ticket for r in replies if r.ticket is not None and not r.post}
        for number in sorted(touched):
            await self.refresh_posts(number)

    async def refresh_posts(self, number: int) -> None:
        """Edit the ticket's group post to how the ticket stands now."""
        async with self.deps.storage() as uow:
            posts = await uow.sent.posts(CHANNEL, number)
        if not posts:
            return
        post = await current_post(self.deps, number)
        if post is None:
            return
        text = split_text(html.escape(post.text, quote=False))[0]
        for chat_id, message_id in posts:
            if self._posted.get((chat_id, message_id)) == (text, post.buttons):
                continue  # unchanged: Telegram refuses an edit that changes nothing
            await self._call(
                partial(
                    self.bot.edit_message_text,
                    text=text,
                    chat_id=int(chat_id),
                    message_id=int(message_id),
                    reply_markup=keyboard(post.buttons),
                )
            )
            self._posted[(chat_id, message_id)] = (text, post.buttons)

    async def _remember(self, chat_id: int, sent: Sequence[Message], ticket: int, *, is_post: bool) -> None:
        """Replies to any piece of this message find the ticket (no numbers parsed from text)."""
        async with self.deps.storage() as uow:
            for message in sent:
                await uow.sent.record(CHANNEL, str(chat_id), str(message.message_id), ticket, is_post=is_post)
            await uow.commit()

    def _chats_for(self, reply: Reply, origin_chat: int) -> list[int]:
        match reply.to:
            case ToSender():
                return [origin_chat]
            case ToChat(channel=channel, chat_id=chat_id) if channel == CHANNEL:
                return [int(chat_id)]
            case ToOfficer(officer_id=officer_id):
                officer = self.deps.directory.officers.get(officer_id)
                telegram_id = officer.identities.get(CHANNEL) if officer else None
                return [int(telegram_id)] if telegram_id else []
            case ToDepartment(department_id=department_id):
                if department_id in self.department_chats:
                    return [self.department_chats[department_id]]
                return [  # no group configured: each officer of the department, privately
                    int(o.identities[CHANNEL])
                    for o in self.deps.directory.members(department_id)
                    if CHANNEL in o.identities
                ]
        return []  # a reply for another channel's chat: that channel delivers it

    async def _topic(self, chat_id: int, reply: Reply) -> int | None:
        """The ticket's topic in a forum group, made with its first post; None: plain messages
        (no ticket, or the group refused a topic: not a forum, or the bot may not manage topics)."""
        if reply.ticket is None:
            return None
        async with self.deps.storage() as uow:
            known = await uow.sent.topic(CHANNEL, str(chat_id), reply.ticket)
        if known is not None:
            return int(known)
        if not reply.post:
            return None  # news of a ticket posted before topics were on stays in the main thread
        name = reply.text.splitlines()[0][:TOPIC_NAME_LIMIT]  # the post's headline names the ticket
        try:
            topic = await self.bot.create_forum_topic(chat_id, name)
        except TelegramAPIError as refused:
            log.warning(
                "no topic for ticket #%s in chat %s (%s): posting plainly", reply.ticket, chat_id, refused
            )
            return None
        async with self.deps.storage() as uow:
            await uow.sent.record_topic(CHANNEL, str(chat_id), reply.ticket, str(topic.message_thread_id))
            await uow.commit()
        return topic.message_thread_id

    async def send_file(
        self, chat_id: int, attachment: Attachment, caption: str, *, thread: int | None = None
    ) -> list[Message]:
        """A photo (a chart) or a document, with the reply's text as its caption; a caption over
        Telegram's limit goes as a message of its own after the file."""
        escaped = html.escape(caption, quote=False)
        fits = len(escaped) <= CAPTION_LIMIT
        upload = BufferedInputFile(attachment.data, filename=attachment.name)
        method = self.bot.send_photo if attachment.kind == "photo" else self.bot.send_document
        await self.pacer.wait(chat_id, is_group=chat_id < 0)
        message = await self._call(
            partial(method, chat_id, upload, caption=escaped if fits else None, message_thread_id=thread),
            chat_id=chat_id,
        )
        sent = [message] if isinstance(message, Message) else []
        if not fits:
            sent += await self.send(chat_id, caption, thread=thread)
        return sent

    async def send(
        self, chat_id: int, text: str, buttons: Sequence[Button] = (), *, thread: int | None = None
    ) -> list[Message]:
        pieces = split_text(html.escape(text, quote=False))
        sent = []
        for index, piece in enumerate(pieces):
            await self.pacer.wait(chat_id, is_group=chat_id < 0)  # group and channel ids are negative
            markup = keyboard(buttons) if index == len(pieces) - 1 else None
            message = await self._call(
                partial(self.bot.send_message, chat_id, piece, reply_markup=markup, message_thread_id=thread),
                chat_id=chat_id,
            )
            if isinstance(message, Message):
                sent.append(message)
        return sent

    async def _call(self, call: Callable[[], Awaitable[Any]], chat_id: int | None = None) -> Any:
        """One Bot API call with Telegram's flood control honoured; failures are logged, not raised.

        A 429 is an instruction, not a failure: the call waits `retry_after` (and holds the chat's
        other sends as long) as often as Telegram asks, up to FLOOD_PATIENCE seconds in all. Server
        and network errors are retried with backoff SEND_ATTEMPTS times."""
        attempt = 0
        waited = 0.0
        while attempt < SEND_ATTEMPTS:
            try:
                return await call()
            except TelegramRetryAfter as wait:
                if waited + wait.retry_after > FLOOD_PATIENCE:
                    log.error("Telegram kept asking to wait (%.0f s so far); giving up a call", waited)
                    return None
                waited += wait.retry_after
                if chat_id is not None:
                    self.pacer.hold(chat_id, wait.retry_after)
                await asyncio.sleep(wait.retry_after)
                continue
            except TelegramForbiddenError as blocked:
                log.warning("chat %s refuses the bot (blocked or left): %s", chat_id, blocked)
                if chat_id is not None and chat_id > 0:  # a person's private chat: they blocked us
                    await self._mark_unreachable(chat_id)
                return None
            except TelegramBadRequest as refused:  # our request was wrong: asking again will not help
                log.warning("Bot API refused a call: %s", refused)
                return None
            except TelegramAPIError as error:
                log.warning("Bot API call failed (attempt %s): %s", attempt + 1, error)
                await asyncio.sleep(min(2**attempt * 0.2, 5))
            except AiogramError as error:  # e.g. an answer that is not a Bot API object
                log.error("Bot API call gave an answer aiogram cannot read: %s", error)
                return None
            attempt += 1
        return None

    async def _mark_unreachable(self, chat_id: int) -> None:
        try:
            async with self.deps.storage() as uow:
                await uow.contacts.set_unreachable(CHANNEL, str(chat_id), self.deps.clock())
                await uow.commit()
        except Exception:  # noting it must never stop the replies that follow
            log.exception("could not note that chat %s blocked the bot", chat_id)

    def webhook_app(self, path: str, secret: str) -> web.Application:
        """The aiohttp server Telegram posts to: updates with the right secret header are handled
        (answered at once, worked in the background); anything else gets 401 and is dropped."""
        app = web.Application()

        async def receive(request: web.Request) -> web.Response:
            if not hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), secret):
                log.warning("webhook request without the right secret from %s", request.remote)
                return web.Response(status=401, text="unauthorized")
            try:
                update = Update.model_validate(await request.json(), context={"bot": self.bot})
            except ValueError:
                return web.Response(status=400, text="not an update")
            task = asyncio.create_task(self.dispatcher.feed_update(self.bot, update))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return web.Response(text="ok")

        async def health(_: web.Request) -> web.Response:
            return web.Response(text="ok")

        app.router.add_post(path, receive)
        app.router.add_get("/healthz", health)
        return app

    async def run_webhook(
        self,
        url: str,
        secret: str,
        host: str,
        port: int,
        also: Callable[[web.Application], None] | None = None,
    ) -> None:
        """Register the webhook with Telegram and serve it until cancelled; `also` mounts other
        channels' routes (WeCom's callback) on the same server."""
        app = self.webhook_app(urlsplit(url).path or "/", secret)
        if also is not None:
            also(app)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        await self._call(partial(self.bot.set_webhook, url, secret_token=secret))
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    async def run_polling(self) -> None:
        await self.bot.delete_webhook(drop_pending_updates=False)
        await self.dispatcher.start_polling(
            self.bot, handle_signals=False, polling_timeout=self.polling_timeout
        )

    async def close(self) -> None:
        await self.bot.session.close()
