"""The ticket rules that several read-side queries share, as SQL over the tickets table, each
written once here and built from the sets on the domain's types (bot.domain.tickets): which
tickets are open, which answered, which closed by handling, which rated, and when a ticket got
its last answer. The queues (storage/sql.py), the KPIs (kpi_sql), the report (report_sql) and the
reminder sweep (reminders_sql) use them; nothing re-implements them in Python.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal_column, or_, select

from bot.domain.tickets import Action, ClosingReason, Resolution, Satisfaction, Status
from storage.tables import EVENTS, TICKETS

_t = TICKETS.c


def _values(members: Iterable[StrEnum]) -> list[str]:
    return sorted(member.value for member in members)


# The one status that is not open (unpacking fails at import if the domain ever adds another, so
# that OPEN below and the partial indexes on open tickets, storage/tables.py, are looked at again).
(_CLOSED,) = frozenset(Status) - Status.OPEN

OPEN: ColumnElement[bool] = _t.status != literal_column(f"'{_CLOSED.value}'")
"""Status.OPEN, written `status <> 'closed'` with the value in the text, as the partial indexes on
open tickets are: a prepared statement's generic plan can use such an index only if the query
repeats its predicate."""

CLOSED: ColumnElement[bool] = _t.status == _CLOSED.value

ANSWERED: ColumnElement[bool] = _t.status.in_(_values(Status.ANSWERED))
"""Status.ANSWERED: the officers have answered; the ticket waits for the enterprise's verdict or
has it."""

UNANSWERED: ColumnElement[bool] = _t.status.not_in(_values(Status.ANSWERED))
"""Open and not answered yet: the limits still run."""

HANDLED: ColumnElement[bool] = or_(
    _t.closing_reason.is_(None), _t.closing_reason.not_in(_values(ClosingReason.UNHANDLED))
)
"""Not closed as ClosingReason.UNHANDLED (withdrawn, duplicate): what the on-time rate and the
report count."""

CLOSED_BY_HANDLING: ColumnElement[bool] = and_(CLOSED, HANDLED)

RATED: ColumnElement[bool] = and_(
    _t.resolution.is_not(None),
    or_(_t.satisfaction.is_not(None), _t.resolution == Resolution.NOT_RESOLVED.value),
)
"""The last survey got its verdict: both answers, or "not resolved" (no second question)."""

RESOLVED: ColumnElement[bool] = and_(RATED, _t.resolution == Resolution.RESOLVED.value)

SATISFIED: ColumnElement[bool] = and_(RATED, _t.satisfaction.in_(_values(Satisfaction.CONTENT)))


def opened_between(since: datetime, until: datetime) -> ColumnElement[bool]:
    """Opened in [since, until): the tickets a period's figures are about (bot.domain.kpi)."""
    return and_(_t.created_at >= since, _t.created_at < until)


def last_answer_at() -> Any:
    """The ticket row's last answer (`/resolve`) time, as a correlated subquery: what the on-time
    rate and the report's overdue list measure an answered ticket by."""
    e = EVENTS.c
    return (
        select(func.max(e.at)).where(e.ticket_id == _t.id, e.action == Action.RESOLVE.value).scalar_subquery()
    )
