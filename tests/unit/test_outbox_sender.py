"""The outbox sender's decisions, one round at a time, against a recording transport."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.config import Settings
from bot.domain.outbox import MAX_ATTEMPTS, DeliveryStatus, MessageKind, OutboxMessage
from bot.domain.policies import Policy, PolicyStatus
from bot.outbox import Outcome, Refused, RetryAfter, Sent, Transient
from handlers.policy_status import policy_report
from storage.protocols import UnitOfWork, UnitOfWorkFactory
from tests.conftest import Clock
from tests.policy_world import RecordingTransport, outbox, policy_world, sender
from tests.world import World


async def queue(w: World, *chats: str) -> None:
    """Policy P1, published, with a notice queued for each chat."""
    async with w.storage() as uow:
        await uow.policies.add(
            Policy(None, "奖励", "正文", "industry_it", "cli", w.deps.clock(), status=PolicyStatus.PUBLISHED)
        )
        await uow.outbox.enqueue(
            [
                OutboxMessage(
                    kind=MessageKind.NOTICE,
                    channel="console",
                    chat_id=chat,
                    text=f"to {chat}",
                    policy_id=1,
                    enterprise_id=chat.removeprefix("enterprise:"),
                )
                for chat in chats
            ],
            w.deps.clock(),
        )
        await uow.commit()


async def test_a_429_waits_as_long_as_asked_and_is_not_an_attempt(settings: Settings, clock: Clock) -> None:
    w = await policy_world(settings, clock)
    await queue(w, "enterprise:xinyuan")
    answers: list[Outcome] = [RetryAfter(3), Sent("m1")]
    transport = RecordingTransport(answer=lambda _: answers.pop(0))
    s = sender(w, transport)
    await s.beat()
    await s.step()
    assert await outbox(w, 1) == {"enterprise:xinyuan": DeliveryStatus.PENDING}
    clock.now += timedelta(seconds=2)
    assert await s.step() == 0  # not due yet
    clock.now += timedelta(seconds=1)
    await s.step()
    async with w.storage() as uow:
        (message,) = await uow.outbox.for_policy(1, MessageKind.NOTICE)
    assert (message.status, message.message_id, message.attempts) == (DeliveryStatus.SENT, "m1", 1)
    assert len(transport.given) == 2


async def test_transient_failures_back_off_then_give_up(settings: Settings, clock: Clock) -> None:
    w = await policy_world(settings, clock)
    await queue(w, "enterprise:xinyuan")
    transport = RecordingTransport(answer=lambda _: Transient("502 Bad Gateway", maybe_delivered=True))
    s = sender(w, transport)
    s.backoff = lambda n: timedelta(seconds=n)
    await s.beat()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert await s.step() == 1
        clock.now += timedelta(seconds=attempt)
    async with w.storage() as uow:
        (message,) = await uow.outbox.for_policy(1, MessageKind.NOTICE)
    assert (message.status, message.attempts, message.last_error) == (
        DeliveryStatus.FAILED,
        MAX_ATTEMPTS,
        "502 Bad Gateway",
    )
    assert message.in_doubt  # a 502 may come after Telegram took the message
    assert len(transport.given) == MAX_ATTEMPTS


async def test_blocked_and_missing_chats_are_recorded_for_good(settings: Settings, clock: Clock) -> None:
    w = await policy_world(settings, clock)
    await queue(w, "enterprise:xinyuan", "enterprise:haiyue")
    transport = RecordingTransport(
        answer=lambda m: (
            Refused(DeliveryStatus.BLOCKED, "Forbidden: bot was blocked by the user")
            if m.chat_id == "enterprise:xinyuan"
            else Refused(DeliveryStatus.FAILED, "Bad Request: chat not found")
        )
    )
    s = sender(w, transport)
    await s.beat()
    await s.step()
    assert await outbox(w, 1) == {
        "enterprise:xinyuan": DeliveryStatus.BLOCKED,
        "enterprise:haiyue": DeliveryStatus.FAILED,
    }
    assert (s.stats.blocked, s.stats.failed) == (1, 1)
    async with w.storage() as uow:
        contact = await uow.contacts.by_identity("console", "enterprise:xinyuan")
    assert contact is not None
    assert contact.unreachable_since == clock()  # officers are warned when they write to it


async def test_a_busy_chat_waits_in_the_queue_not_in_the_sender(settings: Settings, clock: Clock) -> None:
    w = await policy_world(settings, clock)
    await queue(w, "enterprise:xinyuan", "enterprise:haiyue")
    transport = RecordingTransport(waits={"enterprise:xinyuan": 40.0})
    s = sender(w, transport)
    await s.beat()
    await s.step()
    assert [m.chat_id for m in transport.given] == ["enterprise:haiyue"]  # not held up
    assert s.stats.deferred == 1
    transport.waits.clear()
    clock.now += timedelta(seconds=40)
    await s.step()
    assert [m.chat_id for m in transport.given] == ["enterprise:haiyue", "enterprise:xinyuan"]


async def test_a_dead_senders_messages_go_again_and_the_unfinished_call_is_marked(
    settings: Settings, clock: Clock
) -> None:
    w = await policy_world(settings, clock)
    await queue(w, "enterprise:xinyuan", "enterprise:haiyue", "enterprise:lanjing")
    transport = RecordingTransport()
    dead = sender(w, transport)
    dead.pid = 2**22 + 12345  # beyond pid_max: no such process on this host
    await dead.beat()
    async with w.storage() as uow:
        claimed = await uow.outbox.claim(dead.id, ["console"], clock(), 2)
        await uow.outbox.begin_attempt(claimed[0].id or 0, dead.id, clock())  # died during this call
        await uow.commit()
    alive = sender(w, transport)
    await alive.beat()
    assert await alive.take_back() == (1, 1)  # at once: its process is gone, no lease to wait out
    while await alive.step():
        pass
    assert sorted(m.chat_id for m in transport.given) == [
        "enterprise:haiyue",
        "enterprise:lanjing",
        "enterprise:xinyuan",
    ]
    report = await policy_report(w.deps, 1)
    assert report.notices == {DeliveryStatus.SENT: 3}
    assert report.in_doubt == 1  # the one that may have arrived twice is named in the report


async def test_a_silent_sender_elsewhere_is_taken_for_dead_after_the_lease(
    settings: Settings, clock: Clock
) -> None:
    w = await policy_world(settings, clock)
    await queue(w, "enterprise:xinyuan")
    transport = RecordingTransport()
    other = sender(w, transport)
    other.host = "another-host"
    await other.beat()
    async with w.storage() as uow:
        await uow.outbox.claim(other.id, ["console"], clock(), 1)
        await uow.commit()
    alive = sender(w, transport)
    await alive.beat()
    assert await alive.take_back() == (0, 0)  # it may be alive over there
    clock.now += timedelta(seconds=alive.lease_seconds + 1)
    await alive.beat()
    assert await alive.take_back() == (1, 0)
    await alive.step()
    assert [m.chat_id for m in transport.given] == ["enterprise:xinyuan"]


async def test_a_message_withdrawn_after_its_claim_is_not_sent(settings: Settings, clock: Clock) -> None:
    w = await policy_world(settings, clock)
    await queue(w, "enterprise:xinyuan")
    transport = RecordingTransport()
    s = sender(w, transport)
    await s.beat()
    async with w.storage() as uow:
        (message,) = await uow.outbox.claim(s.id, ["console"], clock(), 1)
        await uow.outbox.cancel(1)
        await uow.commit()
    await s._deliver(message)
    assert transport.given == []
    assert await outbox(w, 1) == {"enterprise:xinyuan": DeliveryStatus.CANCELLED}


class StorageGoingAway:
    """The world's storage, except that the units of work numbered in `failing` (counted from 1)
    cannot be opened: the database went away then."""

    def __init__(self, real: UnitOfWorkFactory, failing: set[int]) -> None:
        self.real = real
        self.failing = failing
        self.opened = 0

    def __call__(self) -> UnitOfWork:
        self.opened += 1
        if self.opened in self.failing:
            raise ConnectionError("the database went away")
        return self.real()


async def test_a_round_cut_short_by_the_database_repeats_and_strands_nothing(
    settings: Settings, clock: Clock
) -> None:
    """The first message is delivered, then the database goes away before its outcome is written
    (with the second's attempt) and after: the outcome is kept and written once the database is
    back, the second message, claimed by this live sender, is released and sent; nothing twice."""
    w = await policy_world(settings, clock)
    await queue(w, "enterprise:xinyuan", "enterprise:haiyue")
    transport = RecordingTransport()
    s = sender(w, transport)
    await s.beat()
    # opened by the round: 1 the claim, 2 the first attempt, 3 the second attempt, 4 the last write
    storage = StorageGoingAway(w.deps.storage, failing={3, 4})
    s.deps = replace(s.deps, storage=storage)
    with pytest.raises(ConnectionError):
        await s.step()
    assert [m.chat_id for m in transport.given] == ["enterprise:xinyuan"]
    await s._after_failed_round()  # what run() does after a failed round, the database back
    assert await s.step() == 1
    assert [m.chat_id for m in transport.given] == ["enterprise:xinyuan", "enterprise:haiyue"]
    async with w.storage() as uow:
        stored = {m.chat_id: m for m in await uow.outbox.for_policy(1, MessageKind.NOTICE)}
    assert {chat: (m.status, m.attempts, m.in_doubt) for chat, m in stored.items()} == {
        "enterprise:xinyuan": (DeliveryStatus.SENT, 1, False),
        "enterprise:haiyue": (DeliveryStatus.SENT, 1, False),
    }


async def test_a_rounds_answers_are_written_together_and_one_taken_back_meanwhile_stays_the_takers(
    settings: Settings, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """Answers go side by side and their outcomes are written together, with the next claim: one
    taken back from this sender while it was being sent (it looked dead) stays the taker's."""
    w = await policy_world(settings, clock)
    async with w.storage() as uow:
        await uow.outbox.add(
            [
                # policy 7 only so that for_policy, the outbox's one listing, reads them back
                OutboxMessage(
                    kind=MessageKind.REPLY, channel="console", chat_id=chat, text=f"to {chat}", policy_id=7
                )
                for chat in ("a", "b", "c")
            ],
            clock(),
        )
        await uow.commit()

    class TakenBackDuringItsSend(RecordingTransport):
        async def send(self, message: OutboxMessage) -> Outcome:
            if message.chat_id == "b":
                async with w.storage() as uow:  # what another sender's take_back does
                    assert await uow.outbox.retry_later(
                        message.id or 0, s.id, clock(), "taken back", attempted=True, in_doubt=True
                    )
                    await uow.commit()
            return await super().send(message)

    transport = TakenBackDuringItsSend()
    s = sender(w, transport)
    await s.beat()
    assert await s.step() == 3
    with caplog.at_level("WARNING", logger="bot.outbox"):
        await s.flush()  # the round's three outcomes, in one transaction
    async with w.storage() as uow:
        stored = {m.chat_id: m for m in await uow.outbox.for_policy(7, MessageKind.REPLY)}
    assert {chat: (m.status, m.message_id, m.claimed_by) for chat, m in stored.items()} == {
        "a": (DeliveryStatus.SENT, "m1", s.id),
        "b": (DeliveryStatus.PENDING, None, None),  # the taker's now, to be sent again, in doubt
        "c": (DeliveryStatus.SENT, "m3", s.id),
    }
    assert stored["b"].in_doubt
    assert [r.getMessage() for r in caplog.records] == [
        f"outbox message {stored['b'].id} was no longer this sender's when it was sent"
    ]
    assert s.stats.sent == 3  # counted as the platform answered
