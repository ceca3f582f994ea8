"""The sweep's pages: the next page planned while this one's nudges are claimed and its checks
moved on (handlers/sweep_pages.py), saying and claiming the same as a sweep of one page."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pytest

from bot.config import Settings
from bot.domain.escalation import ClockedTicket, NudgeKey, plan
from bot.domain.messages import ToOfficer
from handlers import reminders, sweep_pages
from storage.reminders_sql import SqlReminders
from storage.sql import SqlUnitOfWork
from tests.conftest import Clock
from tests.unit.test_reminders import _overdue_tickets, at
from tests.world import make_world


async def test_the_pages_say_what_one_page_would_in_the_same_order(
    settings: Settings, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.now = at(2026, 11, 24, 10, 0)  # Tuesday
    w = await make_world(settings, clock)
    # due Monday and Tuesday, a minute apart: reminded on Tuesday, again (and supervised) Wednesday
    dues = [at(2026, 11, 23, 10, minute) for minute in range(4)]
    dues += [at(2026, 11, 24, 9, minute) for minute in range(3)]
    await _overdue_tickets(w, *dues)
    assert (await reminders.sweep(w.deps)).replies != []  # the first reminders, in the ledger
    clock.now = at(2026, 11, 25, 16, 0)
    whole = await reminders.sweep(w.deps, dry_run=True)  # one page: what a sweep would say
    monkeypatch.setattr(reminders, "PAGE", 2)  # four pages, each written while the next is planned
    monkeypatch.setattr(sweep_pages, "CHUNK", 1)
    paged = await reminders.sweep(w.deps)
    assert [(r.to, r.text, r.ticket) for r in paged.replies] == [
        (r.to, r.text, r.ticket) for r in whole.replies
    ]
    assert paged.looked_at == whole.looked_at == 7
    texts = "\n".join(r.text for r in paged.replies)
    assert texts.count("第2次催办") == 7  # the ledger's count of earlier reminders, page by page
    assert any(r.to == ToOfficer("zheng_yu") for r in paged.replies)
    assert (await reminders.sweep(w.deps)).replies == []  # all claimed, every check moved on


async def test_the_next_page_is_planned_while_this_one_is_written(
    settings: Settings, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.now = at(2026, 11, 25, 10, 0)
    w = await make_world(settings, clock)
    numbers = await _overdue_tickets(w, *(at(2026, 11, 25, 9, minute) for minute in range(4)))
    seen: list[tuple[str, int]] = []
    claim, reschedule = SqlReminders.claim, SqlReminders.reschedule

    def planning(ticket: ClockedTicket, *args: Any) -> Any:
        seen.append(("plan", ticket.number or 0))
        return plan(ticket, *args)

    async def claiming(self: SqlReminders, keys: Sequence[NudgeKey], now: datetime) -> list[bool]:
        seen.append(("claim", keys[0].ticket))
        await asyncio.sleep(0)  # the database at work (SQLite here answers without a pause)
        return await claim(self, keys, now)

    async def moving(self: SqlReminders, checks: Sequence[tuple[ClockedTicket, Any]]) -> None:
        seen.append(("move", checks[0][0].number or 0))
        await reschedule(self, checks)

    monkeypatch.setattr(sweep_pages, "plan", planning)
    monkeypatch.setattr(SqlReminders, "claim", claiming)
    monkeypatch.setattr(SqlReminders, "reschedule", moving)
    monkeypatch.setattr(sweep_pages, "CHUNK", 1)
    monkeypatch.setattr(reminders, "PAGE", 2)
    monkeypatch.setattr(reminders, "FIRST_PAGE_SHARE", 1)  # a first page as long as the others
    await reminders.sweep(w.deps)
    first, second = numbers[:2], numbers[2:]  # the pages, by check time
    assert seen[:3] == [("plan", first[0]), ("plan", first[1]), ("claim", first[0])]
    # the second page's plan began after the first page's claim was sent, before its move
    assert seen.index(("plan", second[0])) < seen.index(("move", first[0]))
    assert seen[-2:] == [("claim", second[0]), ("move", second[0])]

    # By default the first page, planned while nothing else runs, is a quarter of the others:
    # the database starts on its claim after one ticket's plan here, not four.
    seen.clear()
    await _overdue_tickets(w, *(at(2026, 11, 25, 9, 10 + minute) for minute in range(4)))
    monkeypatch.setattr(reminders, "PAGE", 4)
    monkeypatch.setattr(reminders, "FIRST_PAGE_SHARE", 4)
    await reminders.sweep(w.deps)
    assert [kind for kind, _ in seen[:2]] == ["plan", "claim"]
    assert len(seen) == 4 + 2 * 2  # a page of one, then a page of three


async def test_a_sweep_of_one_page_reads_its_tickets_while_it_is_planned(
    settings: Settings, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The steady sweep's messages wait for their tickets' text only until the claim is back: the
    tickets are read while the page is planned. A sweep of several pages reads, after its last
    claim, only the tickets its messages spell out."""
    clock.now = at(2026, 11, 25, 10, 0)
    w = await make_world(settings, clock)
    numbers = await _overdue_tickets(w, *(at(2026, 11, 25, 9, minute) for minute in range(4)))
    seen: list[tuple[str, list[int]]] = []
    claim, described, earlier = SqlReminders.claim, SqlReminders.described, SqlReminders.earlier_reminders

    async def claiming(self: SqlReminders, keys: Sequence[NudgeKey], now: datetime) -> list[bool]:
        seen.append(("claim", sorted({key.ticket for key in keys})))
        return await claim(self, keys, now)

    async def reading(self: SqlReminders, asked: Sequence[int]) -> Any:
        seen.append(("read", sorted(asked)))
        await asyncio.sleep(0)  # the database at work: the plan goes on meanwhile
        return await described(self, asked)

    async def asking(self: SqlReminders, keys: Sequence[NudgeKey]) -> list[int]:
        seen.append(("ask", sorted({key.ticket for key in keys})))
        return await earlier(self, keys)

    def planning(ticket: ClockedTicket, *args: Any) -> Any:
        seen.append(("plan", [ticket.number or 0]))
        return plan(ticket, *args)

    monkeypatch.setattr(SqlReminders, "claim", claiming)
    monkeypatch.setattr(SqlReminders, "described", reading)
    monkeypatch.setattr(SqlReminders, "earlier_reminders", asking)
    monkeypatch.setattr(sweep_pages, "plan", planning)
    one = await reminders.sweep(w.deps)
    assert seen == [("read", numbers)] + [("plan", [n]) for n in numbers] + [("claim", numbers)]
    # nothing asked after the claim: the earlier reminders were read with the tickets
    assert (await reminders.sweep(w.deps, at(2026, 11, 26, 16, 0), dry_run=True)).replies != []
    assert "ask" not in [kind for kind, _ in seen]
    [message] = one.replies  # the tickets named from what was read early
    assert all(f"#{n}「诉求" in message.text for n in numbers)

    seen.clear()
    clock.now = at(2026, 11, 26, 16, 0)  # reminded again, and supervised
    monkeypatch.setattr(reminders, "PAGE", 2)
    monkeypatch.setattr(reminders, "FIRST_PAGE_SHARE", 1)
    monkeypatch.setattr(reminders, "DETAILED", 3)  # three of the four tickets spelled out
    paged = await reminders.sweep(w.deps)
    reads = [asked for kind, asked in seen if kind == "read"]
    assert [kind for kind, _ in seen[-3:]] == ["claim", "read", "ask"]
    assert len(reads) == 1
    assert sorted(set(reads[0])) == numbers[:3]  # the most overdue: the ones spelled out
    assert paged.looked_at == 4
    assert paged.replies != []


