"""The centre-wide view's reads (storage/search_sql.py) alike on SQLite (FTS5 trigram) and
PostgreSQL (pg_trgm): what `/find` and `/open` get, the indexes kept in step with the tables."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.domain.tickets import Status
from storage import ticket_words_sql
from storage.protocols import UnitOfWorkFactory
from storage.search_protocols import OpenFilter, SearchTerms, TicketScope
from tests import builders
from tests.conftest import NOW

EVERYONE = TicketScope(confidential=True)


async def _world(storage: UnitOfWorkFactory) -> dict[str, int]:
    """Three enterprises, a contact with a phone, and tickets in two departments."""
    async with storage() as uow:
        await uow.enterprises.add(
            builders.enterprise(
                "xinyuan",
                name="厦门鑫源机械制造有限公司",
                uscc="91350206MA2Y3K8P13",
                liaison_officer_id="wang_lei",
            )
        )
        await uow.enterprises.add(builders.enterprise("haicang", name="Haicang Logistics Co., Ltd."))
        await uow.enterprises.add(builders.enterprise("meishi", name="美食坊餐饮店"))
        contact = await uow.contacts.add(builders.contact("xinyuan", external_id="u1"))
        assert contact.id is not None
        await uow.onboarding.set_phone(contact.id, "8613800001234")
        first = await uow.tickets.add(
            builders.ticket(contact.id, "xinyuan", text="厂房用电增容审批太慢", department_id="industry_it")
        )
        second = await uow.tickets.add(
            builders.ticket(
                contact.id,
                "xinyuan",
                text="Need a tax refund for export goods",
                department_id="tax",
                urgent=True,
                resolve_by=NOW - timedelta(days=1),
            )
        )
        closed = await uow.tickets.add(
            builders.ticket(
                contact.id,
                "xinyuan",
                text="电费发票问题",
                status=Status.CLOSED,
                department_id="tax",
                closed_at=NOW,
            )
        )
        secret = await uow.tickets.add(
            builders.ticket(
                contact.id, "xinyuan", text="用电举报材料", department_id="tax", confidential=True
            )
        )
        await uow.commit()
    numbers = {
        "first": first.number,
        "second": second.number,
        "closed": closed.number,
        "secret": secret.number,
    }
    return {k: v for k, v in numbers.items() if v is not None}


async def _find(
    storage: UnitOfWorkFactory, terms: SearchTerms, scope: TicketScope = EVERYONE
) -> tuple[set[str], set[int]]:
    async with storage() as uow:
        found = await uow.search.find(terms, scope)
    return {e.id for e in found.enterprises}, {t.number for t in found.tickets if t.number is not None}


async def test_chinese_and_english_substrings_find_names_and_texts(storage: UnitOfWorkFactory) -> None:
    n = await _world(storage)
    assert await _find(storage, SearchTerms("鑫源机械")) == ({"xinyuan"}, set())
    assert await _find(storage, SearchTerms("logistics")) == ({"haicang"}, set())  # any case
    assert await _find(storage, SearchTerms("用电增容")) == (set(), {n["first"]})
    assert await _find(storage, SearchTerms("TAX REFUND")) == (set(), {n["second"]})
    assert await _find(storage, SearchTerms("3K8P1")) == ({"xinyuan"}, set())  # part of a credit code
    assert await _find(storage, SearchTerms("nothing like it")) == (set(), set())


async def test_short_words_look_among_names_and_open_tickets_only(storage: UnitOfWorkFactory) -> None:
    n = await _world(storage)
    enterprises, tickets = await _find(storage, SearchTerms("电"))
    assert enterprises == set()
    assert tickets == {n["first"], n["secret"]}  # the closed 电费 ticket is history: not looked at
    assert await _find(storage, SearchTerms("美食")) == ({"meishi"}, set())


async def test_keys_find_exactly(storage: UnitOfWorkFactory) -> None:
    n = await _world(storage)
    everything = {n["first"], n["second"], n["closed"], n["secret"]}
    assert await _find(storage, SearchTerms("91350206MA2Y3K8P13", uscc="91350206MA2Y3K8P13")) == (
        {"xinyuan"},
        set(),
    )
    assert await _find(storage, SearchTerms("8613800001234", phone="8613800001234")) == (
        {"xinyuan"},
        everything,
    )
    assert await _find(storage, SearchTerms(f"#{n['closed']}", ticket_number=n["closed"])) == (
        set(),
        {n["closed"]},
    )
    assert await _find(storage, SearchTerms("meishi")) == ({"meishi"}, set())  # an enterprise's id


async def test_scope_hides_other_departments_and_confidential_tickets(storage: UnitOfWorkFactory) -> None:
    n = await _world(storage)
    officer = TicketScope(viewer_id="zhao", department_id="tax")
    assert await _find(storage, SearchTerms("用电"), officer) == (set(), set())
    assert await _find(storage, SearchTerms("tax refund"), officer) == (set(), {n["second"]})
    assignee = TicketScope(viewer_id="zhao")
    async with storage() as uow:
        secret = await uow.tickets.get(n["secret"])
        assert secret is not None
        await uow.tickets.update(replace(secret, assignee_id="zhao"))
        await uow.commit()
    assert await _find(storage, SearchTerms("举报材料"), assignee) == (set(), {n["secret"]})
    assert await _find(storage, SearchTerms("举报材料"), TicketScope(viewer_id="li")) == (set(), set())


async def test_the_index_follows_changes_and_deletions(storage: UnitOfWorkFactory) -> None:
    n = await _world(storage)
    async with storage() as uow:
        first = await uow.tickets.get(n["first"])
        assert first is not None
        await uow.tickets.update(replace(first, text="补充：变压器容量不足"))
        await uow.commit()
    assert await _find(storage, SearchTerms("用电增容")) == (set(), set())
    assert await _find(storage, SearchTerms("变压器容量")) == (set(), {n["first"]})


async def test_open_tickets_filter_and_page(storage: UnitOfWorkFactory) -> None:
    n = await _world(storage)

    async def numbers(wanted: OpenFilter, offset: int = 0, limit: int = 20) -> tuple[list[int], int]:
        async with storage() as uow:
            tickets, total = await uow.search.open_tickets(wanted, EVERYONE, NOW, offset, limit)
        return [t.number for t in tickets if t.number is not None], total

    # urgent first, then by resolve deadline
    assert await numbers(OpenFilter()) == ([n["second"], n["first"], n["secret"]], 3)
    assert await numbers(OpenFilter(), offset=1, limit=1) == ([n["first"]], 3)
    assert await numbers(OpenFilter(overdue=True)) == ([n["second"]], 1)
    assert await numbers(OpenFilter(department_id="tax")) == ([n["second"], n["secret"]], 2)
    assert await numbers(OpenFilter(urgent=True, department_id="industry_it")) == ([], 0)
    assert await numbers(OpenFilter(liaison_officer_id="wang_lei", category="finance")) == (
        [n["second"], n["first"], n["secret"]],
        3,
    )
    assert await numbers(OpenFilter(liaison_officer_id="nobody")) == ([], 0)


async def _tickets_saying(
    storage: UnitOfWorkFactory, texts: list[tuple[str, str]], status: Status = Status.ACCEPTED
) -> list[int]:
    """Tickets with these (text, department) in order, oldest first; their numbers."""
    numbers = []
    async with storage() as uow:
        contact = await uow.contacts.by_identity("console", "u1")  # _world's
        assert contact is not None
        assert contact.id is not None
        for text, department in texts:
            ticket = await uow.tickets.add(
                builders.ticket(contact.id, "xinyuan", text=text, department_id=department, status=status)
            )
            assert ticket.number is not None
            numbers.append(ticket.number)
        await uow.commit()
    return numbers


async def test_a_common_word_gives_the_newest_tickets_in_scope(
    storage: UnitOfWorkFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PostgreSQL looks in windows of the newest numbers first: small ones here, so that the
    # newest ten in the tax office's scope straddle all three (the last one unbounded).
    monkeypatch.setattr(ticket_words_sql, "WINDOWS", (3, 9))
    await _world(storage)
    departments = ["tax", "industry_it", "industry_it", "tax", "tax", "industry_it"] * 4
    numbers = await _tickets_saying(storage, [(f"出口退税第{i}次", d) for i, d in enumerate(departments)])
    async with storage() as uow:
        everyone = await uow.search.find(SearchTerms("出口退税"), EVERYONE)
        tax = await uow.search.find(
            SearchTerms("出口退税"), TicketScope(viewer_id="zhao", department_id="tax")
        )
        few = await uow.search.find(SearchTerms("出口退税"), EVERYONE, limit=30)
    assert [t.number for t in everyone.tickets] == numbers[::-1][:10]
    assert everyone.more_tickets
    in_tax = [n for n, d in zip(numbers, departments, strict=True) if d == "tax"][::-1]
    assert [t.number for t in tax.tickets] == in_tax[:10]
    assert tax.more_tickets
    assert [t.number for t in few.tickets] == numbers[::-1]
    assert not few.more_tickets


async def test_short_words_look_among_the_newest_open_tickets_only(
    storage: UnitOfWorkFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ticket_words_sql, "RECENT_OPEN", 3)
    n = await _world(storage)  # open: first, second, secret, all saying 电 but "second"
    newer = await _tickets_saying(storage, [("缺电", "tax"), ("停水", "tax")])
    closed = await _tickets_saying(storage, [("电压不稳", "tax")], status=Status.CLOSED)
    _, tickets = await _find(storage, SearchTerms("电"))
    # the newest three open: secret, 缺电, 停水; "first" is older, the closed one is history
    assert tickets == {n["secret"], newer[0]}
    assert not tickets & {n["first"], *closed}


async def test_what_a_key_finds_comes_before_what_the_words_find(storage: UnitOfWorkFactory) -> None:
    await _world(storage)
    async with storage() as uow:
        await uow.enterprises.add(builders.enterprise("a1", name="meishi trading"))
        await uow.commit()
        found = await uow.search.find(SearchTerms("meishi"), EVERYONE)
    assert [e.id for e in found.enterprises] == ["meishi", "a1"]  # the id itself, then by id


async def test_a_credit_code_and_a_phone_are_found_among_many(storage: UnitOfWorkFactory) -> None:
    """Codes of one district share their first eight characters; a whole code finds its own
    enterprise only (by the unique index), part of one every code holding that part."""
    await _world(storage)
    codes = ["91350206MA2Y3K8Q01", "91350206MA2Y3K8R9X", "91350203MA8F2U4Y1Q"]
    async with storage() as uow:
        for i, code in enumerate(codes):
            await uow.enterprises.add(builders.enterprise(f"c{i}", name=f"公司{i}", uscc=code))
        await uow.commit()
    assert await _find(storage, SearchTerms(codes[0], uscc=codes[0])) == ({"c0"}, set())
    assert await _find(storage, SearchTerms("MA2Y3K8")) == ({"xinyuan", "c0", "c1"}, set())
    assert await _find(storage, SearchTerms("8613900000000", phone="8613900000000")) == (set(), set())
