"""The leadership bulletin's queries and its archive (storage/bulletin_sql.py) alike on SQLite and
PostgreSQL: the period's demands, what was answered in it, the marks of the blocking points (each
definition's edges: outside the period, closed, waiting on the enterprise, not overdue enough),
the visits' notes, and the archive's claim of a scheduled period."""

from __future__ import annotations

from datetime import date, timedelta

from bot.domain.bulletin import Blocking, BulletinContent, blocking_points
from bot.domain.campaigns import ItemKind, Visit, VisitItem
from bot.domain.messages import Role
from bot.domain.tickets import Action, ClosingReason, Outcome, Status, TicketEvent
from storage.protocols import UnitOfWorkFactory
from tests import builders
from tests.conftest import NOW

SINCE = NOW - timedelta(days=3)
UNTIL = NOW + timedelta(days=4)
BEFORE = SINCE - timedelta(days=5)
OVERDUE_BEFORE = NOW - timedelta(days=10)


async def _world(storage: UnitOfWorkFactory) -> dict[str, int]:
    numbers: dict[str, int] = {}
    async with storage() as uow:
        contacts = {}
        for key in ("e1", "e2", "e3"):
            await uow.enterprises.add(builders.enterprise(key, name=f"企业{key}"))
            added = await uow.contacts.add(builders.contact(key, external_id=key))
            assert added.id is not None
            contacts[key] = added.id
        loose = await uow.contacts.add(builders.contact(None, external_id="nobody"))
        assert loose.id is not None

        async def ticket(name: str, enterprise: str | None, at: object = NOW, **kw: object) -> int:
            contact = contacts[enterprise] if enterprise else loose.id
            made = await uow.tickets.add(builders.ticket(contact, enterprise, at=at, **kw))  # type: ignore[arg-type]
            assert made.number is not None
            numbers[name] = made.number
            return made.number

        async def event(name: str, action: Action, to: Status, at: object = NOW, note: str = "") -> None:
            await uow.events.append(
                TicketEvent(numbers[name], at, "wang_lei", Role.OFFICER, action, None, to, note)  # type: ignore[arg-type]
            )

        await ticket(
            "answered",
            "e1",
            status=Status.CLOSED,
            closing_reason=ClosingReason.RESOLVED,
            closed_at=NOW,
            outcome=Outcome.RESOLVED,
            text="园区限电，生产线停了",
        )
        await event(
            "answered", Action.RESOLVE, Status.REPLIED, NOW - timedelta(days=1), "resolved: 先前的答复"
        )
        await event("answered", Action.RESOLVE, Status.REPLIED, NOW, "resolved: 已协调供电公司恢复供电")
        await ticket("returned", "e2", status=Status.RETURNED, confidential=True, category="land_space")
        await event("returned", Action.RETURN, Status.RETURNED, NOW, "不属于本部门")
        await ticket("extension", "e3", status=Status.EXTENSION, category="utilities")
        await event("extension", Action.REQUEST_EXTENSION, Status.EXTENSION, NOW, "需要现场勘查")
        await ticket("reopened", "e1", status=Status.REOPENED, category="utilities")
        await event("reopened", Action.ANSWER_RESOLUTION, Status.REOPENED, NOW, "not_resolved")
        await ticket(
            "overdue",
            None,
            status=Status.IN_PROGRESS,
            category=None,
            resolve_by=OVERDUE_BEFORE - timedelta(hours=1),
        )
        await ticket("duplicate", "e2", duplicate_of=numbers["answered"], status=Status.CLOSED)
        # before the period
        await ticket(
            "old", "e3", at=BEFORE, status=Status.REPLIED, outcome=Outcome.PARTLY_RESOLVED, resolve_by=BEFORE
        )
        await event("old", Action.RESOLVE, Status.REPLIED, NOW, "partly_resolved: 先解决一半")
        await ticket(
            "old_overdue",
            "e3",
            at=BEFORE,
            status=Status.SIGNED,
            resolve_by=OVERDUE_BEFORE - timedelta(days=1),
        )
        await event("old_overdue", Action.RETURN, Status.RETURNED, BEFORE)  # returned before the period
        await ticket("waiting", "e3", at=BEFORE, status=Status.WAITING_ENTERPRISE, resolve_by=BEFORE)
        await ticket(
            "recent_overdue",
            "e3",
            at=BEFORE,
            status=Status.DISPATCHED,
            resolve_by=OVERDUE_BEFORE + timedelta(hours=1),
        )
        await ticket("closed_returned", "e3", at=BEFORE, status=Status.CLOSED, closed_at=NOW)
        await event("closed_returned", Action.RETURN, Status.RETURNED, NOW)
        await ticket("after", "e1", at=UNTIL, status=Status.ACCEPTED)
        await event("after", Action.RETURN, Status.RETURNED, UNTIL)

        for enterprise, day, kind, text in (
            ("e1", SINCE.date(), ItemKind.OPINION, "希望多组织政策宣讲会"),
            ("e2", NOW.date(), ItemKind.PLAN, "二期扩产项目"),
            ("e2", NOW.date(), ItemKind.DEMAND, "不算：诉求是工单"),
            ("e3", BEFORE.date(), ItemKind.OPINION, "不算：期前"),
        ):
            visit = await uow.campaigns.start_visit(
                Visit(None, None, enterprise, "wang_lei", day, NOW, NOW, situation="ok", step=None)
            )
            assert visit.id is not None
            await uow.campaigns.add_item(VisitItem(None, visit.id, kind, text, NOW))
        unrecorded = await uow.campaigns.start_visit(
            Visit(None, None, "e1", "wang_lei", NOW.date(), NOW, NOW)
        )
        assert unrecorded.id is not None
        await uow.campaigns.add_item(VisitItem(None, unrecorded.id, ItemKind.OPINION, "不算：未记录完", NOW))
        await uow.commit()
    return numbers


