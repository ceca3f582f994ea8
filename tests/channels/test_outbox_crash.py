"""A broadcast survives its sender being killed: `xiaoer policy send` runs in a subprocess against
the fake Bot API served by this test, on a SQLite file; it is SIGKILLed in the middle of a
broadcast to a few hundred chats and started again, and every chat receives exactly one copy.

The kill lands while the killed sender has a call to Telegram in flight (the fake drops that
request, as a server that never got it would) and a batch of claimed messages not yet sent: the
restarted sender must send both, and nothing that was already delivered. The one case no sender
can decide, a call Telegram accepted whose answer the dead sender never recorded, is covered in
the second test: that chat may get two copies, and the report says so.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from pathlib import Path

import yaml

from bot.bootstrap import build_app
from bot.config import load_settings
from bot.domain.outbox import DeliveryStatus, MessageKind
from tests.conftest import ROOT
from tests.fake_telegram import FakeBotApi
from tests.policy_notices import publish_to_chats

XIAOER = str(Path(sys.executable).parent / "xiaoer")
GROUPS = 10
COMPANIES = 190
KILL_AT = 80  # notices delivered before the sender is killed


async def prepare(tmp_path: Path, groups: int = GROUPS, companies: int = COMPANIES) -> tuple[Path, str]:
    document = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    document["groups"] = [
        {"id": f"g{i}", "name": f"企业群 {i}", "chat_id": -100_000 - i} for i in range(groups)
    ]
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    url = f"sqlite+aiosqlite:///{tmp_path / 'broadcast.db'}"
    app = await build_app(load_settings(config), url)
    try:
        _, queued = await publish_to_chats(app, range(500_000, 500_000 + companies))
        assert queued == groups + companies
    finally:
        await app.close()
    return config, url


async def start_sender(api: FakeBotApi, config: Path, url: str) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIAOER_") or k == "XIAOER_NLU_CACHE"}
    env.update(
        XIAOER_CONFIG=str(config),
        XIAOER_CHANNELS__TELEGRAM__TOKEN=api.token,
        XIAOER_CHANNELS__TELEGRAM__API_BASE=api.base,
    )
    return await asyncio.create_subprocess_exec(
        XIAOER,
        "policy",
        "send",
        "--database",
        url,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


def kill_at_the_call_after(api: FakeBotApi, sent: int, pid: int) -> asyncio.Event:
    """SIGKILL the process `pid` while its call after `sent` delivered notices is in flight; that
    call never lands (the process died before it could learn of it). Set once it is done."""
    killed = asyncio.Event()

    def kill_during_a_call(chat_id: int) -> bool:
        if len(api.sent) < sent:
            return True
        if not killed.is_set():
            os.kill(pid, signal.SIGKILL)
            killed.set()
        return False

    api.on_send = kill_during_a_call
    return killed


async def test_a_sender_killed_mid_broadcast_resumes_and_every_chat_gets_one_copy(tmp_path: Path) -> None:
    config, url = await prepare(tmp_path)
    api = FakeBotApi()
    await api.start()
    try:
        first = await start_sender(api, config, url)
        killed = kill_at_the_call_after(api, KILL_AT, first.pid)
        await asyncio.wait_for(killed.wait(), 60)
        await first.communicate()  # reaped: a zombie would still look alive to the next sender
        assert first.returncode == -signal.SIGKILL
        api.on_send = None
        assert len(api.sent) == KILL_AT

        second = await start_sender(api, config, url)
        out, err = await asyncio.wait_for(second.communicate(), 90)
        assert second.returncode == 0, err.decode()
    finally:
        await api.stop()

    copies = Counter(s.chat_id for s in api.sent)
    expected = {-100_000 - i for i in range(GROUPS)} | {500_000 + i for i in range(COMPANIES)}
    assert set(copies) == expected  # nobody lost
    assert set(copies.values()) == {1}  # nobody twice
    app = await build_app(load_settings(config), url)
    try:
        async with app.deps.storage() as uow:
            notices = await uow.outbox.for_policy(1, MessageKind.NOTICE)
            senders = await uow.outbox.senders()
    finally:
        await app.close()
    assert {m.status for m in notices} == {DeliveryStatus.SENT}
    assert {m.message_id for m in notices} == {str(s.message_id) for s in api.sent}
    # the call in flight at the kill is the one message marked as possibly delivered twice
    assert sum(m.in_doubt for m in notices) == 1
    assert "1 条因发送进程中断而重发" in out.decode()  # the configured language: zh-CN
    assert senders == []  # the dead sender was forgotten, the second one unregistered


async def test_a_call_telegram_took_but_the_dead_sender_never_recorded_may_arrive_twice(
    tmp_path: Path,
) -> None:
    """The window no sender can close (Telegram has no idempotency key and no way to ask what a
    chat received): the message goes again, marked in doubt, and the report names it."""
    from bot.channels.pacing import Pacer
    from bot.channels.telegram.transport import TelegramTransport
    from bot.outbox import OutboxSender
    from handlers.policy_status import policy_report, status_text

    api = FakeBotApi()
    await api.start()
    config, url = await prepare(tmp_path, groups=2, companies=8)
    app = await build_app(load_settings(config), url)
    try:
        from aiogram import Bot
        from aiogram.client.session.aiohttp import AiohttpSession
        from aiogram.client.telegram import TelegramAPIServer

        bot = Bot(api.token, session=AiohttpSession(api=TelegramAPIServer.from_base(api.base)))
        transport = TelegramTransport(bot, Pacer())
        dead = OutboxSender(app.deps, {"telegram": transport}, pid=2**22 + 4321)  # no such process
        await dead.beat()
        async with app.deps.storage() as uow:
            (message,) = await uow.outbox.claim(dead.id, ["telegram"], app.deps.clock(), 1)
            await uow.outbox.begin_attempt(message.id or 0, dead.id, app.deps.clock())
            await uow.commit()
        await transport.send(message)  # Telegram takes it; the sender dies before writing it down
        alive = OutboxSender(app.deps, {"telegram": transport}, poll_seconds=0.01)
        stats = await alive.run(until_idle=True)
        report = await policy_report(app.deps, 1)
        await bot.session.close()
    finally:
        await app.close()
        await api.stop()
    copies = Counter(s.chat_id for s in api.sent)
    assert copies[int(message.chat_id)] == 2
    assert sum(copies.values()) == 2 + 8 + 1  # that one chat, and no other, twice
    assert stats.in_doubt == 1
    assert report.in_doubt == 1
    assert "有 1 个会话在发送中途中断后重发，可能收到两次" in status_text(report, "zh-CN", app.deps)
