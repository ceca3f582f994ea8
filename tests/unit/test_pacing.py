"""The send pacer: bursts pass, then sends wait; groups get their per-minute budget."""

from __future__ import annotations

from bot.channels.pacing import Bucket, Pacer


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
    asks it once per send and waits as long as it says, with no overall bucket of its own; the
    chat's bucket still applies, and `ready_in` (which takes no turn) does not ask it."""
    asked: list[float] = []
    answers = iter([0.0, 0.0, 0.25])

    async def take() -> float:
        asked.append(1.0)
        return next(answers)

    now = [0.0]
    pacer = Pacer(per_chat=(1, 1.0), overall=(1, 1.0), clock=lambda: now[0], shared_overall=take)
    assert await pacer.wait(1, is_group=False) == 0.0
    assert await pacer.wait(2, is_group=False) == 0.0  # a local overall bucket of 1 would have waited
    assert await pacer.wait(3, is_group=False) == 0.25  # the slot the others left is 0.25 s away
    assert len(asked) == 3
    assert pacer.ready_in(1, is_group=False) == 1.0  # chat 1's own bucket: a second
    assert pacer.ready_in(4, is_group=False) == 0.0
    assert len(asked) == 3
