"""The send pacer: bursts pass, then sends wait; groups get their per-minute budget."""

from __future__ import annotations

import asyncio

from bot.channels.pacing import STALE_SLOT, Bucket, Pacer


def test_bucket_lets_a_burst_through_then_spaces_sends() -> None:
    bucket = Bucket(capacity=3, per_second=1.0)
    assert [bucket.delay(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.delay(0.0) == 1.0  # the fourth waits a second
    assert bucket.delay(10.0) == 0.0  # refilled after a pause


async def test_a_busy_group_waits_its_per_minute_budget() -> None:
    now = [0.0]
    pacer = Pacer(per_chat=(100, 100.0), per_group=(20, 20 / 60), clock=lambda: now[0])
    waits = []
    for _ in range(21):
        waits.append(pacer._bucket(("group", -1), pacer.per_group).delay(now[0]))
    assert waits[:20] == [0.0] * 20
    assert round(waits[20], 2) == 3.0  # the 21st message in a minute waits for the budget
    assert await pacer.wait(5, is_group=False) == 0.0  # a private chat is not slowed by the group


def test_a_chat_told_to_wait_holds_its_next_sends_that_long() -> None:
    now = [100.0]
    pacer = Pacer(per_chat=(3, 1.0), clock=lambda: now[0])
    pacer.hold(5, 7.0)
    assert pacer._bucket(5, pacer.per_chat).delay(now[0]) >= 7.0
    assert pacer._bucket(6, pacer.per_chat).delay(now[0]) == 0.0  # other chats are not held
    now[0] += 30
    assert pacer._bucket(5, pacer.per_chat).delay(now[0]) == 0.0  # and the hold ends


def test_sends_queued_behind_a_burst_keep_waiting_their_turn() -> None:
    bucket = Bucket(capacity=2, per_second=1.0)
    assert [bucket.delay(0.0) for _ in range(5)] == [0.0, 0.0, 1.0, 2.0, 3.0]


def test_processes_sending_for_one_bot_share_its_overall_limit() -> None:
    """`channels.telegram.senders: 3`: each of three processes keeps to a third of 30 a second,
    so together they stay within the bot's limit; a chat's and a group's own buckets stay whole."""
    shared = Pacer.shared_by(3)
    assert shared.overall == (10.0, 10.0)
    assert (shared.per_chat, shared.per_group) == (Pacer().per_chat, Pacer().per_group)
    now = [0.0]
    shared.clock = lambda: now[0]
    waits = [shared._bucket("all", shared.overall).delay(now[0]) for _ in range(11)]
    assert waits[:10] == [0.0] * 10
    assert round(waits[10], 2) == 0.1  # the eleventh in a second waits for this process's share
    assert Pacer.shared_by(1).overall == Pacer().overall


async def test_a_shared_overall_limit_replaces_the_processs_own_bucket() -> None:
    """`shared_overall` (several processes, the database handing out the bot's slots): the pacer
    takes one slot per send, and the next send's while this one goes, and waits as long as the slot
    says, with no overall bucket of its own; the chat's bucket still applies, and `ready_in` (which
    takes no turn) does not ask it."""
    asked: list[float] = []
    answers = iter([0.0, 0.0, 0.25, 0.0])

    async def take() -> float:
        asked.append(1.0)
        return next(answers)

    now = [0.0]
    pacer = Pacer(per_chat=(1, 1.0), overall=(1, 1.0), clock=lambda: now[0], shared_overall=take)
    assert await pacer.wait(1, is_group=False) == 0.0
    assert await pacer.wait(2, is_group=False) == 0.0  # a local overall bucket of 1 would have waited
    assert await pacer.wait(3, is_group=False) == 0.25  # the slot the others left is 0.25 s away
    await asyncio.sleep(0)
    assert len(asked) == 4  # one a send, and the next send's taken ahead
    assert pacer.ready_in(1, is_group=False) == 1.0  # chat 1's own bucket: a second
    assert pacer.ready_in(4, is_group=False) == 0.0
    assert len(asked) == 4


async def test_a_slot_taken_ahead_and_left_unused_while_the_bot_was_quiet_is_not_used() -> None:
    """After a pause the shared limit has its burst back: the old slot on top of it would be one
    send too many, so a fresh one is taken (and the next send's ahead, as always)."""
    asked: list[float] = []

    async def take() -> float:
        asked.append(now[0])
        return 0.0

    now = [0.0]
    pacer = Pacer(clock=lambda: now[0], shared_overall=take)
    await pacer.wait(1, is_group=False)
    await asyncio.sleep(0)
    assert asked == [0.0, 0.0]  # this send's slot, and the next one's
    now[0] += STALE_SLOT / 2
    await pacer.wait(2, is_group=False)  # the slot taken ahead is used
    await asyncio.sleep(0)
    assert asked == [0.0, 0.0, now[0]]
    now[0] += STALE_SLOT * 2
    await pacer.wait(3, is_group=False)  # that one is stale: a fresh one for this send
    await asyncio.sleep(0)
    assert asked == [0.0, 0.0, STALE_SLOT / 2, now[0], now[0]]


async def test_a_slot_that_could_not_be_taken_ahead_is_taken_again_when_wanted() -> None:
    """The database failed while the next slot was taken in the background: the send that wants it
    takes one then (a failure then reaches the outbox sender, which tries its round again)."""
    results: list[float | None] = [0.0, None, 0.0, 0.0]

    async def take() -> float:
        result = results.pop(0)
        if result is None:
            raise ConnectionError("the database went away")
        return result

    pacer = Pacer(shared_overall=take)
    assert await pacer.wait(1, is_group=False) == 0.0
    await asyncio.sleep(0)  # the slot taken ahead failed, and nobody is told yet
    assert await pacer.wait(2, is_group=False) == 0.0
    await asyncio.sleep(0)
    assert results == []
