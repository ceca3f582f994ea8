"""`protect` keeps a confidential ticket's news from its department's group: whether the ticket
was read from the database or written moments before in the same transaction (the unit of work
the runtime shares with the handlers, where the written confidentiality is used without a re-read)."""

from __future__ import annotations

from dataclasses import replace

from bot.config import Settings
from bot.domain.messages import Reply, ToDepartment, ToOfficer
from handlers.dispatch import protect
from tests.conftest import Clock
from tests.fakes import Understood
from tests.world import HAIYUE, World, make_world

TAX = "出口退税三个月没到账，联系人 13912345678"


async def _world(settings: Settings, clock: Clock) -> tuple[World, Reply]:
    w = await make_world(settings, clock)
    w.nlu.table[TAX] = Understood("report_demand", "tax")
    await w.say(HAIYUE, TAX)
    tax = next(d for d in w.deps.directory.departments.values() if d.head_officer_id == "guo_ping")
    return w, Reply("工单 #1 联系人 13912345678", to=ToDepartment(tax.id), ticket=1)


async def _protect_after_writing(w: World, news: Reply, *, secret: bool, commit: bool) -> list[Reply]:
    """Set ticket 1's confidentiality and protect `news` in one shared transaction."""
    async with w.deps.storage() as outer:
        with outer.shared():
            async with w.deps.storage() as uow:
                ticket = await uow.tickets.get(1)
                assert ticket is not None
                await uow.tickets.update(replace(ticket, confidential=secret))
                await uow.commit()
            protected = await protect([news], w.deps)
        if commit:
            await outer.commit()
    return protected


async def test_news_of_a_ticket_made_confidential_in_the_same_transaction_goes_to_the_head(
    settings: Settings, clock: Clock
) -> None:
    w, news = await _world(settings, clock)
    assert await _protect_after_writing(w, news, secret=True, commit=False) == [
        replace(news, to=ToOfficer("guo_ping"))
    ]


async def test_news_of_a_ticket_made_open_in_the_same_transaction_goes_to_the_group_masked(
    settings: Settings, clock: Clock
) -> None:
    w, news = await _world(settings, clock)
    await _protect_after_writing(w, news, secret=True, commit=True)
    protected = await _protect_after_writing(w, news, secret=False, commit=False)
    assert [r.to for r in protected] == [news.to]
    assert "139****5678" in protected[0].text


async def test_a_confidential_ticket_read_from_the_database_is_protected_too(
    settings: Settings, clock: Clock
) -> None:
    w, news = await _world(settings, clock)
    await _protect_after_writing(w, news, secret=True, commit=True)
    assert await protect([news], w.deps) == [replace(news, to=ToOfficer("guo_ping"))]
    rolled_back = await _protect_after_writing(w, news, secret=False, commit=False)
    assert [r.to for r in rolled_back] == [news.to]  # within the transaction it was open
    assert await protect([news], w.deps) == [replace(news, to=ToOfficer("guo_ping"))]  # never committed
