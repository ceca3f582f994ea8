"""The outbox's way out to Telegram: one `sendMessage` per message, paced by the channel's token
buckets (30 a second overall, 20 a minute per group, about one a second per chat), Bot API
answers turned into outcomes the sender records.

In `xiaoer run` it shares the bot and the pacer of the chat channel, so replies and broadcasts
together stay under Telegram's overall limit.
"""

from __future__ import annotations

import html

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)

from bot.channels.pacing import Pacer
from bot.channels.telegram import CHANNEL, keyboard, split_text
from bot.domain.outbox import DeliveryStatus, OutboxMessage
from bot.outbox import Outcome, Refused, RetryAfter, Sent, Transient

REQUEST_TIMEOUT = 30  # seconds; well inside the sender's lease


class TelegramTransport:
    def __init__(self, bot: Bot, pacer: Pacer, *, owns_bot: bool = False) -> None:
        self.bot = bot
        self.pacer = pacer
        self.owns_bot = owns_bot  # False: the chat channel's bot, closed by the channel

    @property
    def channel(self) -> str:
        return CHANNEL

    def ready_in(self, chat_id: str) -> float:
        chat = int(chat_id)
        return self.pacer.ready_in(chat, is_group=chat < 0)  # group and channel ids are negative

    async def wait_turn(self, chat_id: str) -> None:
        chat = int(chat_id)
        await self.pacer.wait(chat, is_group=chat < 0)

    async def send(self, message: OutboxMessage) -> Outcome:
        chat = int(message.chat_id)
        # Notices are cut to fit one message (policies.excerpt_chars): one row, one message, so a
        # resend can never repeat half of one. This is only the guard.
        text = split_text(html.escape(message.text, quote=False))[0]
        try:
            sent = await self.bot.send_message(
                chat, text, reply_markup=keyboard(message.buttons), request_timeout=REQUEST_TIMEOUT
            )
        except TelegramRetryAfter as wait:
            self.pacer.hold(chat, wait.retry_after)
            return RetryAfter(float(wait.retry_after), wait.message)
        except TelegramForbiddenError as refused:  # blocked by the user, or the bot left the group
            return Refused(DeliveryStatus.BLOCKED, refused.message)
        except TelegramMigrateToChat as moved:
            return Refused(
                DeliveryStatus.FAILED,
                f"the group is now supergroup {moved.migrate_to_chat_id}: put that chat id in the config",
            )
        except TelegramBadRequest as refused:  # chat not found, a request Telegram rejects
            return Refused(DeliveryStatus.FAILED, refused.message)
        except TelegramUnauthorizedError as refused:  # the token: every message would fail alike
            return Transient(f"the bot token was refused: {refused.message}")
        except (TelegramNetworkError, TelegramServerError, TimeoutError) as broken:
            # The request may have reached Telegram before the connection or the server failed.
            return Transient(f"{type(broken).__name__}: {broken}", maybe_delivered=True)
        except TelegramAPIError as error:
            return Transient(f"{type(error).__name__}: {error.message}", maybe_delivered=True)
        return Sent(str(sent.message_id))

    async def close(self) -> None:
        if self.owns_bot:
            await self.bot.session.close()


def standalone_transport(token: str, api_base: str) -> TelegramTransport:
    """A transport with a bot and pacer of its own, for the command line (`xiaoer policy send`)."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base))
    bot = Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    return TelegramTransport(bot, Pacer(), owns_bot=True)
