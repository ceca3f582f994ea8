"""The Telegram channel on aiogram, the way in: updates become `Inbound`s, kept in the inbox
before Telegram is told they arrived (the webhook answers after that; long polling confirms the
offset only after that), so a crash never loses an update. What Xiaoer says goes out through the
outbox (bot.channels.telegram.transport); `TelegramAddressing` says which chats a reply is for.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramUnauthorizedError
from aiogram.methods import GetUpdates
from aiogram.methods.base import Response
from aiogram.types import CallbackQuery, Message, Update
from aiohttp import web

from bot.channels.telegram.config import start_link
from bot.channels.unusable import CHECK_SECONDS, ChannelUnusable
from bot.domain.messages import (
    SHARE_PHONE,
    Button,
    Inbound,
    Recipient,
    Reply,
    Sender,
    ToDepartment,
)
from bot.domain.org import Directory
from bot.domain.outbox import Address, Origin, personal_addresses
from bot.i18n import t
from handlers.start_links import StartLinks

CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MESSAGE_LIMIT = 4096
LONGEST_PATIENCE = 30.0  # seconds between tries to keep an update while the database is away
log = logging.getLogger(__name__)

# What aiogram reads every getUpdates answer as. Pydantic keeps a parametrised generic model in a
# cache of weak references, and a class lives in reference cycles: each full collection of the
# garbage collector freed it, and the next answer (an empty one every polling timeout, when idle)
# built its validator again: Update, Message and the types they name, ~110 ms of CPU with the event
# loop held and ~3 MiB, after every full collection. Held here for the process's life, it is built
# once (at start-up by `build_polled_reader`, else at the first answer).
UPDATES_ANSWER: type[Response[Any]] = Response[GetUpdates.__returning__]


def build_polled_reader() -> None:
    """The validator getUpdates answers are read with, built now (lazy_models builds a model when
    first used): an empty answer is read, as polling reads one every timeout when idle."""
    UPDATES_ANSWER.model_validate({"ok": True, "result": []})


def build_webhook_reader() -> None:
    """The validator a webhook's update is read with (`Update`, a copy of its own: pydantic
    builds each model's validator whole), built now."""
    Update.model_validate({"update_id": 0})


Accept = Callable[[Inbound], Awaitable[bool]]
Say = Callable[[Sequence[Reply], Origin | None], Awaitable[None]]


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


def keyboard(buttons: Sequence[Button]) -> dict[str, Any] | None:
    """Buttons under a message, as the Bot API's InlineKeyboardMarkup (the contact button cannot
    be one: see `reply_markup`)."""
    inline = [b for b in buttons if b.payload != SHARE_PHONE]
    if not inline:
        return None
    return {"inline_keyboard": [[{"text": b.label, "callback_data": b.payload}] for b in inline]}


def reply_markup(buttons: Sequence[Button]) -> dict[str, Any] | None:
    """What a new message carries: the contact button, which shares the person's own number, is a
    keyboard button in place of the keyboard (ReplyKeyboardMarkup); otherwise the buttons under
    the message."""
    share = next((b for b in buttons if b.payload == SHARE_PHONE), None)
    if share is None:
        return keyboard(buttons)
    return {
        "keyboard": [[{"text": share.label, "request_contact": True}]],
        "resize_keyboard": True,
        "one_time_keyboard": True,
    }


def make_bot(token: str, api_base: str) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base))
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


class TelegramAddressing:
    """The Telegram chats a reply is for: the sender's chat (in its forum topic), an officer's
    private chat, a department's officer group (or, without one, each of its officers)."""

    def __init__(
        self,
        directory: Directory,
        department_chats: Mapping[str, int] | None = None,
        topic_chats: Collection[int] = (),
    ) -> None:
        self.directory = directory
        # given here (tests), else each department's Telegram chat as the directory has it now
        self.department_chats = dict(department_chats or {})
        self.topic_chats = set(topic_chats)  # forum groups: each ticket gets a topic of its own

    @property
    def channel(self) -> str:
        return CHANNEL

    def addresses(self, to: Recipient, origin: Origin | None) -> list[Address]:
        match to:
            case ToDepartment(department_id=department_id):
                chat = self._chat(department_id)
                if chat is not None:
                    topics = chat in self.topic_chats or str(chat) in self.directory.topic_chats(CHANNEL)
                    return [Address(str(chat), topics=topics)]
                return [  # no group configured: each officer of the department, privately
                    Address(str(o.identities[CHANNEL]))
                    for o in self.directory.members(department_id)
                    if CHANNEL in o.identities
                ]
        return personal_addresses(CHANNEL, to, origin, self.directory)

    def _chat(self, department_id: str) -> int | str | None:
        if department_id in self.department_chats:
            return self.department_chats[department_id]
        department = self.directory.departments.get(department_id)
        return department.chat(CHANNEL) if department is not None else None


