"""The outbox's states as its partial indexes name them, with the values written in the SQL text.

The outbox's three status indexes (storage/tables.py) hold only the messages still on their way:
a message leaves them once it is delivered or given up. So they stay as small as the queue however
long the history grows, and a message's life writes fewer index entries (its claim takes it out of
two, its delivery out of the last) than when every status had its entries and every status change
moved the message in all three.

A statement should name the states with the values in its text, as the indexes' predicates do. A
PostgreSQL prepared statement's generic plan, made without values, can use a partial index only
then. SQLite, given a bound state where a predicate has a literal, prepares the statement again
for the value at each run (a scratch measurement, an indexed SELECT on a table with such an index:
6.5 us a run with the state bound, 1.25 us with it in the text), and a plan made before values are
bound cannot use the index at all. So every statement over the outbox builds its status terms
here, from the same constants the indexes are declared with. tests/unit/test_hot_query_plans.py
and tests/contract/test_outbox_plans.py check the plans.

The unsent predicate is written as an OR of equalities, not IN: SQLite proves `status = 'pending'`
or `status = 'sending'` implies an OR that has it as a branch, but proves nothing about an IN list.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, TextClause, literal_column, or_, text

from bot.domain.outbox import DeliveryStatus

_PENDING = DeliveryStatus.PENDING.value
_SENDING = DeliveryStatus.SENDING.value

# the indexes' predicates (storage/tables.py and migration 0028)
PENDING_ONLY: TextClause = text(f"status = '{_PENDING}'")
UNSENT_ONLY: TextClause = text(f"status = '{_PENDING}' OR status = '{_SENDING}'")


def _is(status: ColumnElement[str], value: str) -> ColumnElement[bool]:
    return status == literal_column(f"'{value}'")


def pending(status: ColumnElement[str]) -> ColumnElement[bool]:
    """Waiting to be claimed (due or not): what ix_outbox_queue and ix_outbox_due hold."""
    return _is(status, _PENDING)


def sending(status: ColumnElement[str]) -> ColumnElement[bool]:
    """Claimed by a sender: within ix_outbox_chat."""
    return _is(status, _SENDING)


def unsent(status: ColumnElement[str]) -> ColumnElement[bool]:
    """Still on its way, waiting or being sent: what ix_outbox_chat holds."""
    return or_(pending(status), sending(status))
