"""The storage side of the one delivery path, on SQLite and PostgreSQL: the inbox keeps each
update once and hands a conversation's updates out oldest first; the outbox never lets a chat's
later message overtake an earlier one still on its way, and answers go before broadcasts; units
of work opened inside a shared one commit with it, or not at all."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from bot.domain.inbox import UnreadableUpdate, conversation_of
from bot.domain.messages import Attachment, Button, Capabilities, Inbound, Sender
from bot.domain.outbox import MessageKind, OutboxMessage
from storage.protocols import UnitOfWorkFactory
from storage.sql import SqlStorage
from tests import builders

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def update(chat: str, text: str, delivery: str | None) -> Inbound:
    return Inbound(
        Sender("telegram", chat, "陈总", "zh-hans"),
        chat,
        text,
        NOW,
        payload=None,
        reply_to="17",
        delivery_id=delivery,
        capabilities=Capabilities(buttons=False, quoted_replies=True),
        thread_id="5",
    )


def reply(chat: str, text: str, kind: MessageKind = MessageKind.REPLY) -> OutboxMessage:
    return OutboxMessage(kind=kind, channel="telegram", chat_id=chat, text=text)


async def test_the_inbox_keeps_each_delivery_once_and_hands_out_the_oldest(
    storage: UnitOfWorkFactory,
) -> None:
    first, second, other = update("7", "你好", "u1"), update("7", "贷款", "u2"), update("8", "招工", "u3")
    async with storage() as uow:
        assert await uow.inbox.accept(conversation_of(first), first)
        assert await uow.inbox.accept(conversation_of(second), second)
        assert await uow.inbox.accept(conversation_of(other), other)
        assert not await uow.inbox.accept(conversation_of(first), first)  # the platform sent it again
        on_wecom = update("7", "你好", "u1")
        on_wecom = replace(on_wecom, sender=replace(on_wecom.sender, channel="wecom"))
        assert await uow.inbox.accept(conversation_of(on_wecom), on_wecom)  # another channel's numbering
        await uow.commit()
    async with storage() as uow:
        assert not await uow.inbox.accept(conversation_of(first), first)  # and after the commit
    async with storage() as uow:
        assert sorted(await uow.inbox.waiting(NOW, NOW)) == ["telegram:7", "telegram:8", "wecom:7"]
        entry = await uow.inbox.next_for("telegram:7", NOW)
        assert entry is not None
        assert entry.inbound == first  # every field comes back as it went in
        await uow.inbox.done(entry.id, NOW)
        await uow.commit()
    async with storage() as uow:
        entry = await uow.inbox.next_for("telegram:7", NOW)
        assert entry is not None
        assert entry.inbound.text == "贷款"
        # a failed handling: the conversation waits behind it until its retry time
        assert await uow.inbox.failed(entry.id, "boom", NOW + timedelta(seconds=30)) == 1
        await uow.commit()
    async with storage() as uow:
        assert await uow.inbox.next_for("telegram:7", NOW) is None
        assert await uow.inbox.waiting(NOW, NOW) == ["telegram:8", "wecom:7"]
        assert await uow.inbox.next_retry() == NOW + timedelta(seconds=30)
        later = await uow.inbox.next_for("telegram:7", NOW + timedelta(seconds=31))
        assert later is not None
        assert (later.inbound.text, later.attempts) == ("贷款", 1)


async def test_a_platform_id_longer_than_the_column_is_kept_and_recognised(
    storage: UnitOfWorkFactory,
) -> None:
    """DingTalk documents no bound on a msgId: one longer than the inbox's 64 characters did not
    fit on PostgreSQL (the message lost). Two ids alike in their first 64 characters are two
    updates; the same long id again is the same update."""
    stem = "msgDkj9k2" + "x" * 70
    first, second = update("7", "你好", stem + "A"), update("7", "贷款", stem + "B")
    async with storage() as uow:
        assert await uow.inbox.accept(conversation_of(first), first)
        assert await uow.inbox.accept(conversation_of(second), second)
        await uow.commit()
    async with storage() as uow:
        assert not await uow.inbox.accept(conversation_of(first), first)
        assert not await uow.inbox.keep_handled(conversation_of(second), second, NOW)
        entry = await uow.inbox.next_for("telegram:7", NOW)
        assert entry is not None
        assert entry.inbound == first  # the id comes back whole


async def test_an_unreadable_update_is_set_aside_and_its_conversation_goes_on(
    storage: UnitOfWorkFactory,
) -> None:
    """An entry another version wrote (or damage) must not hold its conversation for ever."""
    damaged, after = update("7", "你好", "u1"), update("7", "贷款", "u2")
    async with storage() as uow:
        assert await uow.inbox.accept(conversation_of(damaged), damaged)
        assert await uow.inbox.accept(conversation_of(after), after)
        await uow.commit()
    assert isinstance(storage, SqlStorage)
    async with storage.engine.begin() as conn:  # a shape this version cannot read
        await conn.execute(text("""UPDATE inbox SET inbound = '{"sender": 1}' WHERE delivery_id = 'u1'"""))
    async with storage() as uow:
        with pytest.raises(UnreadableUpdate) as raised:
            await uow.inbox.next_for("telegram:7", NOW)
    async with storage() as uow:
        await uow.inbox.set_aside(raised.value.entry_id, raised.value.reason, NOW)
        await uow.commit()
    async with storage() as uow:
        entry = await uow.inbox.next_for("telegram:7", NOW)
        assert entry is not None
        assert entry.inbound.text == "贷款"
    async with storage.engine.connect() as conn:
        kept = (await conn.execute(text("SELECT done, last_error FROM inbox WHERE delivery_id = 'u1'"))).one()
    assert kept.done
    assert kept.last_error.startswith("unreadable: TypeError")


async def test_updates_without_a_delivery_id_are_all_kept(storage: UnitOfWorkFactory) -> None:
    async with storage() as uow:
        assert await uow.inbox.accept("console:1", update("1", "a", None))
        assert await uow.inbox.accept("console:1", update("1", "a", None))
        await uow.commit()


async def test_a_chat_gets_its_messages_in_order_whatever_happens_to_the_first(
    storage: UnitOfWorkFactory,
) -> None:
    async with storage() as uow:
        await uow.outbox.add([reply("1", "一"), reply("1", "二"), reply("2", "甲")], NOW)
        await uow.commit()
    async with storage() as uow:
        claimed = await uow.outbox.claim("a", ["telegram"], NOW, 10)
        await uow.commit()
    # one message per chat at a time: "二" waits for "一" even though both are due
    assert [m.text for m in claimed] == ["一", "甲"]
    one, other = claimed
    async with storage() as uow:
        assert await uow.outbox.retry_later(
            one.id or 0, "a", NOW + timedelta(seconds=60), "502", attempted=True
        )
        assert await uow.outbox.mark_sent(other.id or 0, "a", "m1", NOW, ("m2",))
        await uow.commit()
    async with storage() as uow:
        assert await uow.outbox.claim("b", ["telegram"], NOW + timedelta(seconds=1), 10) == []
        assert await uow.outbox.next_due(["telegram"], NOW) == NOW + timedelta(seconds=60)
        again = await uow.outbox.claim("b", ["telegram"], NOW + timedelta(seconds=61), 10)
        await uow.commit()
    assert [m.text for m in again] == ["一"]
    async with storage() as uow:
        assert await uow.outbox.mark_sent(again[0].id or 0, "b", "m3", NOW)
        assert [m.text for m in await uow.outbox.claim("b", ["telegram"], NOW, 10)] == ["二"]
        await uow.commit()


async def test_a_claim_notes_the_attempt_of_answers_only_when_asked(storage: UnitOfWorkFactory) -> None:
    """The sender sends a round's answers at once, side by side, so their attempts are noted in
    the claim (one commit a round); notices go one at a time, each attempt noted before its call."""
    async with storage() as uow:
        await uow.outbox.add(
            [reply("1", "一"), reply("2", "甲"), reply("3", "通知", MessageKind.NOTICE)], NOW
        )
        await uow.commit()
    async with storage() as uow:
        plain = await uow.outbox.claim("a", ["telegram"], NOW, 1)
        await uow.commit()
    assert [(m.text, m.attempted_at) for m in plain] == [("一", None)]
    async with storage() as uow:
        noted = await uow.outbox.claim("b", ["telegram"], NOW, 10, attempt_answers=True)
        await uow.commit()
    assert [(m.text, m.attempted_at is not None) for m in noted] == [("甲", True), ("通知", False)]


async def test_a_message_being_sent_holds_back_its_chat_only(storage: UnitOfWorkFactory) -> None:
    async with storage() as uow:
        await uow.outbox.add([reply("1", "一")], NOW)
        await uow.commit()
    async with storage() as uow:
        [first] = await uow.outbox.claim("a", ["telegram"], NOW, 10)
        await uow.outbox.add([reply("1", "二"), reply("2", "甲")], NOW)
        await uow.commit()
    async with storage() as uow:
        claimed = await uow.outbox.claim("b", ["telegram"], NOW, 10)
        await uow.commit()
    assert [m.text for m in claimed] == ["甲"]  # "二" waits until "一" has gone
    async with storage() as uow:
        assert await uow.outbox.mark_sent(first.id or 0, "a", "m1", NOW)
        await uow.commit()
    async with storage() as uow:
        assert [m.text for m in await uow.outbox.claim("b", ["telegram"], NOW, 10)] == ["二"]


async def test_answers_go_before_a_broadcast_and_carry_what_a_reply_carries(
    storage: UnitOfWorkFactory,
) -> None:
    chart = Attachment("report.png", b"\x89PNG data")
    answer = OutboxMessage(
        kind=MessageKind.REPLY,
        channel="telegram",
        chat_id="9",
        text="图表",
        buttons=(Button("签收", "cmd:take:3"),),
        ticket=3,
        post=True,
        thread_id="12",
        attachment=chart,
    )
    async with storage() as uow:
        await uow.outbox.enqueue([reply(str(n), f"通知 {n}", MessageKind.NOTICE) for n in range(20, 25)], NOW)
        await uow.outbox.add([answer], NOW)
        await uow.commit()
    async with storage() as uow:
        [first, *_] = await uow.outbox.claim("a", ["telegram"], NOW, 2)
    assert (first.text, first.ticket, first.post, first.thread_id) == ("图表", 3, True, "12")
    assert (first.buttons, first.attachment) == (answer.buttons, chart)


async def test_units_of_work_inside_a_shared_one_commit_with_it_or_not_at_all(
    storage: UnitOfWorkFactory,
) -> None:
    async with storage() as outer:
        with outer.shared():
            async with storage() as inner:
                await inner.enterprises.add(builders.enterprise("kept"))
                await inner.commit()  # left to the outer one
        await outer.commit()

    async def crash() -> None:
        async with storage() as outer:
            with outer.shared():
                async with storage() as inner:
                    await inner.enterprises.add(builders.enterprise("lost"))
                    await inner.commit()
                raise RuntimeError("crash before the outer commit")

    with pytest.raises(RuntimeError, match="crash"):
        await crash()
    async with storage() as uow:
        assert await uow.enterprises.get("kept") is not None
        assert await uow.enterprises.get("lost") is None


async def test_handled_updates_are_forgotten_after_their_time(storage: UnitOfWorkFactory) -> None:
    first, second = update("7", "你好", "u1"), update("7", "贷款", "u2")
    async with storage() as uow:
        await uow.inbox.accept("telegram:7", first)
        await uow.inbox.accept("telegram:7", second)
        entry = await uow.inbox.next_for("telegram:7", NOW)
        assert entry is not None
        await uow.inbox.done(entry.id, NOW)
        await uow.commit()
    async with storage() as uow:
        assert await uow.inbox.forget(NOW) == 0  # not before its time
        assert await uow.inbox.forget(NOW + timedelta(seconds=1)) == 1  # the waiting one stays
        await uow.commit()
    async with storage() as uow:
        waiting = await uow.inbox.next_for("telegram:7", NOW)
        assert waiting is not None
        assert waiting.inbound.text == "贷款"
