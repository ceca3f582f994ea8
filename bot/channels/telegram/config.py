"""The Telegram channel's section of the config: `channels.telegram` (env `XIAOER_CHANNELS__TELEGRAM__*`)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import ClassVar, Literal

from pydantic import Field

from bot.config_section import ChannelSection

# What @BotFather hands out: the bot's numeric id, a colon, then the secret (aiogram refuses any
# other shape with a bare exception, so it is checked with the rest of the config instead).
_TOKEN_SHAPE = re.compile(r"\d+:[A-Za-z0-9_-]+")


def start_link(username: str, code: str) -> str:
    """Telegram's deep link: pressing Start sends `/start <code>`. Usernames are letters, digits
    and _, codes URL-safe base64 (handlers/binding.new_code): nothing to quote."""
    return f"https://t.me/{username.lstrip('@')}?start={code}"


class TelegramConfig(ChannelSection):
    secret_fields: ClassVar[tuple[str, ...]] = ("token", "webhook_secret")

    token: str | None = None
    # The bot's username, for invite links (t.me/<username>?start=…); learnt from getMe when unset.
    username: str | None = Field(default=None, pattern=r"^@?[A-Za-z][A-Za-z0-9_]{3,31}$")
    api_base: str = "https://api.telegram.org"
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None  # the public https URL Telegram posts updates to
    webhook_secret: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,256}$")
    host: str = "127.0.0.1"  # where the webhook server listens (behind a reverse proxy)
    port: int = Field(default=8080, ge=0, le=65535)
    # How many `xiaoer run` processes send for this bot (sharing one PostgreSQL outbox): Telegram's
    # overall limit, 30 messages a second, is the bot's; above 1, the processes keep it together,
    # each send taking the bot's next slot in the database (handlers/send_slots.py).
    senders: int = Field(default=1, ge=1, le=30)

    @property
    def in_use(self) -> bool:
        return bool(self.token)

    @property
    def webhook(self) -> bool:
        """Updates arrive by webhook (else by long polling)."""
        return self.mode == "webhook" and bool(self.webhook_url and self.webhook_secret)

    def problems(self) -> list[str]:
        """What is wrong with this section on its own, one `key.path: what to fix` line each."""
        if self.token and _TOKEN_SHAPE.fullmatch(self.token) is None:
            # The token is a secret: say what is wrong with its shape, never echo it.
            space = " (it contains a space or line break)" if any(c.isspace() for c in self.token) else ""
            return [
                f"channels.telegram.token: not a bot token{space}; @BotFather's look like "
                "123456789:AAH… (digits, a colon, then letters, digits, _ and -); "
                "set XIAOER_CHANNELS__TELEGRAM__TOKEN to the token exactly as @BotFather gave it"
            ]
        if self.mode == "webhook" and not (self.webhook_url and self.webhook_secret):
            return [
                "channels.telegram: mode webhook needs webhook_url and webhook_secret "
                "(XIAOER_CHANNELS__TELEGRAM__WEBHOOK_URL, XIAOER_CHANNELS__TELEGRAM__WEBHOOK_SECRET)"
            ]
        return []

    def start_link_maker(self) -> Callable[[str], str] | None:
        return functools.partial(start_link, self.username) if self.username else None

    def member_group_problem(self, chat_id: str) -> str | None:
        if chat_id.strip().lstrip("-").isdecimal():
            return None
        return (
            f"a Telegram chat id is a number (a group's is negative, such as -1001234567890), not {chat_id!r}"
        )
