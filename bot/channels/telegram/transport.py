"""The outbox's way out to Telegram: one outbox message becomes the Bot API calls that say it,
paced by the channel's token buckets (30 a second overall, 20 a minute per group, about one a
second per chat), the Bot API's answers turned into outcomes the sender records.

A message is its text in HTML with every piece escaped, cut below Telegram's 4096 characters
(buttons under the last piece), or a photo or document with the text as its caption (a caption
over 1024 characters follows as messages of its own); an EDIT rewrites a sent message. A ticket's
first post in a forum group opens the ticket's topic. If a message fails part way (a piece sent,
the next refused for now), the next try starts at the piece that failed: the transport remembers
how far each message got, in memory, so after a restart a message in doubt is sent whole, as any
message in doubt is.
"""

from __future__ import annotations

import functools
import html
import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession

from bot.channels.pacing import Pacer
from bot.channels.telegram.adapter import CHANNEL, keyboard, make_bot, reply_markup, split_text
from bot.channels.telegram.bot_api import BotApi, BotApiError, BotApiUnreachable
from bot.domain.org import Directory
from bot.domain.outbox import DeliveryStatus, MessageKind, OutboxMessage
from bot.outbox import Moved, Outcome, Refused, RetryAfter, Sent, Transient

REQUEST_TIMEOUT = 30  # seconds; well inside the sender's lease
CAPTION_LIMIT = 1024  # Telegram's limit for a photo's or document's caption
TOPIC_NAME_LIMIT = 128  # Telegram's limit for a forum topic's name
PROGRESS_KEPT = 10_000  # messages whose sent pieces are remembered; the oldest are forgotten first
log = logging.getLogger(__name__)
UNSAID_RETRY_AFTER = 5.0  # seconds to wait after a 429 that did not say how long
PARSE_MODE = "HTML"  # every text is escaped HTML (the chat channel's bot has the same default)
Markup = dict[str, Any] | None
_Call = Callable[[], Awaitable[dict[str, Any]]]  # a Bot API call; its answer's `result`


@dataclass
class _Progress:
    ids: list[str] = field(default_factory=list)  # the pieces sent so far
    thread: str | None = None  # a topic opened for the message
    opened: bool = False