class TelegramChannel:
    """Turns Telegram updates into inbox entries; answers nothing itself but the button spinner."""

    def __init__(
        self,
        bot: Bot,
        accept: Accept,
        say: Say,
        directory: Directory,
        *,
        clock: Callable[[], datetime],
        default_lang: str = "zh-CN",
        polling_timeout: int = 10,
        officer_groups: Collection[int] = (),
        start_links: StartLinks | None = None,
    ) -> None:
        self.bot = bot
        self.start_links = start_links or StartLinks()
        self.officer_groups = set(officer_groups)  # the departments' groups: officers only
        self.accept = accept
        self.say = say
        self.directory = directory
        self.clock = clock
        self.default_lang = default_lang
        self.polling_timeout = polling_timeout
        self.patient = False  # long polling: keep trying to store an update rather than lose it
        # No aiogram FSM: a conversation's state (a pending question) is in the database, and the
        # FSM's middleware would look up a state and its lock for every update for nothing (57 -> 41
        # us of aiogram's dispatch an update; `disable_fsm` is aiogram's documented switch)
        self.dispatcher = Dispatcher(disable_fsm=True)
        router = Router(name="xiaoer")
        router.message()(self.on_message)
        router.edited_message()(self.on_edit)
        router.callback_query()(self.on_button)
        self.dispatcher.include_router(router)

    async def on_message(self, message: Message, event_update: Update) -> None:
        if message.migrate_to_chat_id is not None or message.migrate_from_chat_id is not None:
            await self._keep(_moved(message, event_update, self.clock()))
            return
        if message.from_user is None:
            return
        user = message.from_user
        shared = message.contact
        if message.text is None and shared is not None and message.chat.type == "private":
            # The contact button shares the sender's own number; a contact card of someone else
            # (another user id, or none) vouches for nothing and is taken as an ordinary attachment.
            own = shared.user_id == user.id
            await self._keep(
                Inbound(
                    sender=Sender(CHANNEL, str(user.id), user.full_name, user.language_code),
                    chat_id=str(message.chat.id),
                    text="",
                    payload=None if own else "media:contact",
                    received_at=self.clock(),
                    delivery_id=str(event_update.update_id),
                    shared_phone=shared.phone_number if own else None,
                )
            )
            return
        if message.text is None:
            media = _media(message)
            if media is not None and message.chat.type == "private":
                # A photo, a file, a voice message, a sticker, a place …: the handlers keep a file's
                # reference (a visit being recorded) or say that only text is read, and read the
                # caption, when there is one, as what the person wrote: never a silent drop.
                await self._keep(
                    Inbound(
                        sender=Sender(CHANNEL, str(user.id), user.full_name, user.language_code),
                        chat_id=str(message.chat.id),
                        text=message.caption or "",
                        payload=f"media:{media}",
                        received_at=self.clock(),
                        reply_to=_replied_to(message),
                        delivery_id=str(event_update.update_id),
                    )
                )
            return
        thread = str(message.message_thread_id) if message.is_topic_message else None
        if message.chat.type != "private" and await self._for_another_bot(message.text):
            return  # `/help@other_bot` in a group with several bots: theirs to answer, not ours
        if (
            message.chat.type != "private"
            and self.directory.officer_by_identity(CHANNEL, str(user.id)) is None
        ):
            # Officer groups are for officers: others are told so, and nothing they write is acted on;
            # in any other group (a member units' group getting notices) chats are private.
            if message.text.startswith("/"):
                origin = Origin(CHANNEL, str(message.chat.id), thread)
                key = (
                    "group_officers_only" if self._officer_group(message.chat.id) else "group_write_privately"
                )
                await self.say([Reply(t(self.default_lang, f"telegram.{key}"))], origin)
            return
        await self._keep(
            Inbound(
                sender=Sender(CHANNEL, str(user.id), user.full_name, user.language_code),
                chat_id=str(message.chat.id),
                text=message.text,
                received_at=self.clock(),
                reply_to=_replied_to(message),
                delivery_id=str(event_update.update_id),
                thread_id=thread,
            )
        )

    def _officer_group(self, chat: int) -> bool:
        return chat in self.officer_groups or str(chat) in self.directory.department_chats(CHANNEL).values()

    async def _for_another_bot(self, text: str) -> bool:
        """A command whose @suffix names another bot (a bot that is a group's admin, as forum
        topics need, receives every message there, the other bots' commands included)."""
        command = text.split(maxsplit=1)[0] if text.startswith("/") else ""
        _, at, addressee = command.partition("@")
        if not at:
            return False
        try:
            me = await self.bot.me()  # asked of Telegram once, then cached by aiogram
        except (TelegramAPIError, OSError, TimeoutError) as error:
            log.warning("could not ask Telegram for the bot's username: %s", error)
            return False  # taken as ours: an answer too many rather than a command lost
        return me.username is not None and addressee.lower() != me.username.lower()

    async def on_edit(self, message: Message, event_update: Update) -> None:
        """An edit changes nothing already acted on (a ticket, a reply sent on): in a private chat
        the person is told to send the correction, rather than believe it was read."""
        if message.from_user is None or message.chat.type != "private":
            return
        user = message.from_user
        await self._keep(
            Inbound(
                sender=Sender(CHANNEL, str(user.id), user.full_name, user.language_code),
                chat_id=str(message.chat.id),
                text="",
                payload="edited",
                received_at=self.clock(),
                delivery_id=str(event_update.update_id),
            )
        )

    async def on_button(self, query: CallbackQuery, event_update: Update) -> None:
        chat = query.message.chat.id if query.message is not None else query.from_user.id
        if (
            self._officer_group(chat)
            and self.directory.officer_by_identity(CHANNEL, str(query.from_user.id)) is None
        ):
            # An officer group's buttons are for its officers, as its commands are: the presser alone
            # is told so, and nothing is recorded of someone who is nobody here.
            notice = t(self.default_lang, "telegram.group_buttons_officers_only")
            try:
                await self.bot.answer_callback_query(query.id, text=notice, show_alert=True)
            except TelegramAPIError as error:
                log.warning("could not answer a button press: %s", error)
            return
        try:  # stops the button's spinner; a failure here costs nothing but the spinner
            await self.bot.answer_callback_query(query.id)
        except TelegramAPIError as error:
            log.warning("could not answer a button press: %s", error)
        message = query.message
        topic = isinstance(message, Message) and message.is_topic_message
        user = query.from_user
        await self._keep(
            Inbound(
                sender=Sender(CHANNEL, str(user.id), user.full_name, user.language_code),
                chat_id=str(chat),
                text="",
                payload=query.data or "",
                received_at=self.clock(),
                delivery_id=str(event_update.update_id),
                thread_id=str(message.message_thread_id) if topic and isinstance(message, Message) else None,
            )
        )

    async def _keep(self, inbound: Inbound) -> None:
        """Store the update. Polling waits out a database outage here (Telegram keeps the update
        until the next offset confirms it); a webhook answers with an error, and Telegram retries."""
        pause = 1.0
        while True:
            try:
                await self.accept(inbound)
                return
            except Exception:
                if not self.patient:
                    raise
                log.exception("could not keep Telegram update %s; trying again", inbound.delivery_id)
                await asyncio.sleep(pause)
                pause = min(pause * 2, LONGEST_PATIENCE)

    def add_routes(self, app: web.Application, path: str, secret: str) -> None:
        """Telegram's webhook: an update with the right secret header is kept, then answered 200;
        one that cannot be kept is answered 500 so that Telegram sends it again."""

        async def receive(request: web.Request) -> web.Response:
            if not hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), secret):
                log.warning("webhook request without the right secret from %s", request.remote)
                return web.Response(status=401, text="unauthorized")
            try:  # JSON is UTF-8 (RFC 8259): a charset the request names, known or not, is not read
                update = Update.model_validate(json.loads(await request.read()), context={"bot": self.bot})
            except (ValueError, RecursionError):  # not JSON, not an Update, or nested past reading
                return web.Response(status=400, text="not an update")
            try:
                await self.dispatcher.feed_update(self.bot, update)
            except Exception:
                log.exception("Telegram update %s could not be kept", update.update_id)
                return web.Response(status=500, text="try again")
            return web.Response(text="ok")

        app.router.add_post(path, receive)

    async def learn_username(self) -> None:
        """Invites link to the bot by its username: asked of Telegram unless configured."""
        if self.start_links.has(CHANNEL):  # configured
            return
        try:
            me = await self.bot.me()
        except TelegramAPIError as error:  # invites then give the code alone; nothing else depends on it
            log.warning("could not ask Telegram for the bot's username: %s", error)
            return
        if me.username:
            self.start_links.offer(CHANNEL, functools.partial(start_link, me.username))

    async def check(self) -> str:
        """The bot's username, once Telegram has accepted the token; else ChannelUnusable."""
        base = self.bot.session.api.base.split("/bot{token}")[0]
        try:
            async with asyncio.timeout(CHECK_SECONDS):
                me = await self.bot.get_me()
        except TelegramUnauthorizedError:
            raise ChannelUnusable(
                "xiaoer: Telegram refused the bot token (401 Unauthorized): set "
                "XIAOER_CHANNELS__TELEGRAM__TOKEN (or channels.telegram.token) to the token @BotFather gave"
            ) from None
        except (TelegramNetworkError, TimeoutError, OSError):
            raise ChannelUnusable(
                f"xiaoer: cannot reach the Telegram Bot API at {base}: check channels.telegram.api_base "
                "and that this machine can connect to it (proxy, firewall)"
            ) from None
        except TelegramAPIError as error:
            raise ChannelUnusable(
                f"xiaoer: the Telegram Bot API at {base} refused getMe ({type(error).__name__}): "
                "check channels.telegram.api_base and the token"
            ) from None
        return me.username or str(me.id)

    async def register_webhook(self, url: str, secret: str) -> None:
        await self.learn_username()
        await self.bot.set_webhook(url, secret_token=secret)

    def webhook_path(self, url: str) -> str:
        return urlsplit(url).path or "/"

    async def run_polling(self) -> None:
        self.patient = True
        await self.learn_username()
        await self.bot.delete_webhook(drop_pending_updates=False)
        # One update at a time: the next getUpdates, which confirms the offset, is asked only once
        # the updates before it are kept.
        await self.dispatcher.start_polling(
            self.bot,
            handle_signals=False,
            polling_timeout=self.polling_timeout,
            handle_as_tasks=False,
            close_bot_session=False,
        )

    async def close(self) -> None:
        await self.bot.session.close()


