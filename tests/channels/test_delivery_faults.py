"""What the bot promised to say is said, once, in each conversation's order, whatever the
platform or the process does meanwhile. Real HTTP against the fake Bot API, `xiaoer run`'s
runtime in this process (the process-level tests, with kills and several processes, are in
test_delivery_processes.py).

Time is scaled down: the issue's 30-second outage is 4 seconds here, with the sender's backoff
shortened to match (the schedule itself is bot.domain.outbox.backoff, tested on its own)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from bot.bootstrap import App, build_app
from bot.channels.pacing import Pacer
from bot.config import load_settings
from bot.domain.messages import Reply
from bot.domain.outbox import Origin
from handlers import reminders
from handlers.outgoing import Outgoing
from storage.protocols import UnitOfWork
from tests.channels.telegram_runtime import TelegramRun, telegram_running
from tests.channels.test_telegram import DEMAND, ENTREPRENEUR, GROUP, write_config
from tests.fake_telegram import FakeBotApi

PEOPLE = 50


@dataclass
class Running:
    api: FakeBotApi
    app: App
    run: TelegramRun


def quick_backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(0.25 * attempts, 1.0))


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    settings = load_settings(write_config(tmp_path))
    api = FakeBotApi()
    await api.start()
    app = await build_app(settings, f"sqlite+aiosqlite:///{tmp_path / 'faults.db'}")
    groups = {d.id: int(d.chats["telegram"]) for d in settings.departments if "telegram" in d.chats}
    try:
        async with telegram_running(app.deps, api, groups) as run:
            run.runtime.sender.backoff = quick_backoff
            run.runtime.sender.poll_seconds = 0.1
            yield Running(api, app, run)
    finally:
        await app.close()
        await api.stop()


def texts(api: FakeBotApi, chat: int) -> list[str]:
    return [s.text for s in api.to(chat)]


def position(said: list[str], fragment: str) -> int:
    found = [i for i, text in enumerate(said) if fragment in text]
    assert len(found) == 1, (fragment, said)
    return found[0]


async def test_an_outage_while_demands_arrive_delays_every_message_and_loses_none(running: Running) -> None:
    api = running.api
    # Telegram's limits for a chat (one a second) and a group (twenty a minute) on a clock a
    # hundred times faster: fifty posts to one group would take a minute otherwise
    running.run.transport.pacer = Pacer(per_chat=(3, 100.0), per_group=(20, 100 * 20 / 60))
    api.outage(4.0)
    people = [ENTREPRENEUR + i for i in range(PEOPLE)]
    for person in people:
        await api.user_sends(person, DEMAND)
    await api.wait_until(lambda: api.refused_while_down > 0, "sends refused during the outage")
    assert not [s for s in api.sent if s.chat_id in people]  # nothing got through while it was down
    for person in people:
        await api.wait_text(person, "贵公司的全称", within=60)
    await api.wait_until(lambda: len([s for s in api.to(GROUP) if "新工单" in s.text]) >= PEOPLE, "posts", 60)
    for person in people:  # each promised message once, the acknowledgement before the question
        said = texts(api, person)
        assert position(said, "工单号") < position(said, "贵公司的全称")
    posts = [s.text for s in api.to(GROUP) if "新工单" in s.text]
    assert len(posts) == len(set(posts)) == PEOPLE


async def test_one_persons_quick_messages_are_answered_in_the_order_sent(running: Running) -> None:
    api = running.api
    for text in ("你好", DEMAND, "/status"):  # back to back, without waiting for an answer
        await api.user_sends(ENTREPRENEUR, text)
    await api.wait_text(ENTREPRENEUR, "您的诉求（1 件）")
    said = texts(api, ENTREPRENEUR)
    greeting = next(i for i, text in enumerate(said) if "您好" in text or "小二" in text)
    assert greeting < position(said, "工单号 #1") < position(said, "您的诉求（1 件）")
    await running.run.runtime.conversations.drain()
    assert not running.run.runtime.conversations.busy  # a conversation's worker is not kept


async def test_a_failed_handling_is_tried_again_and_the_conversation_waits_for_it(running: Running) -> None:
    api, runtime = running.api, running.run.runtime
    real = runtime.outgoing.queue
    failures = 2

    async def flaky(*args: object, **kwargs: object) -> int:
        nonlocal failures
        if failures:
            failures -= 1
            raise ConnectionError("the database went away")
        return await real(*args, **kwargs)  # type: ignore[arg-type]

    runtime.outgoing.queue = flaky  # type: ignore[method-assign]
    await api.user_sends(ENTREPRENEUR, DEMAND)
    await api.user_sends(ENTREPRENEUR, "/status")
    await api.wait_text(ENTREPRENEUR, "您的诉求（1 件）", within=20)
    said = texts(api, ENTREPRENEUR)
    assert position(said, "工单号 #1") < position(said, "您的诉求（1 件）")  # still in order
    async with running.app.deps.storage() as uow:
        assert await uow.tickets.get(2) is None  # the retried demand opened one ticket, not two


async def test_a_sweep_that_fails_after_claiming_leaves_nothing_claimed(running: Running) -> None:
    """The sweep's claims and its messages commit together: a failure between them (a crash, the
    outbox refusing) undoes the claims, so the same nudges are still due, and then delivered."""
    api, deps = running.api, running.app.deps
    await api.user_sends(ENTREPRENEUR, DEMAND)
    await api.wait_text(GROUP, "新工单 #1")
    calendar = deps.sla.calendar
    # the half hour is added before the working moment is picked: never in the lunch break
    at = calendar.next_working_moment(deps.clock() + timedelta(days=10, minutes=30))
    due = await reminders.sweep(deps, at, dry_run=True)
    assert due.replies  # overdue by then

    async def sweep() -> Sequence[Reply]:
        return (await reminders.sweep(deps, at)).replies

    class Crashing(Outgoing):
        async def queue(self, uow: UnitOfWork, replies: Sequence[Reply], origin: Origin | None = None) -> int:
            raise ConnectionError("killed between the claims and the messages")

    with pytest.raises(ConnectionError):
        await Crashing(deps, running.run.runtime.outgoing.addressings).run(sweep)
    still = await reminders.sweep(deps, at, dry_run=True)
    assert [r.text for r in still.replies] == [r.text for r in due.replies]  # nothing stayed claimed
    before = len(api.sent)
    assert await running.run.runtime.outgoing.run(sweep) > 0
    await api.wait_until(lambda: len(api.sent) > before, "the nudges delivered")
    assert (await reminders.sweep(deps, at, dry_run=True)).replies == []  # claimed now, with them
