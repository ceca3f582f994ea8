"""Which officers Telegram will not let Xiaoer write to, and telling their heads.

Telegram lets a bot write to a person only after that person opened a private chat with it
(sent it /start); until then every notice, reminder and assignment to them is refused. At start
Xiaoer asks Telegram, for each configured officer, whether it may write to them (a "typing…"
chat action: refused exactly where a message would be, and nothing the officer has to read), and
tells each department's head whom it cannot reach (the department's group when the head is one
of them)."""

from __future__ import annotations

import logging
from collections import defaultdict

from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError

from bot.channels.telegram import CHANNEL, TelegramChannel
from bot.domain.org import Officer
from bot.i18n import t

log = logging.getLogger(__name__)


async def unreachable_officers(channel: TelegramChannel) -> list[Officer]:
    """The officers with a Telegram id whom Telegram refuses the bot's messages."""
    found = []
    for officer in channel.deps.directory.officers.values():
        user = officer.identities.get(CHANNEL)
        if user is None:
            continue
        await channel.pacer.wait(int(user), is_group=False)
        try:
            await channel.bot.send_chat_action(int(user), ChatAction.TYPING)
        except (TelegramForbiddenError, TelegramBadRequest):  # never started the bot, or blocked it
            found.append(officer)
        except TelegramAPIError as error:  # Telegram is unwell: nothing learnt about this officer
            log.warning("could not ask Telegram whether officer %s is reachable: %s", officer.id, error)
    return found


async def tell_heads_of_unreachable_officers(channel: TelegramChannel) -> list[Officer]:
    """Each head hears which of their officers Xiaoer cannot write to; returns them all."""
    unreachable = await unreachable_officers(channel)
    missing = {officer.id for officer in unreachable}
    directory = channel.deps.directory
    by_department: dict[str, list[Officer]] = defaultdict(list)
    for officer in unreachable:
        by_department[officer.department_id].append(officer)
    for department_id, officers in by_department.items():
        department = directory.departments.get(department_id)
        head = directory.officers.get(department.head_officer_id or "") if department else None
        lang = head.lang if head is not None else directory.group_lang(department_id)
        names = t(lang, "telegram.unreachable_joiner").join(f"{o.name}（{o.id}）" for o in officers)
        text = t(lang, "telegram.unreachable_officers", officers=names)
        if head is not None and head.id not in missing and CHANNEL in head.identities:
            await channel.send(int(head.identities[CHANNEL]), text)
        elif department_id in channel.department_chats:
            await channel.send(channel.department_chats[department_id], text)
    return unreachable
