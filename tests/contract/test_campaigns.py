"""Campaign storage and its queries (storage/campaigns_sql.py) alike on SQLite and PostgreSQL:
coverage per officer and department, the officers' remaining lists, the final report's rows,
coverage over time and the bulletin's items, each counted by hand here; a key-support campaign's
targets."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from bot.config import Settings
from bot.domain.campaigns import Assignment, Campaign, ItemKind, Targeting, Visit, VisitItem, VisitStep
from bot.domain.enterprise import ROSTER, VISIT
from bot.domain.policies import Tags
from bot.domain.tickets import ClosingReason, Status
from handlers.campaigns.manage import create_campaign
from handlers.deps import Deps
from storage.protocols import UnitOfWorkFactory
from tests import builders
from tests.conftest import NOW, Clock
from tests.fakes import FakeNlu

FIRST_DAY = date(2026, 11, 20)
LAST_DAY = date(2026, 11, 30)
ASSIGNED = {  # enterprise: (officer, department)
    "e1": ("wang_lei", "industry_it"),
    "e2": ("wang_lei", "industry_it"),
    "e3": ("wang_lei", "industry_it"),
    "e4": ("wu_bin", "finance_office"),
    "e5": (None, None),
}


async def _visit(
    storage: UnitOfWorkFactory, enterprise_id: str, officer: str, day: date, *, situation: str | None = "ok"
) -> int:
    async with storage() as uow:
        visit = await uow.campaigns.start_visit(
            Visit(None, 1, enterprise_id, officer, day, NOW, NOW, met="张总", situation=situation, step=None)
        )
        await uow.commit()
    assert visit.id is not None
    return visit.id


async def _world(storage: UnitOfWorkFactory) -> None:
    """Five targets; wang_lei visits e1 twice (11-21, 11-24) and e2 (11-21); wu_bin starts a visit
    to e4 without recording the situation (not counted). Items: e1's first visit a resolved demand
    and an opinion, e2's an open confidential demand and a plan; an untargeted visit elsewhere."""
    async with storage() as uow:
        for enterprise_id in [*ASSIGNED, "outside"]:
            await uow.enterprises.add(builders.enterprise(enterprise_id, name=f"企业{enterprise_id}"))
        contact = await uow.contacts.add(builders.contact("e1"))
        assert contact.id is not None
        resolved = await uow.tickets.add(
            builders.ticket(
                contact.id, "e1", status=Status.CLOSED, closing_reason=ClosingReason.RESOLVED, closed_at=NOW
            )
        )
        secret = await uow.tickets.add(
            builders.ticket(contact.id, "e2", category="land_space", confidential=True)
        )
        campaign = await uow.campaigns.add(
            Campaign(
                None,
                "敲门行动",
                FIRST_DAY,
                LAST_DAY,
                "chen_jing",
                Targeting(),
                ("industry_it",),
                created_at=NOW,
            )
        )
        assert campaign.id == 1
        await uow.campaigns.set_targets(1, [Assignment(e, o, d) for e, (o, d) in ASSIGNED.items()])
        await uow.commit()
    first = await _visit(storage, "e1", "wang_lei", date(2026, 11, 21))
    await _visit(storage, "e1", "wang_lei", date(2026, 11, 24))
    second = await _visit(storage, "e2", "wang_lei", date(2026, 11, 21))
    await _visit(storage, "e4", "wu_bin", date(2026, 11, 22), situation=None)
    async with storage() as uow:
        elsewhere = await uow.campaigns.start_visit(
            Visit(None, None, "outside", "wang_lei", date(2026, 11, 21), NOW, NOW, situation="x", step=None)
        )
        assert elsewhere.id is not None
        for visit_id, kind, text, ticket in (
            (first, ItemKind.DEMAND, "贷款", resolved.number),
            (first, ItemKind.OPINION, "简化审批", None),
            (second, ItemKind.DEMAND, "用地", secret.number),
            (second, ItemKind.PLAN, "二期项目", None),
            (elsewhere.id, ItemKind.OPINION, "不算", None),
        ):
            await uow.campaigns.add_item(VisitItem(None, visit_id, kind, text, NOW, ticket))
        await uow.commit()


async def test_coverage_per_officer_and_department(storage: UnitOfWorkFactory) -> None:
    await _world(storage)
    async with storage() as uow:
        lines = {line.key: line for line in await uow.campaigns.coverage(1)}
    assert set(lines) == {"wang_lei|industry_it", "wu_bin|finance_office", "|"}
    wang = lines["wang_lei|industry_it"]
    assert (wang.assigned, wang.visited, wang.remaining, wang.demands, wang.resolved, wang.notes) == (
        3,
        2,
        1,
        2,
        1,
        2,
    )
    wu = lines["wu_bin|finance_office"]
    assert (wu.assigned, wu.visited, wu.demands) == (1, 0, 0)  # a visit without the situation is not counted
    assert (lines["|"].assigned, lines["|"].visited) == (1, 0)


async def test_remaining_lists_follow_the_visits_and_the_period(storage: UnitOfWorkFactory) -> None:
    await _world(storage)
    async with storage() as uow:
        wang = await uow.campaigns.remaining("wang_lei", date(2026, 11, 25))
        wu = await uow.campaigns.remaining("wu_bin", date(2026, 11, 25))
        after = await uow.campaigns.remaining("wu_bin", LAST_DAY + timedelta(days=1))
        running = await uow.campaigns.open_campaign_of("e4", date(2026, 11, 25))
        assert await uow.campaigns.open_campaign_of("outside", date(2026, 11, 25)) is None
        moved = await uow.campaigns.reassign_officer(1, "wang_lei", "wu_bin", "finance_office")
        await uow.commit()
    assert running is not None
    assert running.id == 1
    assert [(c.id, e.id) for c, e in wang] == [(1, "e3")]
    assert [e.id for _, e in wu] == ["e4"]
    assert after == []
    assert moved == 3