class TelegramTransport:
    def __init__(
        self,
        bot: Bot,
        pacer: Pacer,
        *,
        topic_chats: Collection[int] = (),
        owns_bot: bool = False,
        directory: Directory | None = None,
    ) -> None:
        self.bot = bot
        self.pacer = pacer
        self.topic_chats = set(topic_chats)
        self.directory = directory  # the forums among the departments' groups, as they are now
        self.owns_bot = owns_bot  # False: the chat channel's bot, closed by the channel
        self.api = _plain_api(bot)
        self._progress: dict[int, _Progress] = {}

    @property
    def channel(self) -> str:
        return CHANNEL

    def _is_forum(self, chat: int) -> bool:
        if chat in self.topic_chats:
            return True
        return self.directory is not None and str(chat) in self.directory.topic_chats(CHANNEL)

    def ready_in(self, chat_id: str) -> float:
        chat = int(chat_id)
        return self.pacer.ready_in(chat, is_group=chat < 0)  # group and channel ids are negative

    async def wait_turn(self, chat_id: str) -> None:
        chat = int(chat_id)
        await self.pacer.wait(chat, is_group=chat < 0)

    async def send(self, message: OutboxMessage) -> Outcome:
        chat = int(message.chat_id)
        try:
            if message.kind is MessageKind.EDIT:
                return await self._edit(chat, message)
            return await self._say(chat, message)
        except BotApiError as refused:
            return self._refused(chat, message, refused)
        except BotApiUnreachable as broken:
            # The request may have reached Telegram before the connection failed.
            return Transient(str(broken), maybe_delivered=True)

    def _refused(self, chat: int, message: OutboxMessage, refused: BotApiError) -> Outcome:
        """Telegram's refusal as the sender's outcome (in the order aiogram classified them)."""
        if refused.retry_after is not None or refused.status == HTTPStatus.TOO_MANY_REQUESTS:
            # A 429 is never carried out: without its retry_after (which the Bot API documents as
            # optional) it is still a wait and a retry, not a message in doubt
            seconds = float(refused.retry_after if refused.retry_after is not None else UNSAID_RETRY_AFTER)
            self.pacer.hold(chat, seconds)
            return RetryAfter(seconds, refused.description)
        if refused.migrate_to_chat_id is not None:
            # The group became a supergroup: nothing arrived; the sender follows the chat to its new id
            # and sends the whole message there (the pieces sent so far went to the old group, if any)
            return self._done(message, Moved(str(refused.migrate_to_chat_id), refused.description))
        if refused.status == HTTPStatus.FORBIDDEN:  # blocked by the user, or the bot left the group
            return self._done(message, Refused(DeliveryStatus.BLOCKED, refused.description))
        if refused.status == HTTPStatus.BAD_REQUEST:  # chat not found, a request Telegram rejects
            return self._done(message, Refused(DeliveryStatus.FAILED, refused.description))
        if refused.status == HTTPStatus.UNAUTHORIZED:  # the token: every message would fail alike
            return Transient(f"the bot token was refused: {refused.description}")
        # 5xx, 404, 409, 413...: the request may have been carried out before the failure
        return Transient(f"HTTP {refused.status}: {refused.description}", maybe_delivered=True)

    def _done(self, message: OutboxMessage, outcome: Outcome) -> Outcome:
        self._progress.pop(message.id or 0, None)
        return outcome

    async def _edit(self, chat: int, message: OutboxMessage) -> Outcome:
        assert message.edit_of is not None
        text = split_text(html.escape(message.text, quote=False))[0]
        try:
            await self.api.call(
                "editMessageText",
                {
                    "chat_id": chat,
                    "message_id": int(message.edit_of),
                    "text": text,
                    "parse_mode": PARSE_MODE,
                    "reply_markup": keyboard(message.buttons),
                },
            )
        except BotApiError as refused:
            if refused.status != HTTPStatus.BAD_REQUEST or "not modified" not in refused.description:
                raise
        return Sent(message.edit_of, trackable=False)

    async def _say(self, chat: int, message: OutboxMessage) -> Outcome:
        progress = self._progress.setdefault(message.id or 0, _Progress())
        if len(self._progress) > PROGRESS_KEPT:  # messages another sender took over
            del self._progress[next(iter(self._progress))]
        thread = message.thread_id or progress.thread
        if thread is None and message.post and self._is_forum(chat) and message.ticket is not None:
            thread = await self._open_topic(chat, message, progress)
        calls = self._calls(chat, message, thread)
        for index in range(len(progress.ids), len(calls)):
            if index:
                await self.pacer.wait(chat, is_group=chat < 0)
            sent = await calls[index]()
            progress.ids.append(str(sent["message_id"]))
        self._progress.pop(message.id or 0, None)
        ids = progress.ids or [""]
        return Sent(ids[0], tuple(ids[1:]), thread_id=progress.thread if progress.opened else None)

    async def _open_topic(self, chat: int, message: OutboxMessage, progress: _Progress) -> str | None:
        """The ticket's topic, made with its first post; None: post plainly (the group is not a
        forum, or the bot may not manage topics)."""
        name = message.text.splitlines()[0][:TOPIC_NAME_LIMIT] if message.text else f"#{message.ticket}"
        try:
            topic = await self.api.call("createForumTopic", {"chat_id": chat, "name": name})
        except BotApiError as refused:
            if refused.status != HTTPStatus.BAD_REQUEST:
                raise
            log.warning(
                "no topic for ticket #%s in chat %s (%s): posting plainly", message.ticket, chat, refused
            )
            return None
        progress.thread, progress.opened = str(topic["message_thread_id"]), True
        return progress.thread

    def _calls(self, chat: int, message: OutboxMessage, thread: str | None) -> list[_Call]:
        """The Bot API calls that say the message, in order."""
        thread_id = int(thread) if thread is not None else None
        escaped = html.escape(message.text, quote=False)
        calls: list[_Call] = []
        if message.attachment is not None:
            attachment = message.attachment
            fits = len(escaped) <= CAPTION_LIMIT
            field = "photo" if attachment.kind == "photo" else "document"

            async def send_file() -> dict[str, Any]:
                return await self.api.upload(
                    "sendPhoto" if field == "photo" else "sendDocument",
                    {
                        "chat_id": str(chat),
                        "caption": escaped if fits and escaped else None,
                        "parse_mode": PARSE_MODE,
                        "message_thread_id": str(thread_id) if thread_id is not None else None,
                        "reply_markup": keyboard(message.buttons) if fits else None,
                    },
                    field,
                    attachment.data,
                    attachment.name,
                )

            calls.append(send_file)
            if fits:
                return calls
        pieces = [piece for piece in split_text(escaped) if piece.strip()] or ([escaped] if not calls else [])
        for index, piece in enumerate(pieces):
            markup = reply_markup(message.buttons) if index == len(pieces) - 1 else None

            async def send_piece(piece: str = piece, markup: Markup = markup) -> dict[str, Any]:
                return await self.api.call(
                    "sendMessage",
                    {
                        "chat_id": chat,
                        "text": piece,
                        "parse_mode": PARSE_MODE,
                        "message_thread_id": thread_id,
                        "reply_markup": markup,
                    },
                )

            calls.append(send_piece)
        return calls

    async def close(self) -> None:
        if self.owns_bot:
            await self.bot.session.close()


def _plain_api(bot: Bot) -> BotApi:
    """The Bot API as plain HTTP for this bot: its token and API server, and the aiohttp session
    its aiogram session keeps (made when first needed, closed with the bot)."""
    session = bot.session
    assert isinstance(session, AiohttpSession), "the transport posts through aiogram's aiohttp session"
    return BotApi(functools.partial(session.api.api_url, bot.token), session.create_session, REQUEST_TIMEOUT)


def standalone_transport(token: str, api_base: str, topic_chats: Collection[int] = ()) -> TelegramTransport:
    """A transport with a bot and pacer of its own, for the command line (`xiaoer policy send`)."""
    return TelegramTransport(make_bot(token, api_base), Pacer(), topic_chats=topic_chats, owns_bot=True)