async def test_the_period_demands_as_they_stand(storage: UnitOfWorkFactory) -> None:
    numbers = await _world(storage)
    async with storage() as uow:
        demands = await uow.bulletins.period_demands(SINCE, UNTIL)
    by_number = {d.number: d for d in demands}
    assert [d.number for d in demands] == sorted(
        numbers[k] for k in ("answered", "returned", "extension", "reopened", "overdue")
    )
    answered = by_number[numbers["answered"]]
    assert (answered.company, answered.status, answered.category) == ("企业e1", "closed", "finance")
    returned = by_number[numbers["returned"]]
    assert returned.company is None
    assert returned.enterprise_key == "e2"
    overdue = by_number[numbers["overdue"]]
    assert overdue.company is None
    assert overdue.enterprise_key.startswith("contact:")  # no enterprise: counted by its contact


async def test_what_was_answered_in_the_period_whenever_opened(storage: UnitOfWorkFactory) -> None:
    numbers = await _world(storage)
    async with storage() as uow:
        resolved = await uow.bulletins.resolved(SINCE, UNTIL)
    assert [(r.number, r.company, r.outcome, r.how) for r in resolved] == [
        (numbers["answered"], "企业e1", "resolved", "已协调供电公司恢复供电"),
        (numbers["old"], "企业e3", "partly_resolved", "先解决一半"),
    ]


async def test_the_blocking_points_of_the_period(storage: UnitOfWorkFactory) -> None:
    numbers = await _world(storage)
    async with storage() as uow:
        points = blocking_points(await uow.bulletins.marks(SINCE, UNTIL, OVERDUE_BEFORE))
    assert [(p.kind, p.number) for p in points] == [
        (Blocking.OVERDUE, numbers["overdue"]),
        (Blocking.OVERDUE, numbers["old_overdue"]),
        (Blocking.RETURNED, numbers["returned"]),
        (Blocking.EXTENSION, numbers["extension"]),
        (Blocking.REOPENED, numbers["reopened"]),
    ]
    returned = next(p for p in points if p.kind is Blocking.RETURNED)
    assert returned.company is None
    assert returned.note == "不属于本部门"


async def test_the_visits_notes_of_the_period(storage: UnitOfWorkFactory) -> None:
    await _world(storage)
    async with storage() as uow:
        notes = await uow.bulletins.notes(SINCE.date(), UNTIL.date())
    assert [(n.kind, n.company, n.text) for n in notes] == [
        ("opinion", "企业e1", "希望多组织政策宣讲会"),
        ("plan", "企业e2", "二期扩产项目"),
    ]


def _content(since: date) -> BulletinContent:
    return BulletinContent(since, since + timedelta(days=7), 0, 0, (), (), (), (), ())


async def test_the_archive_claims_a_scheduled_period_once(storage: UnitOfWorkFactory) -> None:
    day, end = date(2026, 11, 16), date(2026, 11, 23)
    content = _content(day).to_dict()
    async with storage() as uow:
        assert not await uow.bulletins.claimed("weekly:a")
        first = await uow.bulletins.add(
            day, end, NOW, "scheduler", "zh-CN", content, "# 第一期", True, "weekly:a"
        )
        await uow.commit()
    assert first is not None
    async with storage() as uow:
        assert await uow.bulletins.claimed("weekly:a")
        again = await uow.bulletins.add(
            day, end, NOW, "scheduler", "zh-CN", content, "# 又一期", True, "weekly:a"
        )
        later = NOW + timedelta(hours=1)
        on_demand = await uow.bulletins.add(day, end, later, "cli", "en", content, "# on demand", False)
        also = await uow.bulletins.add(
            day, end, later + timedelta(hours=1), "cli", "en", content, "# also", False
        )
        await uow.commit()
    assert again is None
    assert on_demand is not None
    assert also is not None
    async with storage() as uow:
        listed = await uow.bulletins.listing()
        latest = await uow.bulletins.latest()
        got = await uow.bulletins.get(first)
        missing = await uow.bulletins.get(also + 1)
    assert [b.id for b in listed] == [also, on_demand, first]  # newest first
    assert latest is not None
    assert latest.id == also
    assert got is not None
    assert (got.markdown, got.sent, got.schedule_key, got.built_by) == (
        "# 第一期",
        True,
        "weekly:a",
        "scheduler",
    )
    assert got.content == _content(day)
    assert got.built_at == NOW
    assert missing is None
