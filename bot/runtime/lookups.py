"""What a command asks of a platform outside a running bot."""

from __future__ import annotations


async def telegram_username(token: str, api_base: str) -> str | None:
    """The bot's username as Telegram knows it (getMe), for commands that make invite links."""
    from bot.channels.telegram.adapter import make_bot

    bot = make_bot(token, api_base)
    try:
        return (await bot.me()).username
    finally:
        await bot.session.close()
