"""The reminder sweep's pages: a page of due tickets planned by the ladder, then its nudges claimed
and its checks moved on, while the next page is planned.

A sweep's time was its Python (decoding rows, the ladder, the keys) plus its statements (mostly
PostgreSQL inserting the claimed nudges and moving the checks), each waiting for the other: the
process on one core, the database on another, never both at once. So the sweep reads the next
page before it sends this page's writes (the claim and the move, one statement on PostgreSQL), and
while the database runs them it collects the page before into its messages' lines and plans the
next; the plan yields to the event loop every `CHUNK` tickets, so that the answer is taken without
waiting for the whole plan (it also keeps a long sweep from holding up the rest of `xiaoer run`
for the whole of its planning).

Everything stays on the unit of work's one connection and in its transaction: a page's claim and
move commit together, with the outbox's messages when the sweep runs inside `Outgoing.run`, and
both halves are waited for before the transaction ends, whichever fails.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from bot.domain.escalation import DueTicket, Ladder, Level, Nudge, NudgeKey, Plan, plan
from bot.domain.workcalendar import WorkingCalendar
from storage.protocols import UnitOfWork

CHUNK = 100  # tickets planned between two looks at the event loop (~2 ms of the ladder)

_A = TypeVar("_A")
_B = TypeVar("_B")


@dataclass(frozen=True, slots=True)
class PlannedPage:
    """A page of due tickets, each with its plan, and every nudge found with its ledger key."""

    due: list[DueTicket]
    plans: list[Plan]
    found: list[tuple[DueTicket, Nudge]]
    keys: list[NudgeKey]  # each built once, in the order of `found`

    def after(self) -> tuple[datetime, int]:
        """Where the next page starts: after this page's last check (time, number)."""
        last = self.due[-1]
        return last.check_at, last.number


async def planned(
    due: list[DueTicket],
    now: datetime,
    calendar: WorkingCalendar,
    ladder: Ladder,
    *,
    chunk: int | None = None,
) -> PlannedPage:
    """`chunk`: tickets planned between two looks at the event loop (CHUNK unless given)."""
    plans: list[Plan] = []
    chunk = CHUNK if chunk is None else chunk
    for start in range(0, len(due), chunk):
        if start:
            # the page being written meanwhile: its answer taken, its next statement sent
            await asyncio.sleep(0)
        plans += [plan(ticket, now, calendar, ladder) for ticket in due[start : start + chunk]]
    found = [(ticket, nudge) for ticket, p in zip(due, plans, strict=True) for nudge in p.nudges]
    return PlannedPage(due, plans, found, [nudge.key for _, nudge in found])


async def meanwhile(
    earlier: Callable[[], None],
    following: list[DueTicket],
    now: datetime,
    calendar: WorkingCalendar,
    ladder: Ladder,
) -> PlannedPage | None:
    """The process's share while the database writes a page: the page before collected (its
    messages' lines), then the next page planned, if there is one."""
    earlier()
    return await planned(following, now, calendar, ladder) if following else None


async def written(uow: UnitOfWork, page: PlannedPage, now: datetime, *, dry_run: bool) -> list[bool]:
    """The page's nudges claimed in the ledger and its checks moved on (a dry run only asks which
    nudges the ledger holds already): for each of the page's nudges, whether it is this sweep's."""
    keys = page.keys
    if dry_run:
        before = await uow.reminders.claimed(keys)
        return [key not in before for key in keys]
    checks = [(ticket, p.next_check) for ticket, p in zip(page.due, page.plans, strict=True)]
    won = await uow.reminders.claim_and_reschedule(keys, now, checks)
    first_overdue = [key for key, ours in zip(keys, won, strict=True) if ours and _first_reminder(key)]
    for key in sorted(first_overdue, key=lambda k: (k.ticket, k.due_at)):
        await uow.webhooks.overdue(key.ticket, key.kind, key.due_at, now)
    return won


async def together(first: Coroutine[Any, Any, _A], second: Coroutine[Any, Any, _B]) -> tuple[_A, _B]:
    """Both run to their end (the first started first), then their results; if either failed, its
    error, only once neither is still using the unit of work's connection."""
    a, b = await asyncio.gather(first, second, return_exceptions=True)
    if isinstance(a, BaseException):
        raise a
    if isinstance(b, BaseException):
        raise b
    return a, b


def _first_reminder(key: NudgeKey) -> bool:
    """The first reminder about a limit: the moment it was found overdue (the webhook's event)."""
    return key.repeat == 0 and key.level == _REMIND


# a key's level is a plain str; the enum's `.value` costs 0.2 µs a key
_REMIND = Level.REMIND.value
