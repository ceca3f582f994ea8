"""The storage contract: SQLite and PostgreSQL keep these promises alike."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.errors import Conflict
from bot.domain.messages import Role
from bot.domain.org import Department, Directory, Officer
from bot.domain.tickets import Action, Status, TicketEvent
from storage.protocols import Duplicate, UnitOfWorkFactory
from tests import builders
from tests.conftest import NOW


async def _with_contact(storage: UnitOfWorkFactory, enterprise_id: str | None = "acme") -> int:
    async with storage() as uow:
        if enterprise_id is not None and await uow.enterprises.get(enterprise_id) is None:
            await uow.enterprises.add(builders.enterprise(enterprise_id))
        contact = await uow.contacts.add(builders.contact(enterprise_id, external_id=f"u-{enterprise_id}"))
        await uow.commit()
    assert contact.id is not None
    return contact.id


async def test_tickets_are_numbered_and_read_back_unchanged(storage: UnitOfWorkFactory) -> None:
    contact_id = await _with_contact(storage)
    async with storage() as uow:
        first = await uow.tickets.add(builders.ticket(contact_id, text="第一件：用电"))
        second = await uow.tickets.add(builders.ticket(contact_id, text="second: hiring", urgent=True))
        await uow.commit()
    assert first.number is not None
    assert second.number is not None
    assert second.number > first.number
    async with storage() as uow:
        stored = await uow.tickets.get(second.number)
    assert stored == second
    assert stored is not None
    assert stored.created_at.tzinfo is not None
    assert stored.created_at == NOW


async def test_nothing_is_visible_without_commit(storage: UnitOfWorkFactory) -> None:
    contact_id = await _with_contact(storage)
    async with storage() as uow:
        added = await uow.tickets.add(builders.ticket(contact_id))
    assert added.number is not None
    async with storage() as uow:
        assert await uow.tickets.get(added.number) is None


async def test_update_is_refused_when_someone_else_changed_the_ticket(storage: UnitOfWorkFactory) -> None:
    contact_id = await _with_contact(storage)
    async with storage() as uow:
        ticket = await uow.tickets.add(builders.ticket(contact_id))
        await uow.commit()
    assert ticket.number is not None
    async with storage() as uow:
        updated = await uow.tickets.update(
            replace(ticket, status=Status.DISPATCHED, department_id="tax_bureau")
        )
        await uow.commit()
    assert updated.version == ticket.version + 1
    async with storage() as uow:
        with pytest.raises(Conflict):
            await uow.tickets.update(replace(ticket, status=Status.CLOSED))  # fails at once
    async with storage() as uow:
        current = await uow.tickets.get(ticket.number)
    assert current is not None
    assert current.status is Status.DISPATCHED
    assert current.department_id == "tax_bureau"


async def test_lists_by_enterprise_and_contact_newest_first(storage: UnitOfWorkFactory) -> None:
    acme = await _with_contact(storage, "acme")
    other = await _with_contact(storage, "other")
    unbound = await _with_contact(storage, None)
    async with storage() as uow:
        a1 = await uow.tickets.add(builders.ticket(acme))
        await uow.tickets.add(builders.ticket(other, enterprise_id="other"))
        a2 = await uow.tickets.add(builders.ticket(acme))
        u1 = await uow.tickets.add(builders.ticket(unbound, enterprise_id=None))
        await uow.commit()
    async with storage() as uow:
        assert [t.number for t in await uow.tickets.for_enterprise("acme")] == [a2.number, a1.number]
        assert [t.number for t in await uow.tickets.for_contact(unbound)] == [u1.number]
        assert len(await uow.tickets.for_enterprise("acme", limit=1)) == 1


async def test_queue_holds_own_and_unassigned_department_tickets_urgent_first(
    storage: UnitOfWorkFactory,
) -> None:
    contact_id = await _with_contact(storage)
    async with storage() as uow:
        mine = await uow.tickets.add(
            builders.ticket(
                contact_id, status=Status.IN_PROGRESS, department_id="finance_office", assignee_id="wu_bin"
            )
        )
        unassigned_urgent = await uow.tickets.add(
            builders.ticket(contact_id, status=Status.DISPATCHED, department_id="finance_office", urgent=True)
        )
        await uow.tickets.add(  # a colleague's
            builders.ticket(
                contact_id, status=Status.IN_PROGRESS, department_id="finance_office", assignee_id="lin_hui"
            )
        )
        await uow.tickets.add(
            builders.ticket(contact_id, status=Status.DISPATCHED, department_id="tax_bureau")
        )
        await uow.tickets.add(  # closed
            builders.ticket(
                contact_id, status=Status.CLOSED, department_id="finance_office", assignee_id="wu_bin"
            )
        )
        answered = await uow.tickets.add(  # open, answered: waits for the enterprise's verdict
            builders.ticket(
                contact_id, status=Status.SURVEY, department_id="finance_office", assignee_id="wu_bin"
            )
        )
        await uow.commit()
    async with storage() as uow:
        queue = await uow.tickets.queue("wu_bin", "finance_office")
        unanswered = await uow.tickets.queue("wu_bin", "finance_office", unanswered=True)
        assert await uow.tickets.queue("wu_bin", "finance_office", limit=1) == queue[:1]
        assert await uow.tickets.queue_size("wu_bin", "finance_office") == 3
        assert await uow.tickets.queue_size("wu_bin", "finance_office", unanswered=True) == 2
        assert await uow.tickets.queue_size("lin_hui", "finance_office") == 2  # hers, the unassigned one
    assert [t.number for t in queue] == [unassigned_urgent.number, mine.number, answered.number]
    assert [t.number for t in unanswered] == [unassigned_urgent.number, mine.number]


async def test_events_are_appended_in_order(storage: UnitOfWorkFactory) -> None:
    contact_id = await _with_contact(storage)
    async with storage() as uow:
        ticket = await uow.tickets.add(builders.ticket(contact_id))
        assert ticket.number is not None
        for i, action in enumerate([Action.CREATE, Action.DISPATCH, Action.TAKE]):
            await uow.events.append(
                TicketEvent(
                    ticket_number=ticket.number,
                    at=NOW + timedelta(minutes=i),
                    actor_id="wu_bin",
                    actor_role=Role.OFFICER,
                    action=action,
                    from_status=None,
                    to_status=Status.ACCEPTED,
                    note=f"备注 {i}",
                )
            )
        await uow.commit()
    async with storage() as uow:
        events = await uow.events.for_ticket(ticket.number)
    assert [e.action for e in events] == [Action.CREATE, Action.DISPATCH, Action.TAKE]
    assert events[2].note == "备注 2"
    assert events[1].at == NOW + timedelta(minutes=1)


async def test_contacts_are_found_by_identity(storage: UnitOfWorkFactory) -> None:
    async with storage() as uow:
        await uow.enterprises.add(builders.enterprise("acme", uscc="91350206MA2Y3K8P13", tags=("high_tech",)))
        added = await uow.contacts.add(builders.contact("acme", external_id="42", channel="telegram"))
        await uow.commit()
    async with storage() as uow:
        found = await uow.contacts.by_identity("telegram", "42")
        assert found == added
        assert await uow.contacts.by_identity("console", "42") is None
        assert added.id is not None
        assert await uow.contacts.get(added.id) == added
        acme = await uow.enterprises.get("acme")
    assert acme is not None
    assert acme.tags == ("high_tech",)
    assert acme.uscc == "91350206MA2Y3K8P13"


async def test_org_bootstrap_fills_only_an_empty_database_and_every_change_is_audited(
    storage: UnitOfWorkFactory,
) -> None:
    department = Department(
        id="tax",
        name_zh="税务局",
        name_en="Tax",
        chats={"telegram": "-100", "dingtalk": "cid=="},
        topics=frozenset({"telegram"}),
    )
    officers = [
        Officer("a", "甲", "tax", Role.HEAD, identities={"telegram": "7", "wecom": "jia"}),
        Officer("b", "乙", "tax", Role.OFFICER),
    ]
    config = Directory.build([department], officers, {"other": "tax"})
    at = datetime(2026, 12, 1, tzinfo=UTC)
    async with storage() as uow:
        assert await uow.org.version() == 0
        assert await uow.org.bootstrap(config, "config", at)
        await uow.commit()
    async with storage() as uow:  # a second start (or a second process) leaves it alone
        assert not await uow.org.bootstrap(Directory.build([], [], {}), "config", at)
        [stored] = await uow.org.departments()
        assert (stored.chats, stored.topics, stored.has_officer_group) == (
            department.chats,
            department.topics,
            True,
        )
        a = await uow.org.officer("a")
        assert a is not None
        assert a.identities == {"telegram": "7", "wecom": "jia", "console": "officer:a"}
        version = await uow.org.version()
        assert version > 0
        change = await uow.org.save_officer(replace(officers[1], active=False), "admin", at)
        assert change is not None
        assert change.action == "deactivate"
        assert await uow.org.save_officer(replace(officers[1], active=False), "admin", at) is None
        await uow.commit()
    async with storage() as uow:
        assert await uow.org.active_officer_ids() == ["a"]
        assert [o.id for o in await uow.org.officers(inactive=True)] == ["a", "b"]
        assert await uow.org.version() > version
        history = await uow.org.changes("officer", "b")
        assert [(c.actor, c.action) for c in history] == [("config", "add"), ("admin", "deactivate")]
        assert history[-1].before == {"active": True}
        assert history[-1].after == {"active": False}


async def test_message_log_keeps_text_and_links_ticket(storage: UnitOfWorkFactory) -> None:
    contact_id = await _with_contact(storage)
    async with storage() as uow:
        entry = await uow.messages.record(
            received_at=NOW, channel="console", chat_id="c", sender_id="u", text="需要帮助 🙏", payload=None
        )
        ticket = await uow.tickets.add(builders.ticket(contact_id))
        assert ticket.number is not None
        await uow.messages.link_ticket(entry, ticket.number)
        await uow.commit()
    async with storage() as uow:
        second = await uow.messages.record(
            received_at=NOW, channel="console", chat_id="c", sender_id="u", text="x", payload="confirm:1"
        )
        await uow.commit()
    assert second > entry
    async with storage() as uow:
        kept = await uow.messages.get(entry)
        assert kept is not None
        assert (kept.text, kept.sender_id, kept.ticket_number) == ("需要帮助 🙏", "u", ticket.number)
        assert await uow.messages.get(second + 100) is None


async def test_writes_after_commit_need_their_own_commit(storage: UnitOfWorkFactory) -> None:
    contact_id = await _with_contact(storage)
    async with storage() as uow:
        kept = await uow.tickets.add(builders.ticket(contact_id))
        await uow.commit()
        dropped = await uow.tickets.add(builders.ticket(contact_id))
    assert kept.number is not None
    assert dropped.number is not None
    async with storage() as uow:
        assert await uow.tickets.get(kept.number) is not None
        assert await uow.tickets.get(dropped.number) is None


async def test_overlapping_units_of_work_keep_each_others_writes(storage: UnitOfWorkFactory) -> None:
    """Two tasks writing at once (on SQLite they take turns for the single writer)."""
    contact_id = await _with_contact(storage)

    async def write(text: str) -> int | None:
        async with storage() as uow:
            ticket = await uow.tickets.add(builders.ticket(contact_id, text=text))
            await asyncio.sleep(0)  # let the other task run inside its own unit of work
            await uow.commit()
        return ticket.number

    a, b = await asyncio.gather(write("from A"), write("from B"))
    assert a != b
    async with storage() as uow:
        texts = sorted(t.text for t in await uow.tickets.for_contact(contact_id))
    assert texts == ["from A", "from B"]


async def test_concurrent_updates_of_one_ticket_let_one_win(storage: UnitOfWorkFactory) -> None:
    contact_id = await _with_contact(storage)
    async with storage() as uow:
        ticket = await uow.tickets.add(builders.ticket(contact_id))
        await uow.commit()
    async with storage() as uow:
        await uow.tickets.update(replace(ticket, status=Status.DISPATCHED))
        await uow.commit()
    async with storage() as uow:
        with pytest.raises(Conflict):
            await uow.tickets.update(replace(ticket, status=Status.CLOSED))  # fails at once


async def test_duplicates_are_refused(storage: UnitOfWorkFactory) -> None:
    async with storage() as uow:
        await uow.enterprises.add(builders.enterprise("acme"))
        await uow.contacts.add(builders.contact("acme", external_id="7"))
        await uow.commit()
    async with storage() as uow:
        with pytest.raises(Duplicate):
            await uow.enterprises.add(builders.enterprise("acme"))
    async with storage() as uow:
        with pytest.raises(Duplicate):
            await uow.contacts.add(builders.contact("acme", external_id="7"))
        # refused without a failed statement: the transaction goes on (PostgreSQL would end it)
        other = await uow.contacts.add(builders.contact("acme", external_id="8"))
        await uow.commit()
    async with storage() as uow:
        assert await uow.contacts.by_identity("console", "8") == other


async def test_stale_recent_and_cluster_queries(storage: UnitOfWorkFactory) -> None:
    contact_id = await _with_contact(storage)
    async with storage() as uow:
        old = await uow.tickets.add(builders.ticket(contact_id, status=Status.SURVEY, category="utilities"))
        later = NOW + timedelta(days=5)
        new = await uow.tickets.add(
            builders.ticket(contact_id, at=later, status=Status.SURVEY, category="utilities")
        )
        await uow.tickets.add(builders.ticket(contact_id, status=Status.CLOSED, category="utilities"))
        lead = await uow.tickets.add(builders.ticket(contact_id, category="tax", cluster_of=None))
        assert lead.number is not None
        member = await uow.tickets.add(builders.ticket(contact_id, category="tax", cluster_of=lead.number))
        await uow.commit()
    async with storage() as uow:
        stale = await uow.tickets.stale(Status.SURVEY, NOW + timedelta(days=1))
        assert [t.number for t in stale] == [old.number]
        demands = await uow.tickets.recent_demands("utilities", NOW - timedelta(days=1), 60)
        fields = [(d.number, d.ref, d.enterprise_id, d.contact_id, d.cluster_of, d.text) for d in demands]
        assert fields == [(t.number, t.ref, t.enterprise_id, t.contact_id, None, t.text) for t in (new, old)]
        assert len(await uow.tickets.recent_demands("utilities", NOW - timedelta(days=1), 1)) == 1
        assert [d.number for d in await uow.tickets.recent_demands("utilities", later, 60)] == [new.number]
        assert [t.number for t in await uow.tickets.in_cluster(lead.number)] == [member.number]


async def test_sent_messages_remember_their_ticket(storage: UnitOfWorkFactory) -> None:
    async with storage() as uow:
        await uow.sent.record("telegram", "-100", "55", 7)
        await uow.commit()
    async with storage() as uow:
        assert await uow.sent.ticket_for("telegram", "-100", "55") == 7
        assert await uow.sent.ticket_for("telegram", "-100", "56") is None
        assert await uow.sent.ticket_for("telegram", "-101", "55") is None


async def test_a_ticket_keeps_its_first_forum_topic(storage: UnitOfWorkFactory) -> None:
    async with storage() as uow:
        await uow.sent.record_topic("telegram", "-100", 7, "51")
        await uow.commit()
    async with storage() as uow:
        await uow.sent.record_topic("telegram", "-100", 7, "99")  # a second topic loses
        await uow.commit()
    async with storage() as uow:
        assert await uow.sent.topic("telegram", "-100", 7) == "51"
        assert await uow.sent.topic("telegram", "-100", 8) is None
        assert await uow.sent.topic("telegram", "-101", 7) is None


async def test_a_contact_that_blocked_the_bot_is_marked_until_it_writes_again(
    storage: UnitOfWorkFactory,
) -> None:
    async with storage() as uow:
        contact = await uow.contacts.add(builders.contact(None, external_id="42", channel="telegram"))
        await uow.contacts.add(builders.contact(None, external_id="43", channel="telegram"))
        await uow.commit()
    assert contact.id is not None
    async with storage() as uow:
        await uow.contacts.set_unreachable("telegram", "42", NOW)
        await uow.commit()
    async with storage() as uow:
        marked = await uow.contacts.get(contact.id)
        other = await uow.contacts.by_identity("telegram", "43")
        assert marked is not None
        assert marked.unreachable_since == NOW
        assert other is not None
        assert other.unreachable_since is None
        await uow.contacts.set_unreachable("telegram", "42", None)
        await uow.commit()
    async with storage() as uow:
        cleared = await uow.contacts.get(contact.id)
        assert cleared is not None
        assert cleared.unreachable_since is None


async def test_invites_are_single_use_and_expire(storage: UnitOfWorkFactory) -> None:
    async with storage() as uow:
        await uow.enterprises.add(builders.enterprise("acme"))
        contact = await uow.contacts.add(builders.contact(None, external_id="42", channel="telegram"))
        await uow.invites.create("CODE1", "acme", "lin_hui", NOW, NOW + timedelta(days=7))
        await uow.invites.create("OLD", "acme", "lin_hui", NOW - timedelta(days=9), NOW - timedelta(days=2))
        await uow.commit()
    assert contact.id is not None
    async with storage() as uow:
        assert await uow.invites.redeem("OLD", contact.id, NOW) is None
        assert await uow.invites.redeem("NOPE", contact.id, NOW) is None
        assert await uow.invites.redeem("CODE1", contact.id, NOW) == "acme"
        await uow.contacts.bind(contact.id, "acme")
        await uow.contacts.set_lang(contact.id, "en")
        await uow.commit()
    async with storage() as uow:
        assert await uow.invites.redeem("CODE1", contact.id, NOW) is None
        bound = await uow.contacts.get(contact.id)
    assert bound is not None
    assert (bound.enterprise_id, bound.lang) == ("acme", "en")


async def test_a_tickets_group_posts_are_found(storage: UnitOfWorkFactory) -> None:
    async with storage() as uow:
        await uow.sent.record("telegram", "-100", "10", 7, is_post=True)
        await uow.sent.record("telegram", "5001", "11", 7)
        await uow.sent.record("telegram", "-100", "12", 8, is_post=True)
        await uow.commit()
    async with storage() as uow:
        assert await uow.sent.posts("telegram", 7) == [("-100", "10")]
        assert await uow.sent.posts("wecom", 7) == []
