"""The web console's storage on SQLite and PostgreSQL: sign-in links redeemed once (of two at
once, one), sessions and what became of them, revocation, the audit, the board's counts and its
deadline order, an enterprise's contacts and names, the change counter, and the KPI counts of one
department or category."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.domain.campaigns import Campaign, ItemKind, Visit, VisitItem
from bot.domain.enterprise import VISIT
from bot.domain.messages import Role
from bot.domain.tickets import Action, Status, TicketEvent
from bot.domain.web_console import token_hash
from storage.protocols import UnitOfWorkFactory
from storage.search_protocols import OpenFilter, TicketScope
from storage.web_protocols import BoardCount, TokenKind, TokenState
from tests import builders
from tests.conftest import NOW
from tests.contract.test_search import _world

LATER = NOW + timedelta(minutes=10)


async def _token(storage: UnitOfWorkFactory, secret: str, kind: TokenKind, officer: str = "wu_bin") -> None:
    async with storage() as uow:
        await uow.web.add_token(token_hash(secret), kind, officer, "officer", NOW, LATER)
        await uow.commit()


async def _redeem(storage: UnitOfWorkFactory, secret: str, at: object = NOW) -> TokenState:
    async with storage() as uow:
        state, _ = await uow.web.redeem_link(token_hash(secret), NOW if at is NOW else LATER)
        await uow.commit()
    return state


async def test_a_link_is_redeemed_once_and_expires(storage: UnitOfWorkFactory) -> None:
    await _token(storage, "link-1", TokenKind.LINK)
    await _token(storage, "link-2", TokenKind.LINK)
    await _token(storage, "session-1", TokenKind.SESSION)
    async with storage() as uow:
        state, who = await uow.web.redeem_link(token_hash("link-1"), NOW)
        await uow.commit()
    assert state is TokenState.VALID
    assert who is not None
    assert (who.officer_id, who.role, who.expires_at) == ("wu_bin", "officer", LATER)
    assert await _redeem(storage, "link-1") is TokenState.USED
    assert await _redeem(storage, "link-2", at=LATER) is TokenState.EXPIRED  # expires_at is not inside
    assert await _redeem(storage, "nothing") is TokenState.UNKNOWN
    assert await _redeem(storage, "session-1") is TokenState.UNKNOWN  # a session is no link


async def test_of_two_redeeming_one_link_at_once_one_wins(storage: UnitOfWorkFactory) -> None:
    await _token(storage, "contested", TokenKind.LINK)
    states = await asyncio.gather(*(_redeem(storage, "contested") for _ in range(4)))
    assert sorted(states) == sorted([TokenState.VALID] + [TokenState.USED] * 3)


async def test_sessions_end_when_they_expire_or_are_revoked(storage: UnitOfWorkFactory) -> None:
    await _token(storage, "mine", TokenKind.SESSION)
    await _token(storage, "unused link", TokenKind.LINK)
    await _token(storage, "theirs", TokenKind.SESSION, officer="lin_hui")
    async with storage() as uow:
        assert (await uow.web.session(token_hash("mine"), NOW))[0] is TokenState.VALID
        assert (await uow.web.session(token_hash("mine"), LATER))[0] is TokenState.EXPIRED
        assert (await uow.web.session(token_hash("unused link"), NOW))[0] is TokenState.UNKNOWN
        assert await uow.web.revoke("wu_bin", NOW) == 2  # the session and the unused link
        await uow.commit()
    async with storage() as uow:
        state, whose = await uow.web.session(token_hash("mine"), NOW)
        assert state is TokenState.REVOKED
        assert whose is not None
        assert whose.officer_id == "wu_bin"
        assert (await uow.web.session(token_hash("theirs"), NOW))[0] is TokenState.VALID
        assert (await uow.web.redeem_link(token_hash("unused link"), NOW))[0] is TokenState.REVOKED


async def test_the_audit_keeps_the_newest_first(storage: UnitOfWorkFactory) -> None:
    async with storage() as uow:
        await uow.web.audit(NOW, "wu_bin", "view", 3, "")
        await uow.web.audit(LATER, None, "session_refused", None, "x" * 500)
        await uow.commit()
    async with storage() as uow:
        trail = await uow.web.audit_trail()
    assert [(e.officer_id, e.action, e.ticket) for e in trail] == [
        (None, "session_refused", None),
        ("wu_bin", "view", 3),
    ]
    assert len(trail[0].detail) == 200


async def test_the_board_counts_by_state_and_department_and_orders_by_deadline(
    storage: UnitOfWorkFactory,
) -> None:
    n = await _world(storage)
    everyone = TicketScope(confidential=True)
    async with storage() as uow:  # urgent, but with a month to go
        late = await uow.tickets.add(
            builders.ticket(
                1, "xinyuan", urgent=True, department_id="tax", resolve_by=NOW + timedelta(days=30)
            )
        )
        # a visit's stand-in holds tickets until someone binds; it is nobody to show as a contact
        await uow.contacts.add(builders.contact("xinyuan", external_id="visit:xinyuan", channel=VISIT))
        await uow.commit()
    async with storage() as uow:
        counts = await uow.console.open_counts(OpenFilter(), everyone, NOW)
        officer = await uow.console.open_counts(
            OpenFilter(), TicketScope(viewer_id="x", department_id="tax"), NOW
        )
        overdue = await uow.console.open_counts(OpenFilter(overdue=True), everyone, NOW)
        by_deadline, _ = await uow.search.open_tickets(OpenFilter(by_deadline=True), everyone, NOW)
        urgent_first, _ = await uow.search.open_tickets(OpenFilter(), everyone, NOW)
        names = await uow.console.enterprise_names(["xinyuan", "meishi", "nowhere"])
        contacts = await uow.console.contacts_of("xinyuan")
        version = await uow.console.last_change()
    assert sorted(counts, key=lambda c: (c.department_id or "", c.status)) == [
        BoardCount(Status.ACCEPTED.value, "industry_it", 1),
        BoardCount(Status.ACCEPTED.value, "tax", 3),
    ]
    assert officer == [BoardCount(Status.ACCEPTED.value, "tax", 2)]  # not the confidential one
    assert overdue == [BoardCount(Status.ACCEPTED.value, "tax", 1)]
    assert [t.number for t in by_deadline] == [n["second"], n["first"], n["secret"], late.number]
    assert [t.number for t in urgent_first] == [n["second"], late.number, n["first"], n["secret"]]
    assert names == {"xinyuan": "厦门鑫源机械制造有限公司", "meishi": "美食坊餐饮店"}
    assert [c.external_id for c in contacts] == ["u1"]
    async with storage() as uow:
        ticket = await uow.tickets.get(n["first"])
        assert ticket is not None
        await uow.events.append(
            TicketEvent(
                ticket.number, NOW, "wu_bin", Role.OFFICER, Action.NOTE, None, Status.ACCEPTED, "看过"
            )
        )
        await uow.commit()
    async with storage() as uow:
        assert await uow.console.last_change() > version


async def test_kpi_counts_of_one_department_or_category(storage: UnitOfWorkFactory) -> None:
    await _world(storage)
    since, until = NOW - timedelta(days=1), NOW + timedelta(days=1)
    async with storage() as uow:
        everyone = await uow.kpi.counts(since, until, NOW)
        tax = await uow.kpi.counts(since, until, NOW, department_id="tax")
        industry = await uow.kpi.counts(since, until, NOW, department_id="industry_it")
        finance = await uow.kpi.counts(since, until, NOW, category="finance")
        nothing = await uow.kpi.counts(since, until, NOW, department_id="tax", category="talent")
    assert everyone.dispatched == 4
    assert tax.dispatched == 3
    assert industry.dispatched == 1
    assert finance == everyone
    assert nothing.dispatched == 0


async def _campaign_world(storage: UnitOfWorkFactory) -> dict[str, int]:
    """On top of the search world: campaign C1 whose visit to xinyuan brought back two demands
    (tickets) and an opinion, an earlier visit of C1 to meishi with a demand since closed, a later
    visit to xinyuan not yet recorded (no situation), and a demand of campaign C2 elsewhere."""
    n = await _world(storage)
    async with storage() as uow:
        for number, name in ((1, "敲门行动"), (2, "稳岗走访")):
            campaign = await uow.campaigns.add(
                Campaign(None, name, NOW.date(), NOW.date() + timedelta(days=9), "chen_jing", created_at=NOW)
            )
            assert campaign.id == number
        contact = await uow.contacts.add(builders.contact("meishi", external_id="u2"))
        assert contact.id is not None
        closed = await uow.tickets.add(
            builders.ticket(contact.id, "meishi", status=Status.CLOSED, department_id="tax", closed_at=NOW)
        )
        elsewhere = await uow.tickets.add(builders.ticket(contact.id, "meishi", department_id="tax"))
        visits = {}
        for key, campaign_id, enterprise, day, situation in (
            ("early", 1, "meishi", 1, "经营平稳"),
            ("xinyuan", 1, "xinyuan", 3, "订单充足，用工紧张"),
            ("unrecorded", 1, "xinyuan", 5, None),
            ("other", 2, "meishi", 4, "缺少技工"),
        ):
            visit = await uow.campaigns.start_visit(
                Visit(
                    None,
                    campaign_id,
                    enterprise,
                    "wang_lei",
                    NOW.date() + timedelta(days=day),
                    NOW,
                    NOW,
                    met="张总",
                    situation=situation,
                    step=None,
                )
            )
            assert visit.id is not None
            visits[key] = visit.id
        for visit_key, kind, ticket in (
            ("xinyuan", ItemKind.DEMAND, n["first"]),
            ("xinyuan", ItemKind.OPINION, None),
            ("xinyuan", ItemKind.DEMAND, n["secret"]),
            ("early", ItemKind.DEMAND, closed.number),
            ("other", ItemKind.DEMAND, elsewhere.number),
        ):
            await uow.campaigns.add_item(
                VisitItem(None, visits[visit_key], kind, f"{kind} {ticket}", NOW, ticket)
            )
        await uow.commit()
    assert elsewhere.number is not None
    return {**n, "elsewhere": elsewhere.number}


async def test_the_board_filters_by_the_campaign_whose_visits_opened_the_tickets(
    storage: UnitOfWorkFactory,
) -> None:
    n = await _campaign_world(storage)
    everyone = TicketScope(confidential=True)
    async with storage() as uow:
        first = await uow.console.open_counts(OpenFilter(campaign_id=1), everyone, NOW)
        page = await uow.search.open_page(OpenFilter(campaign_id=1, by_deadline=True), everyone, NOW)
        officer = await uow.search.open_page(
            OpenFilter(campaign_id=1), TicketScope(viewer_id="x", department_id="tax"), NOW
        )
        second, total = await uow.search.open_tickets(OpenFilter(campaign_id=2), everyone, NOW)
        none = await uow.console.open_counts(OpenFilter(campaign_id=3), everyone, NOW)
        both = await uow.search.open_page(OpenFilter(campaign_id=1, department_id="tax"), everyone, NOW)
    # C1's open demands: xinyuan's two (the closed one of meishi is not open); not C2's
    assert sorted(first, key=lambda c: c.department_id or "") == [
        BoardCount(Status.ACCEPTED.value, "industry_it", 1),
        BoardCount(Status.ACCEPTED.value, "tax", 1),
    ]
    assert [t.number for t in page] == [n["first"], n["secret"]]
    assert officer == []  # the tax officer's scope: C1's tax ticket is confidential
    assert ([t.number for t in second], total) == ([n["elsewhere"]], 1)
    assert none == []
    assert [t.number for t in both] == [n["secret"]]  # with the other filters, as any filter


async def test_an_enterprises_recorded_visits_newest_first_with_their_items(
    storage: UnitOfWorkFactory,
) -> None:
    n = await _campaign_world(storage)
    async with storage() as uow:
        xinyuan = await uow.console.visits_of("xinyuan", 10)
        meishi = await uow.console.visits_of("meishi", 10)
        newest = await uow.console.visits_of("meishi", 1)
        nobody = await uow.console.visits_of("haicang", 10)
    [visit] = xinyuan  # the unrecorded one is not listed
    assert (visit.campaign_name, visit.visit.situation, visit.visit.met) == (
        "敲门行动",
        "订单充足，用工紧张",
        "张总",
    )
    assert [(i.kind, i.ticket_number) for i in visit.items] == [
        (ItemKind.DEMAND, n["first"]),
        (ItemKind.OPINION, None),
        (ItemKind.DEMAND, n["secret"]),
    ]
    assert [(v.campaign_name, v.visit.visited_on) for v in meishi] == [
        ("稳岗走访", NOW.date() + timedelta(days=4)),
        ("敲门行动", NOW.date() + timedelta(days=1)),
    ]
    assert [v.campaign_name for v in newest] == ["稳岗走访"]
    assert nobody == []