async def test_report_rows_and_coverage_over_time(storage: UnitOfWorkFactory) -> None:
    await _world(storage)
    async with storage() as uow:
        lines = await uow.campaigns.target_lines(1)
        by_day = await uow.campaigns.visits_by_day(1)
    assert [(line.enterprise.id, line.visited_on, line.demands, line.notes) for line in lines] == [
        ("e1", date(2026, 11, 24), 0, 0),  # its latest visit, which brought nothing back
        ("e2", date(2026, 11, 21), 1, 1),
        ("e3", None, 0, 0),
        ("e4", None, 0, 0),
        ("e5", None, 0, 0),
    ]
    assert by_day == [(date(2026, 11, 21), 2)]  # first visits only


async def test_bulletin_items_with_their_tickets(storage: UnitOfWorkFactory) -> None:
    await _world(storage)
    async with storage() as uow:
        items = await uow.campaigns.bulletin_items(1)
        later = await uow.campaigns.bulletin_items(1, since=date(2026, 11, 22))
    assert [(i.kind, i.text, i.enterprise_name, i.status, i.confidential) for i in items] == [
        (ItemKind.DEMAND, "贷款", "企业e1", "closed", False),
        (ItemKind.DEMAND, "用地", "企业e2", "accepted", True),
        (ItemKind.OPINION, "简化审批", "企业e1", None, False),
        (ItemKind.PLAN, "二期项目", "企业e2", None, False),
    ]
    assert items[1].category == "land_space"
    assert later == []


async def test_a_visit_being_recorded_is_found_and_saved(storage: UnitOfWorkFactory) -> None:
    await _world(storage)
    async with storage() as uow:
        visit = await uow.campaigns.start_visit(
            Visit(None, 1, "e3", "wang_lei", date(2026, 11, 25), NOW, NOW, step=VisitStep.MET)
        )
        await uow.campaigns.save_visit(
            replace(visit, met="李总", step=VisitStep.SITUATION, pending_text="a\x1eb")
        )
        await uow.campaigns.add_file(visit.id or 0, "photo", "AgAC" * 100, NOW)
        await uow.commit()
    async with storage() as uow:
        found = await uow.campaigns.visit_being_recorded("wang_lei")
        files = await uow.campaigns.files(visit.id or 0)
        contacts = await uow.campaigns.contacts_of("e1")
    assert found is not None
    assert (found.id, found.met, found.step, found.pending_text) == (
        visit.id,
        "李总",
        VisitStep.SITUATION,
        "a\x1eb",
    )
    assert files == [("photo", ("AgAC" * 100)[:256])]
    assert [c.enterprise_id for c in contacts] == ["e1"]


async def test_a_key_support_campaign_targets_the_flagged_enterprises(
    storage: UnitOfWorkFactory, settings: Settings
) -> None:
    """The flag as the enterprises table keeps it (a boolean column) and the targeting as the
    campaigns table keeps it (JSON), read back alike on both databases."""
    async with storage() as uow:
        for n in range(6):
            await uow.enterprises.add(
                builders.enterprise(f"k{n}", district="湖里区" if n < 4 else "思明区", key_support=n % 2 == 0)
            )
        await uow.commit()
    deps = Deps(storage=storage, directory=settings.bootstrap_directory(), nlu=FakeNlu(), clock=Clock(NOW))
    created = await create_campaign(
        deps,
        name="重点帮扶",
        starts_on=FIRST_DAY,
        ends_on=LAST_DAY,
        lead_id="chen_jing",
        targeting=Targeting(Tags.of({"district": ["湖里区"]}), key_support=True),
        departments=["finance_office"],
    )
    assert (created.targets, created.unassigned) == (2, 0)
    async with storage() as uow:
        campaign = await uow.campaigns.get(1)
        lines = await uow.campaigns.target_lines(1)
        coverage = await uow.campaigns.coverage(1)
    assert campaign is not None
    assert campaign.targeting == Targeting(Tags.of({"district": ["湖里区"]}), key_support=True)
    assert [(line.enterprise.id, line.enterprise.key_support) for line in lines] == [
        ("k0", True),
        ("k2", True),
    ]
    assert sum(line.assigned for line in coverage) == 2


async def test_a_visits_stand_in_binds_no_enterprise(storage: UnitOfWorkFactory) -> None:
    """Onboarding counts an enterprise bound when a chat speaks for it: neither a roster's contact
    nor the stand-in a visit's demand is opened under (bot.domain.enterprise.VISIT)."""
    async with storage() as uow:
        for enterprise_id, channel in (("chat", "telegram"), ("roster", ROSTER), ("stand_in", VISIT)):
            await uow.enterprises.add(builders.enterprise(enterprise_id, liaison_officer_id="wang_lei"))
            await uow.contacts.add(builders.contact(enterprise_id, f"{channel}:{enterprise_id}", channel))
        await uow.commit()
    async with storage() as uow:
        unbound, total = await uow.onboarding.unbound_of("wang_lei")
        coverage = await uow.onboarding.coverage_by_liaison(NOW)
    assert ([e.id for e in unbound], total) == (["roster", "stand_in"], 2)
    [wang] = [line for line in coverage if line.key == "wang_lei"]
    assert (wang.enterprises, wang.bound) == (3, 1)
