"""Which officers Telegram will not let Xiaoer write to.

Telegram lets a bot write to a person only after that person opened a private chat with it
(sent it /start); until then every notice, reminder and assignment to them is refused. At start
Xiaoer asks Telegram, for each configured officer, whether it may write to them: a "typing…"
chat action, refused exactly where a message would be, and nothing the officer has to read.
Telling their heads is the handlers' work (handlers/reach.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aiogram import Bot
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError

from bot.channels.telegram.adapter import CHANNEL
from bot.domain.org import Officer

log = logging.getLogger(__name__)


async def unreachable_officers(bot: Bot, officers: Iterable[Officer]) -> list[Officer]:
    """The officers with a Telegram id whom Telegram refuses the bot's messages."""
    found = []
    for officer in officers:
        user = officer.identities.get(CHANNEL)
        if user is None:
            continue
        try:
            await bot.send_chat_action(int(user), ChatAction.TYPING)
        except (TelegramForbiddenError, TelegramBadRequest):  # never started the bot, or blocked it
            found.append(officer)
        except TelegramAPIError as error:  # Telegram is unwell: nothing learnt about this officer
            log.warning("could not ask Telegram whether officer %s is reachable: %s", officer.id, error)
    return found
