"""A chat's move to a new id (a Telegram group upgraded to a supergroup), on SQLite and PostgreSQL:
every table that keeps the id follows it, a new id already known is not given a second copy of
anything, and moving again changes nothing and audits nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.org import ChatMove
from bot.domain.outbox import DeliveryStatus, MessageKind, OutboxMessage
from bot.domain.policies import MemberGroup
from storage.protocols import UnitOfWorkFactory

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def notice(chat: str, policy: int) -> OutboxMessage:
    return OutboxMessage(
        kind=MessageKind.NOTICE, channel="telegram", chat_id=chat, text="通知", policy_id=policy
    )


async def test_a_moved_chat_is_followed_everywhere_once(storage: UnitOfWorkFactory) -> None:
    async with storage() as uow:
        await uow.audience.sync_groups(
            [
                MemberGroup("north", "北片", "telegram", "-100"),
                MemberGroup("south", "南片", "telegram", "-200"),
                MemberGroup("east", "东片", "telegram", "-300"),  # -200's new id: already a group
                MemberGroup("wecom", "企微群", "wecom", "-100"),  # another channel's id: not moved
            ]
        )
        await uow.outbox.enqueue([notice("-100", 1), notice("-200", 1), notice("-300", 1)], NOW)
        await uow.outbox.enqueue([notice("-200", 2)], NOW)
        await uow.sent.record("telegram", "-100", "17", 4, is_post=True)
        await uow.commit()
    async with storage() as uow:
        north = await uow.chats.move("telegram", "-100", "-101", "platform", NOW)
        south = await uow.chats.move("telegram", "-200", "-300", "platform", NOW)
        await uow.commit()
    assert north == ChatMove(groups=("north",), outbox=1, sent=1)
    assert south == ChatMove(merged=("south",), outbox=1, cancelled=1)
    async with storage() as uow:
        groups = {g.id: (g.channel, g.chat_id) for g in await uow.audience.groups()}
        first = await uow.outbox.for_policy(1, MessageKind.NOTICE)
        second = await uow.outbox.for_policy(2, MessageKind.NOTICE)
        replied = await uow.sent.ticket_for("telegram", "-101", "17")
        changes = [(c.kind, c.key, c.action) for c in await uow.org.changes() if c.actor == "platform"]
    assert groups == {"north": ("telegram", "-101"), "east": ("telegram", "-300"), "wecom": ("wecom", "-100")}
    assert [(m.chat_id, m.status) for m in first] == [
        ("-101", DeliveryStatus.PENDING),
        ("-200", DeliveryStatus.CANCELLED),  # -300 has policy 1's notice already: not twice
        ("-300", DeliveryStatus.PENDING),
    ]
    assert [(m.chat_id, m.status) for m in second] == [("-300", DeliveryStatus.PENDING)]
    assert replied == 4  # a reply quoting the post in the supergroup still finds its ticket
    assert changes == [
        ("group", "north", "change"),
        ("chat", "telegram:-100", "move"),
        ("group", "south", "deactivate"),
        ("chat", "telegram:-200", "move"),
    ]
    async with storage() as uow:  # the other signal of the same upgrade: nothing left to do
        again = await uow.chats.move("telegram", "-100", "-101", "platform", NOW)
        await uow.commit()
        assert again == ChatMove()
        assert len([c for c in await uow.org.changes() if c.actor == "platform"]) == len(changes)
