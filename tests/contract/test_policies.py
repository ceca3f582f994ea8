"""The policy storage contract (registry, audience, outbox, responses) on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, timedelta

from bot.domain.messages import Button
from bot.domain.outbox import DeliveryStatus, MessageKind, OutboxMessage
from bot.domain.policies import (
    DraftStep,
    MemberGroup,
    Policy,
    PolicyResponse,
    PolicyStatus,
    ResponseKind,
    Tags,
)
from storage.protocols import UnitOfWorkFactory
from tests import builders
from tests.conftest import NOW


def policy(**kw: object) -> Policy:
    base = Policy(
        id=None,
        title="专精特新企业奖励",
        body="**对象**：专精特新企业\n\n奖励 50 万元。",
        department_id="industry_it",
        created_by="zheng_yu",
        created_at=NOW,
        eligibility=Tags.of({"size_class": ["规上"], "qualifications": ["专精特新", "high_tech"]}),
        effective_from=date(2026, 11, 1),
        deadline=date(2026, 12, 31),
        links=("https://example.gov.cn/p/1",),
        how_to_apply="点击“我要申报”。",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def notice(chat: str, policy_id: int = 1, kind: MessageKind = MessageKind.NOTICE) -> OutboxMessage:
    return OutboxMessage(
        kind=kind,
        channel="telegram",
        chat_id=chat,
        text=f"通知 {chat}",
        buttons=(Button("确认收到", f"pol:ack:{policy_id}"),),
        policy_id=policy_id,
    )


async def test_policies_read_back_unchanged_and_move_once(storage: UnitOfWorkFactory) -> None:
    async with storage() as uow:
        draft = await uow.policies.add(policy(draft_step=DraftStep.BODY))
        other = await uow.policies.add(policy(title="second", created_by="lin_hui"))
        await uow.commit()
    assert draft.id is not None
    assert other.id is not None
    async with storage() as uow:
        assert await uow.policies.get(draft.id) == draft
        assert await uow.policies.draft_of("zheng_yu") == draft
        assert await uow.policies.draft_of("lin_hui") is None  # a draft with no step is no chat draft
        await uow.policies.save(replace(draft, body="new body", draft_step=DraftStep.TAGS))
        await uow.commit()
    published = replace(draft, body="new body", status=PolicyStatus.PUBLISHED, published_at=NOW)
    async with storage() as uow:
        assert await uow.policies.move(published, PolicyStatus.DRAFT)
        await uow.commit()
    async with storage() as uow:
        assert not await uow.policies.move(published, PolicyStatus.DRAFT)  # pressed twice
        assert [p.id for p in await uow.policies.listing()] == [other.id, draft.id]
        assert [p.id for p in await uow.policies.listing(PolicyStatus.PUBLISHED)] == [draft.id]
        stored = await uow.policies.get(draft.id)
    assert stored is not None
    assert stored.body == "new body"
    assert stored.status is PolicyStatus.PUBLISHED


async def test_concurrent_moves_of_one_policy_let_one_win(storage: UnitOfWorkFactory) -> None:
    async with storage() as uow:
        draft = await uow.policies.add(policy())
        await uow.commit()

    async def publish() -> bool:
        async with storage() as uow:
            moved = await uow.policies.move(replace(draft, status=PolicyStatus.PUBLISHED), PolicyStatus.DRAFT)
            await asyncio.sleep(0)
            await uow.commit()
        return moved

    assert sorted(await asyncio.gather(publish(), publish())) == [False, True]


async def test_groups_are_mirrored_and_bound_contacts_listed(storage: UnitOfWorkFactory) -> None:
    huli = MemberGroup("huli", "湖里区企业群", "telegram", "-100200", tags=Tags.of({"district": ["湖里区"]}))
    tech = MemberGroup("tech", "Tech", "telegram", "-100300", lang="en")
    async with storage() as uow:
        await uow.audience.sync_groups([huli, tech])
        await uow.enterprises.add(builders.enterprise("acme"))
        await uow.contacts.add(builders.contact("acme", external_id="501", channel="telegram"))
        await uow.contacts.add(builders.contact("acme", external_id="acme-console"))
        await uow.contacts.add(builders.contact(None, external_id="502", channel="telegram"))
        await uow.commit()
    async with storage() as uow:
        assert await uow.audience.groups() == [huli, tech]
        contacts = await uow.audience.bound_contacts(["telegram"])
        await uow.audience.sync_groups([tech])
        await uow.commit()
    assert [(c.external_id, c.enterprise_id) for c in contacts] == [("501", "acme")]
    async with storage() as uow:
        assert await uow.audience.groups() == [tech]


async def test_a_recipient_is_enqueued_once_per_kind(storage: UnitOfWorkFactory) -> None:
    async with storage() as uow:
        assert await uow.outbox.enqueue([notice("1"), notice("2"), notice("2")], NOW) == 2
        await uow.commit()
    async with storage() as uow:
        added = await uow.outbox.enqueue(
            [notice("2"), notice("3"), notice("2", kind=MessageKind.REMINDER)], NOW
        )
        await uow.commit()
    assert added == 2
    async with storage() as uow:
        notices = await uow.outbox.for_policy(1, MessageKind.NOTICE)
        assert await uow.outbox.counts(1, MessageKind.NOTICE) == {DeliveryStatus.PENDING: 3}
    assert [m.chat_id for m in notices] == ["1", "2", "3"]
    assert notices[0].buttons == (Button("确认收到", "pol:ack:1"),)
    assert notices[0].next_attempt_at == NOW


async def test_claims_take_due_messages_oldest_first_and_never_twice(storage: UnitOfWorkFactory) -> None:
    async with storage() as uow:
        await uow.outbox.enqueue([notice(str(i)) for i in range(8)], NOW)
        await uow.outbox.enqueue([replace(notice("wecom-1"), channel="wecom")], NOW)
        await uow.commit()
    async with storage() as uow:
        first = await uow.outbox.claim("a", ["telegram"], NOW, 3)
        await uow.commit()
    assert [m.chat_id for m in first] == ["0", "1", "2"]
    assert {(m.status, m.claimed_by) for m in first} == {(DeliveryStatus.SENDING, "a")}
    async with storage() as uow:
        assert await uow.outbox.claim("b", ["telegram"], NOW - timedelta(seconds=1), 10) == []  # none due

    async def claim(sender: str) -> list[str]:
        async with storage() as uow:
            claimed = await uow.outbox.claim(sender, ["telegram"], NOW, 3)
            await asyncio.sleep(0)
            await uow.commit()
        return [m.chat_id for m in claimed]

    b, c = await asyncio.gather(claim("b"), claim("c"))
    assert not set(b) & set(c)
    assert sorted([len(b), len(c)]) == [2, 3]  # the second to claim takes what the first left
    async with storage() as uow:
        rest = await uow.outbox.claim("d", ["telegram"], NOW, 10)
        await uow.commit()
    chats = [m.chat_id for m in first] + b + c + [m.chat_id for m in rest]
    assert sorted(chats) == [str(i) for i in range(8)]  # each once, the WeCom one left for its sender


async def test_an_attempt_ends_sent_retried_or_given_up_by_its_sender_only(
    storage: UnitOfWorkFactory,
) -> None:
    async with storage() as uow:
        await uow.outbox.enqueue([notice("1"), notice("2"), notice("3")], NOW)
        await uow.commit()
    async with storage() as uow:
        one, two, three = await uow.outbox.claim("a", ["telegram"], NOW, 3)
        await uow.commit()
    assert one.id is not None
    assert two.id is not None
    assert three.id is not None
    later = NOW + timedelta(seconds=30)
    async with storage() as uow:
        assert not await uow.outbox.begin_attempt(one.id, "b", NOW)  # not b's to send
        assert await uow.outbox.begin_attempt(one.id, "a", NOW)
        assert not await uow.outbox.mark_sent(one.id, "b", "m1", NOW)
        assert await uow.outbox.mark_sent(one.id, "a", "m1", NOW)
        assert not await uow.outbox.mark_sent(one.id, "a", "m1", NOW)  # once
        assert await uow.outbox.retry_later(two.id, "a", later, "network down", attempted=True, in_doubt=True)
        assert await uow.outbox.give_up(three.id, "a", DeliveryStatus.BLOCKED, "bot was blocked", NOW)
        await uow.commit()
    async with storage() as uow:
        stored = {m.chat_id: m for m in await uow.outbox.for_policy(1, MessageKind.NOTICE)}
        assert await uow.outbox.next_due(["telegram"], NOW) == later
        assert await uow.outbox.claim("a", ["telegram"], NOW, 10) == []  # the retry is not due yet
    assert (stored["1"].status, stored["1"].message_id, stored["1"].attempts) == (
        DeliveryStatus.SENT,
        "m1",
        1,
    )
    assert stored["1"].sent_at == NOW
    assert (stored["2"].status, stored["2"].attempts, stored["2"].claimed_by) == (
        DeliveryStatus.PENDING,
        1,
        None,
    )
    assert stored["2"].last_error == "network down"
    assert stored["2"].in_doubt  # the request may have gone through before the network failed
    assert not stored["1"].in_doubt
    assert stored["3"].status is DeliveryStatus.BLOCKED


async def test_cancel_stops_what_was_not_handed_to_the_platform(storage: UnitOfWorkFactory) -> None:
    async with storage() as uow:
        await uow.outbox.enqueue([notice(str(i)) for i in range(5)], NOW)
        await uow.commit()
    async with storage() as uow:
        sent, calling, claimed = await uow.outbox.claim("a", ["telegram"], NOW, 3)
        assert sent.id is not None
        assert calling.id is not None
        assert await uow.outbox.begin_attempt(sent.id, "a", NOW)
        assert await uow.outbox.mark_sent(sent.id, "a", "m", NOW)
        assert await uow.outbox.begin_attempt(calling.id, "a", NOW)
        # the delivery report (claimed before notices, as every answer is) is queued after the claim
        await uow.outbox.enqueue([notice("officer", kind=MessageKind.REPORT)], NOW)
        await uow.commit()
    async with storage() as uow:
        assert await uow.outbox.cancel(1) == 3  # the claimed one and two pending
        await uow.commit()
    async with storage() as uow:
        statuses = {m.chat_id: m.status for m in await uow.outbox.for_policy(1, MessageKind.NOTICE)}
        report = await uow.outbox.for_policy(1, MessageKind.REPORT)
        assert claimed.id is not None
        assert not await uow.outbox.begin_attempt(claimed.id, "a", NOW)  # the sender skips it
    assert statuses == {
        "0": DeliveryStatus.SENT,
        "1": DeliveryStatus.SENDING,  # already on its way: it cannot be called back
        "2": DeliveryStatus.CANCELLED,
        "3": DeliveryStatus.CANCELLED,
        "4": DeliveryStatus.CANCELLED,
    }
    assert report[0].status is DeliveryStatus.PENDING


async def test_messages_of_a_dead_sender_are_taken_back(storage: UnitOfWorkFactory) -> None:
    async with storage() as uow:
        await uow.outbox.heartbeat("dead", "host", 11, NOW - timedelta(minutes=5))
        await uow.outbox.heartbeat("alive", "host", 12, NOW)
        await uow.outbox.enqueue([notice(str(i)) for i in range(5)], NOW)
        await uow.commit()
    async with storage() as uow:
        claimed_dead = await uow.outbox.claim("dead", ["telegram"], NOW, 2)
        claimed_alive = await uow.outbox.claim("alive", ["telegram"], NOW, 2)
        claimed_unknown = await uow.outbox.claim("never-registered", ["telegram"], NOW, 1)
        assert claimed_dead[0].id is not None
        assert await uow.outbox.begin_attempt(claimed_dead[0].id, "dead", NOW)
        await uow.commit()
    async with storage() as uow:
        assert await uow.outbox.release_abandoned(NOW - timedelta(seconds=30)) == (2, 1)
        senders = [s.id for s in await uow.outbox.senders()]
        await uow.outbox.forget_sender("dead")
        await uow.commit()
    assert senders == ["alive", "dead"]
    async with storage() as uow:
        stored = {m.chat_id: m for m in await uow.outbox.for_policy(1, MessageKind.NOTICE)}
        assert [s.id for s in await uow.outbox.senders()] == ["alive"]
    doubtful = stored[claimed_dead[0].chat_id]
    assert (doubtful.status, doubtful.in_doubt, doubtful.attempts) == (DeliveryStatus.PENDING, True, 1)
    clean = stored[claimed_dead[1].chat_id]
    assert (clean.status, clean.in_doubt, clean.attempts) == (DeliveryStatus.PENDING, False, 0)
    assert stored[claimed_unknown[0].chat_id].status is DeliveryStatus.PENDING
    assert {stored[m.chat_id].status for m in claimed_alive} == {DeliveryStatus.SENDING}


async def test_responses_are_kept_once_and_questions_wait_for_their_text(storage: UnitOfWorkFactory) -> None:
    ack = PolicyResponse(1, ResponseKind.ACK, "contact:3", 3, "acme", NOW)
    ask = PolicyResponse(1, ResponseKind.ASK, "contact:3:a", 3, "acme", NOW + timedelta(minutes=1))
    async with storage() as uow:
        assert await uow.policy_responses.record(ack)
        assert not await uow.policy_responses.record(replace(ack, at=NOW + timedelta(hours=1)))
        assert await uow.policy_responses.record(ask)
        await uow.commit()
    async with storage() as uow:
        assert not await uow.policy_responses.record(ack)
        assert await uow.policy_responses.open_question(3, NOW) == ask
        assert await uow.policy_responses.open_question(3, NOW + timedelta(hours=1)) is None
        assert await uow.policy_responses.open_question(4, NOW) is None
        await uow.policy_responses.link_ticket(1, ResponseKind.ASK, "contact:3:a", 9)
        await uow.commit()
    async with storage() as uow:
        assert await uow.policy_responses.open_question(3, NOW) is None
        assert await uow.policy_responses.for_policy(1) == [ack, replace(ask, ticket_number=9)]
        assert await uow.policy_responses.get(1, ResponseKind.ACK, "contact:3") == ack


async def test_a_bots_send_slots_are_handed_out_one_interval_apart(storage: UnitOfWorkFactory) -> None:
    """storage/send_slots_sql.py: whoever takes the next slot moves it on one interval; a bot idle
    for a while starts again from now (no banked sends); each bot its own."""
    async with storage() as uow:
        assert await uow.send_slots.take("telegram:1", 1000.0, 0.5) == 1000.5
        assert await uow.send_slots.take("telegram:1", 1000.1, 0.5) == 1001.0
        assert await uow.send_slots.take("telegram:2", 1000.1, 0.5) == 1000.6
        await uow.commit()
    async with storage() as uow:
        assert await uow.send_slots.take("telegram:1", 1000.2, 0.5) == 1001.5
        assert await uow.send_slots.take("telegram:1", 5000.0, 0.5) == 5000.5
        await uow.commit()


async def test_a_slot_within_its_tolerance_is_taken_and_one_beyond_is_not(
    storage: UnitOfWorkFactory,
) -> None:
    """The API's per-key rate (bot.api.ratelimit): two a minute, a burst of two. A refused call
    takes nothing, so waiting the seconds it was told is enough."""
    async with storage() as uow:

        async def waits(name: str, now: float) -> float:
            return await uow.send_slots.take_within(name, now, 30.0, 30.0)

        assert [await waits("api:k", 1000.0) for _ in range(3)] == [0.0, 0.0, 30.0]
        assert await waits("api:k", 1010.0) == 20.0
        assert await waits("api:other", 1010.0) == 0.0
        assert [await waits("api:k", 1030.0) for _ in range(2)] == [0.0, 30.0]
        # idle for an hour: the burst again, no more
        assert [await waits("api:k", 5000.0) for _ in range(3)] == [0.0, 0.0, 30.0]
        await uow.commit()