# What a person may send instead of text (service messages, such as a pin, are none of these).
_FILES = ("document", "voice", "audio", "video", "video_note")  # an animation also carries a document
_NO_FILE = (
    "sticker",
    "venue",
    "location",
    "dice",
    "poll",
    "story",
    "game",
    "checklist",
)  # venue has a location


def _moved(message: Message, update: Update, at: datetime) -> Inbound:
    """A group upgraded to a supergroup, as the service message in either says it: the old id as
    the chat (both announcements are one conversation, handled in turn), the new as `moved_to`."""
    if message.migrate_to_chat_id is not None:  # said in the old group
        old, new = message.chat.id, message.migrate_to_chat_id
    else:  # said in the new supergroup
        old, new = message.migrate_from_chat_id or 0, message.chat.id
    user = message.from_user
    return Inbound(
        sender=Sender(CHANNEL, str(user.id if user else old), user.full_name if user else "", None),
        chat_id=str(old),
        text="",
        received_at=at,
        delivery_id=str(update.update_id),
        moved_to=str(new),
    )


def _media(message: Message) -> str | None:
    """`photo:FILE_ID` (the largest size), `voice:FILE_ID` … for a file Telegram keeps for the bot,
    the bare kind (`sticker`, `location` …) for what carries none, None for a service message."""
    if message.photo:
        return f"photo:{message.photo[-1].file_id}"
    for kind in _FILES:
        attachment = getattr(message, kind)
        if attachment is not None:
            return f"{kind}:{attachment.file_id}"
    return next((kind for kind in _NO_FILE if getattr(message, kind, None) is not None), None)


def _replied_to(message: Message) -> str | None:
    return str(message.reply_to_message.message_id) if message.reply_to_message else None