async def test_a_sweep_of_one_page_makes_its_messages_while_its_claim_runs(
    settings: Settings, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.now = at(2026, 11, 25, 10, 0)
    w = await make_world(settings, clock)
    numbers = await _overdue_tickets(w, *(at(2026, 11, 25, 9, minute) for minute in range(3)))
    seen: list[str] = []
    claim, messages = SqlReminders.claim, reminders._messages

    async def claiming(self: SqlReminders, keys: Sequence[NudgeKey], now: datetime) -> list[bool]:
        seen.append("claim sent")
        await asyncio.sleep(0)  # the database at work
        won = await claim(self, keys, now)
        seen.append("claim answered")
        return won

    async def making(*args: Any) -> Any:
        seen.append("messages")
        return await messages(*args)

    monkeypatch.setattr(SqlReminders, "claim", claiming)
    monkeypatch.setattr(reminders, "_messages", making)
    [message] = (await reminders.sweep(w.deps)).replies
    assert seen == ["claim sent", "messages", "claim answered"]
    assert all(f"#{number}「" in message.text for number in numbers)
    assert (await reminders.sweep(w.deps)).replies == []  # claimed and committed


async def test_a_sweep_of_one_page_says_only_what_it_won_when_another_instance_won_some_first(
    settings: Settings, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.now = at(2026, 11, 25, 10, 0)
    w = await make_world(settings, clock)
    first, second, third = await _overdue_tickets(w, *(at(2026, 11, 25, 9, minute) for minute in range(3)))
    claim = SqlReminders.claim
    made: list[int] = []
    messages = reminders._messages

    async def making(*args: Any) -> Any:
        made.append(1)
        return await messages(*args)

    async def another_instance_won_the_second(
        self: SqlReminders, keys: Sequence[NudgeKey], now: datetime
    ) -> list[bool]:
        won = await claim(self, keys, now)
        return [ours and key.ticket != second for key, ours in zip(keys, won, strict=True)]

    monkeypatch.setattr(SqlReminders, "claim", another_instance_won_the_second)
    monkeypatch.setattr(reminders, "_messages", making)
    [message] = (await reminders.sweep(w.deps)).replies
    assert len(made) == 2  # made as if all were won, then again from what was
    assert f"#{first}「" in message.text
    assert f"#{third}「" in message.text
    assert f"#{second}「" not in message.text
    assert message.text.splitlines()[0] == "⏰ 2 件工单需要您处理，最紧急的在前："


async def test_a_page_whose_claim_fails_stays_unclaimed_and_its_error_is_raised(
    settings: Settings, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.now = at(2026, 11, 25, 10, 0)
    w = await make_world(settings, clock)
    await _overdue_tickets(w, *(at(2026, 11, 25, 9, minute) for minute in range(5)))
    claim, calls = SqlReminders.claim, []

    async def failing_second(self: SqlReminders, keys: Sequence[NudgeKey], now: datetime) -> list[bool]:
        calls.append(keys)
        if len(calls) == 2:
            raise ConnectionError("the database went away")
        return await claim(self, keys, now)

    monkeypatch.setattr(SqlReminders, "claim", failing_second)
    monkeypatch.setattr(reminders, "PAGE", 2)
    monkeypatch.setattr(reminders, "FIRST_PAGE_SHARE", 1)
    with pytest.raises(ConnectionError, match="went away"):
        await reminders.sweep(w.deps)
    monkeypatch.setattr(SqlReminders, "claim", claim)
    # the first page committed on its own (outside `Outgoing.run`); the second and third did not
    [again] = [r for r in (await reminders.sweep(w.deps)).replies if r.to == ToOfficer("wang_lei")]
    assert again.text.splitlines()[0] == "⏰ 3 件工单需要您处理，最紧急的在前："


async def test_together_raises_only_once_both_have_ended() -> None:
    ended: list[str] = []

    async def failing() -> None:
        raise ConnectionError("the claim failed")

    async def planning() -> str:
        for _ in range(3):
            await asyncio.sleep(0)
        ended.append("planned")
        return "plan"

    with pytest.raises(ConnectionError):
        await sweep_pages.together(failing(), planning())
    assert ended == ["planned"]  # the connection is not given back while the other still runs
    assert await sweep_pages.together(planning(), planning()) == ("plan", "plan")


@pytest.mark.parametrize(
    ("failing", "why"),
    [
        pytest.param((SqlReminders, "described"), "the database went away", id="reading-its-tickets"),
        pytest.param((SqlUnitOfWork, "commit"), "the disk is full", id="committing"),
    ],
)
async def test_a_sweep_whose_last_page_fails_says_nothing_and_the_next_says_it_all(
    settings: Settings,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    failing: tuple[type, str],
    why: str,
) -> None:
    """The last page's messages are made in its transaction (their tickets read, the text
    written while it commits): if either fails, its claims do not stand and nothing is lost."""
    clock.now = at(2026, 11, 25, 10, 0)
    w = await make_world(settings, clock)
    await _overdue_tickets(w, *(at(2026, 11, 25, 9, minute) for minute in range(3)))
    kind, name = failing
    working = getattr(kind, name)

    async def fails(*_: Any) -> Any:
        raise ConnectionError(why)

    monkeypatch.setattr(kind, name, fails)
    with pytest.raises(ConnectionError, match=why):
        await reminders.sweep(w.deps)
    monkeypatch.setattr(kind, name, working)
    [again] = [r for r in (await reminders.sweep(w.deps)).replies if r.to == ToOfficer("wang_lei")]
    assert again.text.splitlines()[0] == "⏰ 3 件工单需要您处理，最紧急的在前："
