"""The outbox against Telegram's limits, over real HTTP: a sender paced faster than Telegram
allows is held back by 429s, waits each `retry_after` out, and delivers every message once; a
chat that does not exist is recorded as failed, not retried."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.bootstrap import build_app
from bot.channels.pacing import Pacer
from bot.channels.telegram.transport import TelegramTransport
from bot.config import Settings
from bot.domain.outbox import DeliveryStatus, MessageKind
from bot.outbox import OutboxSender
from tests.fake_telegram import FakeBotApi
from tests.policy_notices import publish_to_chats

CHATS = 40
# The fake's bucket for the whole bot, narrower than Telegram's thirty a second: the sender below
# (paced at twice Telegram's rate) outruns it however loaded the machine is, so 429s do come.
FAKE_OVERALL = (8, 8.0)
MISSING = 900_003


async def test_429s_hold_a_too_eager_sender_back_and_nothing_is_lost_or_repeated(
    tmp_path: Path, settings: Settings
) -> None:
    api = FakeBotApi()
    await api.start()
    api.enforce_limits(FAKE_OVERALL)
    api.missing.add(MISSING)
    app = await build_app(settings, f"sqlite+aiosqlite:///{tmp_path / 'limits.db'}")
    bot = Bot(api.token, session=AiohttpSession(api=TelegramAPIServer.from_base(api.base)))
    try:
        policy, _ = await publish_to_chats(app, range(900_000, 900_000 + CHATS))
        eager = Pacer(overall=(60, 60.0))  # twice what Telegram allows
        sender = OutboxSender(app.deps, {"telegram": TelegramTransport(bot, eager)}, poll_seconds=0.05)
        stats = await sender.run(until_idle=True)
        async with app.deps.storage() as uow:
            notices = {m.chat_id: m for m in await uow.outbox.for_policy(policy, MessageKind.NOTICE)}
    finally:
        await bot.session.close()
        await app.close()
        await api.stop()
    assert api.limited > 0  # Telegram did say "too many"
    assert stats.retried == api.limited
    assert api.too_early == 0  # and no chat was called again before its retry_after had passed
    copies = Counter(s.chat_id for s in api.sent)
    assert set(copies) == {900_000 + i for i in range(CHATS)} - {MISSING}
    assert set(copies.values()) == {1}
    missing = notices[str(MISSING)]
    assert (missing.status, missing.last_error) == (DeliveryStatus.FAILED, "Bad Request: chat not found")
    assert missing.attempts == 1  # not retried
