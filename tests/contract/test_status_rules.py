"""The read-side queries filter by the status type's sets (Status.OPEN, Status.ANSWERED), on
SQLite and PostgreSQL: one ticket in every status, and each query keeps exactly the statuses its
rule names."""

from __future__ import annotations

from bot.domain.escalation import NudgeKey
from bot.domain.tickets import Status, Ticket
from storage.protocols import UnitOfWorkFactory
from tests import builders
from tests.conftest import NOW


async def _one_in_every_status(storage: UnitOfWorkFactory) -> dict[int, Status]:
    async with storage() as uow:
        await uow.enterprises.add(builders.enterprise("acme"))
        contact = await uow.contacts.add(builders.contact("acme"))
        assert contact.id is not None
        added: list[Ticket] = []
        for status in Status:
            ticket = builders.ticket(
                contact.id, status=status, category="tax", department_id="tax_bureau", assignee_id="wu_bin"
            )
            added.append(await uow.tickets.add(ticket))
        keys = [NudgeKey(t.number or 0, "resolve", t.resolve_by, "leadership", 0) for t in added]
        assert await uow.reminders.claim(keys, NOW) == [True] * len(Status)
        await uow.commit()
    return {t.number or 0: t.status for t in added}


async def test_queries_keep_the_statuses_their_rule_names(storage: UnitOfWorkFactory) -> None:
    statuses = await _one_in_every_status(storage)
    assert set(statuses.values()) == set(Status)
    async with storage() as uow:
        queue = await uow.tickets.queue("wu_bin", "tax_bureau")
        unanswered = await uow.tickets.queue("wu_bin", "tax_bureau", unanswered=True)
        sizes = (
            await uow.tickets.queue_size("wu_bin", "tax_bureau"),
            await uow.tickets.queue_size("wu_bin", "tax_bureau", unanswered=True),
        )
        due = await uow.reminders.due(NOW)
        reported = await uow.reminders.reported()
        recent = await uow.tickets.recent_demands("tax", NOW, 60)
    not_answered = set(Status) - Status.ANSWERED
    assert {t.status for t in queue} == Status.OPEN
    assert {t.status for t in unanswered} == not_answered
    assert sizes == (len(Status.OPEN), len(not_answered))
    assert {t.status for t in due} == Status.OPEN
    assert {t.status for t in reported} == not_answered  # answered ones wait for the enterprise
    assert {statuses[d.number] for d in recent} == Status.OPEN
