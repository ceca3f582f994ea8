"""The reminder sweep's queries on SQL: due tickets by the partial index on their check time, and
the nudge ledger, claimed with INSERT … ON CONFLICT DO NOTHING RETURNING (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    bindparam,
    literal_column,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.escalation import (
    ClockedTicket,
    DueTicket,
    Level,
    NudgeKey,
    SentReminder,
    reminders_before,
)
from bot.domain.tickets import Status, Ticket, TicketGist
from storage import fast_statements as fast
from storage import rules_sql
from storage.mapping import ticket_from_row
from storage.tables import DUE_COPIED, NUDGES, TICKET_CHECKS, TICKETS

_DIGEST = "digest"


def _upsert_check(insert: Any) -> Any:
    return insert.on_conflict_do_update(
        index_elements=[TICKET_CHECKS.c.ticket_id],
        # every column but the key: the check and the ticket's columns the sweep reads
        set_={
            column.name: insert.excluded[column.name]
            for column in TICKET_CHECKS.c
            if column.name != "ticket_id"
        },
    )


# Both dialects spell ON CONFLICT the same; each compiles its own.
_UPSERT_CHECK = {
    "postgresql": _upsert_check(postgresql.insert(TICKET_CHECKS)),
    "sqlite": _upsert_check(sqlite.insert(TICKET_CHECKS)),
}


# On an SQLite file, on the driver (storage/fast_statements): every new demand and change writes it.
_UPSERT_CHECK_FAST = fast.FastStatement(_UPSERT_CHECK["sqlite"])


async def record_check(session: AsyncSession, values: dict[str, Any]) -> None:
    """A ticket was written: its check row says so, in the same transaction (mapping.ticket_check_values).

    An upsert, not an update, so that a ticket written without its row (by hand, say) gets one."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        await fast.changed(session, _UPSERT_CHECK_FAST, values)
    else:
        await session.execute(_UPSERT_CHECK[dialect], values)


_LEADERSHIP: ColumnElement[str] = literal_column(f"'{Level.LEADERSHIP.value}'")


# A ticket changed since the sweep read it (another version) keeps the check its change asked for;
# the version is compared on the check's own row, which a concurrent change of the ticket locks
# and rewrites, so PostgreSQL re-checks it against the new version before moving it. `= ANY` finds
# the page's rows by the primary key: joined to the page alone, the planner hashed the whole table
# (18 ms of a page's 22 at 100,000 tickets, and growing with the table).
#
# The sweep's statements on PostgreSQL are the driver's own SQL ($1 …), run with exec_driver_sql:
# no statement to compile or cache key to build, and rows as the driver returns them (asyncpg
# gives timestamptz as aware UTC datetimes already), not through SQLAlchemy's result processing,
# which cost ~15 µs a due ticket of the sweep's CPU.
_RESCHEDULE = """
    UPDATE ticket_checks SET next_check_at = timestamptz 'epoch' + page.check_at * interval '1 microsecond'
    FROM unnest(
        string_to_array(${numbers}::text, ',')::integer[], string_to_array(${versions}::text, ',')::integer[],
        string_to_array(${checks}::text, ',', '')::int8[]
    ) AS page(number, read_version, check_at)
    WHERE ticket_checks.ticket_id = ANY(string_to_array(${numbers}::text, ',')::integer[])
        AND ticket_checks.ticket_id = page.number AND ticket_checks.ticket_version = page.read_version
"""
_RESCHEDULE_PG = _RESCHEDULE.format(numbers=1, versions=2, checks=3)


# ON CONFLICT DO NOTHING: a key another instance inserted first (or is inserting: PostgreSQL waits
# for its transaction) is skipped and not returned; only the keys returned are ours to send. The
# rows go in in the keys' order, the same for every instance (sorted here, in C, rather than in
# Python), so concurrent claims wait on each other and never in a cycle.
#
# What comes back is one row, how many keys this claim won, when it won them all (the usual
# sweep: nothing to send over or decode but a number); else that count beside each key won, or
# beside NULLs when it won none. The clock and level names ride in as one comma-joined text each
# (they are identifiers, never holding a comma), and so do the integers (_joined) and the moments
# (_micros): asyncpg checks and encodes an array element by element, 1.2 ms a page for each such
# column of 4,000 names and 2.9 ms for 4,000 timestamptz, a join and a split a fraction of it.
_CLAIMED = """
    claimed AS (
        INSERT INTO nudges (ticket_number, kind, due_at, level, repeat, recipient, claimed_at)
        SELECT claim.ticket, claim.kind, timestamptz 'epoch' + claim.due_at * interval '1 microsecond',
            claim.level, claim.repeat, '', $6
        FROM unnest(
            string_to_array($1::text, ',')::integer[], string_to_array($2::text, ','),
            string_to_array($3::text, ',')::int8[], string_to_array($4::text, ','),
            string_to_array($5::text, ',')::integer[]
        ) AS claim(ticket, kind, due_at, level, repeat)
        ORDER BY claim.ticket, claim.kind, claim.due_at, claim.level, claim.repeat
        ON CONFLICT DO NOTHING
        RETURNING ticket_number, kind, due_at, level, repeat
    ), won AS (SELECT count(*) AS keys FROM claimed)
"""
_WON = " SELECT won.keys, claimed.* FROM won LEFT JOIN claimed ON won.keys < $7"
CLAIM_PG = f"WITH {_CLAIMED}{_WON}"

# A page's claim and its move in one statement (PostgreSQL runs a data-modifying WITH to its end
# whether or not the query reads it): one round trip, and the database works through both while
# the sweep plans the next page. Sent one after the other, the move went out once the claim's
# answer was taken, found the planning done, and the process waited for it (13-18 ms a page).
_CLAIM_AND_RESCHEDULE_PG = (
    f"WITH moved AS ({_RESCHEDULE.format(numbers=8, versions=9, checks=10)}), {_CLAIMED}{_WON}"
)


# The reminders (of the sweep, not the digests) sent about these tickets: one filter over the
# ledger with the tickets' numbers as a set (joined to the page's arrays instead, a ledger that had
# just grown from empty was planned as one row and scanned whole for each key: 400 ms a page).
# PostgreSQL may still scan the ledger rather than its unique index; it is cheap only while the
# set is hashed, which needs a plan made for the numbers given (below).
REMINDERS_OF_PG = f"""
    SELECT ticket_number, kind, due_at, repeat FROM nudges
    WHERE ticket_number = ANY(string_to_array($1::text, ',')::integer[])
        AND level = '{Level.REMIND.value}' AND recipient = ''
"""


# The lookup above is a prepared statement, which PostgreSQL may plan once for any parameters
# after five runs (a generic plan). Planned without the numbers, `= ANY(…)` cannot be turned into a
# hashed set: a ledger whose statistics still said it was small (just grown from empty) was scanned
# with each row compared to a page's 2,000 numbers one by one, 0.6 s a page (measured with
# plan_cache_mode = force_generic_plan, when each page asked). Planned for the numbers given, the
# set is hashed. The sweep now asks once, for the lines its messages spell out (a few hundred).
_CUSTOM_PLANS_PG = "SET LOCAL plan_cache_mode = force_custom_plan"

# A sweep of one page sets and resets the mode without statements of its own (two round trips,
# each waiting for the plan to look at the event loop: about 1.3 ms of a 10 ms sweep): its first
# read sets it when the page is the whole sweep (see _first_page_pg), and the early read below
# resets it once it is planned. `set_config(…, NULL, true)` is `SET LOCAL … TO DEFAULT`.
_RESET_PLANS_PG = "set_config('plan_cache_mode', NULL, true)"


# What a sweep's messages name of the tickets they spell out (TicketGist), by primary key.
_DESCRIBED_PG = """
    SELECT id, text, confidential, assignee_id FROM tickets
    WHERE id = ANY(string_to_array($1::text, ',')::integer[])
"""

# A sweep of one page reads both of the above in one statement (a round trip less, while its plan
# runs): each ticket's gist, then each reminder about it, told apart by the first column.
FOR_MESSAGES_PG = f"""
    SELECT true, id, text, confidential, assignee_id, NULL, NULL::timestamptz, NULL::integer
    FROM tickets WHERE id = ANY(string_to_array($1::text, ',')::integer[])
    UNION ALL
    SELECT false, ticket_number, NULL, NULL, NULL, kind, due_at, repeat FROM nudges
    WHERE ticket_number = ANY(string_to_array($1::text, ',')::integer[])
        AND level = '{Level.REMIND.value}' AND recipient = ''
    UNION ALL
    SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL WHERE {_RESET_PLANS_PG} IS NULL
"""


# What the ladder reads of a due ticket (DueTicket's fields, in order, then the check time), all
# on the ticket's check row (TicketCheckRow): not the ticket's row, which a sweep reading thousands
# would reach through tickets_pkey and a random page of the wide table each, and whose text only the
# few tickets its messages describe need.
_DUE_COLUMNS = ("ticket_id", *DUE_COPIED, "next_check_at")


def due_statement(now: datetime, after: tuple[datetime, int] | None, limit: int) -> Select[Any]:
    """Tickets whose check time has come, a page at a time (benchmarks/sweep.py EXPLAINs it), in
    the order of the checks' partial index. The statement is built once per shape (building it
    took 2 ms, a tenth of a steady sweep's CPU)."""
    checked_at, number = after if after is not None else (now, 0)
    return _DUE_SHAPES[after is not None].params(
        now=now, after_at=checked_at, after_number=number, limit=limit
    )


def _due_shape(paged: bool) -> Select[Any]:
    """A page of check rows in the order of their partial index, which on PostgreSQL holds every
    column read (an index-only scan, stopped at the LIMIT: 1.9 ms a page of 2,000 at 1,000,000
    tickets, where a key lookup per row in the check rows took 16 ms, and in tickets 27). No
    condition on the ticket's state: a closed ticket's check is NULL (record_check), and one given
    a check anyway is looked at once, found with no clock running, and set to NULL."""
    c = TICKET_CHECKS.c
    key = (c.next_check_at, c.ticket_id)
    page = select(*(c[name] for name in _DUE_COLUMNS)).where(
        c.next_check_at.is_not(None), c.next_check_at <= bindparam("now", type_=c.next_check_at.type)
    )
    if paged:
        later = tuple_(
            bindparam("after_at", type_=c.next_check_at.type),
            bindparam("after_number", type_=c.ticket_id.type),
        )
        page = page.where(tuple_(*key) > later)
    return page.order_by(*key).limit(bindparam("limit", type_=Integer))


_DUE_SHAPES = {paged: _due_shape(paged) for paged in (False, True)}


def _driver_sql(statement: Select[Any]) -> tuple[str, tuple[str, ...], dict[str, Any]]:
    """A statement compiled once for asyncpg: its SQL, the order of its parameters, and the values
    of those it fixes itself, if any."""
    compiled = statement.compile(dialect=_ASYNCPG)
    return str(compiled), tuple(compiled.positiontup or ()), dict(compiled.params)


def _joined(numbers: Sequence[int]) -> str:
    """Integers for the driver's SQL as one comma-joined text, split and cast there
    (`string_to_array($n::text, ',')::integer[]`): asyncpg checks each element of an array
    against abstract base classes before encoding it; 4,000 integers cost 1.15 ms of the client's
    CPU as an integer[], 0.55 as a joined text (14,000 integers a page of the sweep)."""
    return ",".join(map(str, numbers))


# A status by its stored name: calling the enum costs 0.6 µs, a due ticket each.
_STATUSES = {status.value: status for status in Status}
_ASYNCPG = asyncpg.dialect()  # type: ignore[no-untyped-call]
_DUE_PG = {paged: _driver_sql(_DUE_SHAPES[paged]) for paged in (False, True)}


def _first_page_pg() -> tuple[str, tuple[str, ...], dict[str, Any]]:
    """A sweep's first read on PostgreSQL: its first page of due tickets, which also sets custom
    plans for the rest of the transaction when that page is the whole sweep (more than none and
    fewer than asked): what a sweep of one page reads next, while it plans (FOR_MESSAGES_PG), is
    then planned for its numbers, and resets the mode. Set as this statement runs, the mode
    applies only to the statements after it. A longer sweep's pages are left as they are planned."""
    sql, order, fixed = _DUE_PG[False]
    limit = f"${order.index('limit') + 1}"
    wrapped = f"""
        WITH page AS MATERIALIZED ({sql}),
        plans AS MATERIALIZED (
            SELECT set_config('plan_cache_mode', CASE WHEN count(*) > 0 AND count(*) < {limit}
                THEN 'force_custom_plan' ELSE current_setting('plan_cache_mode') END, true)
            FROM page
        )
        SELECT page.* FROM page CROSS JOIN plans ORDER BY page.next_check_at, page.ticket_id
    """
    return wrapped, order, fixed


_FIRST_PAGE_PG = _first_page_pg()


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _micros(moments: Sequence[datetime | None]) -> str:
    """Aware moments for the driver's SQL as one comma-joined text of microseconds since the epoch
    (empty for None), turned back into timestamptz there by `timestamptz 'epoch' + n * interval
    '1 microsecond'`, which is exact (checked on 200,000 random moments over a century): 0.28 µs
    a moment here, where asyncpg's timestamptz[] took 0.7."""
    return ",".join("" if moment is None else str((moment - _EPOCH) // _MICROSECOND) for moment in moments)


def _claim_parameters(keys: Sequence[NudgeKey], at: datetime) -> tuple[Any, ...]:
    """The claim's $1-$7: the keys column by column, the time, and how many keys."""
    tickets, kinds, dues, levels, repeats = zip(*keys, strict=True)
    return (
        _joined(tickets),
        ",".join(kinds),
        _micros(dues),
        ",".join(levels),
        _joined(repeats),
        at,
        len(keys),
    )


def _reschedule_parameters(checks: Sequence[tuple[ClockedTicket, datetime | None]]) -> tuple[Any, ...]:
    """The move's numbers, versions read and new check times, in the tickets' order (every
    instance locks the rows in the same order)."""
    ordered = sorted(checks, key=lambda pair: pair[0].number or 0)
    numbers = _joined([ticket.number or 0 for ticket, _ in ordered])
    versions = _joined([ticket.version for ticket, _ in ordered])
    return numbers, versions, _micros([at for _, at in ordered])


def _won_pg(keys: Sequence[NudgeKey], rows: list[Any]) -> list[bool]:
    """Which keys the claim's answer says are ours: its first column counts them, so when it is
    all of them nothing else is read (the usual sweep)."""
    if rows[0][0] == len(keys):  # every key claimed now (so none repeated)
        return [True] * len(keys)
    return _won(keys, [row[1:] for row in rows if row[1] is not None])


def _won(keys: Sequence[NudgeKey], won: Sequence[Any]) -> list[bool]:
    """For each key, whether the claim inserted it (the rows it returned), at its first place in
    `keys` (a key repeated later in the same claim is not claimed twice)."""
    if len(won) == len(keys):
        return [True] * len(keys)
    ours = {NudgeKey(*row) for row in won}
    first: dict[NudgeKey, int] = {}
    for position, key in enumerate(keys):
        first.setdefault(key, position)
    return [key in ours and first[key] == position for position, key in enumerate(keys)]


class SqlReminders:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session
        # PostgreSQL: whether this transaction plans its statements for their parameters now
        # (set by a first page that is the whole sweep, reset by the early read after it)
        self._custom_plans = False

    async def due(
        self, now: datetime, after: tuple[datetime, int] | None = None, limit: int = 500
    ) -> list[DueTicket]:
        if self._dialect() == "postgresql":
            sql, order, fixed = _DUE_PG[True] if after is not None else _FIRST_PAGE_PG
            checked_at, number = after if after is not None else (now, 0)
            values = {**fixed, "now": now, "after_at": checked_at, "after_number": number, "limit": limit}
            rows = await self._driver(sql, tuple(values[name] for name in order))
            if after is None:
                self._custom_plans = 0 < len(rows) < limit
        else:
            rows = (await self._s.execute(due_statement(now, after, limit))).all()
        # Plain rows, not ORM objects: the sweep reads thousands at a time.
        return [DueTicket(row[0], row[1], _STATUSES[row[2]], *row[3:]) for row in rows]

    async def reschedule(self, checks: Sequence[tuple[ClockedTicket, datetime | None]]) -> None:
        if not checks:
            return
        if self._dialect() == "postgresql":
            # One statement for the whole page: the new check times ride in as arrays.
            await self._driver(_RESCHEDULE_PG, _reschedule_parameters(checks))
            return
        ordered = sorted(checks, key=lambda pair: pair[0].number or 0)
        c = TICKET_CHECKS.c
        statement = (
            update(TICKET_CHECKS)
            .where(c.ticket_id == bindparam("number"), c.ticket_version == bindparam("read_version"))
            .values(next_check_at=bindparam("check_at"))
        )
        params = [
            {"number": ticket.number, "read_version": ticket.version, "check_at": at}
            for ticket, at in ordered
        ]
        await self._s.execute(statement, params)

    async def claim(self, keys: Sequence[NudgeKey], at: datetime) -> list[bool]:
        if not keys:
            return []
        if self._dialect() == "postgresql":
            # The whole page in one statement, its keys riding in as arrays.
            return _won_pg(keys, await self._driver(CLAIM_PG, _claim_parameters(keys, at)))
        return _won(keys, await self._claim_sqlite(keys, at))

    async def claim_and_reschedule(
        self, keys: Sequence[NudgeKey], at: datetime, checks: Sequence[tuple[ClockedTicket, datetime | None]]
    ) -> list[bool]:
        if self._dialect() != "postgresql" or not keys or not checks:
            won = await self.claim(keys, at)
            await self.reschedule(checks)
            return won
        parameters = (*_claim_parameters(keys, at), *_reschedule_parameters(checks))
        return _won_pg(keys, await self._driver(_CLAIM_AND_RESCHEDULE_PG, parameters))

    async def _claim_sqlite(self, keys: Sequence[NudgeKey], at: datetime) -> list[Any]:
        # One order for every instance: concurrent claims wait on each other, never in a cycle.
        rows = [
            {
                "ticket_number": key.ticket,
                "kind": key.kind,
                "due_at": key.due_at,
                "level": key.level,
                "repeat": key.repeat,
                "recipient": "",
                "claimed_at": at,
            }
            for key in sorted(set(keys))
        ]
        n = NUDGES.c
        statement = (
            sqlite.insert(NUDGES)
            .on_conflict_do_nothing()
            .returning(n.ticket_number, n.kind, n.due_at, n.level, n.repeat)
        )
        # Executed with many rows, SQLAlchemy batches them into multi-row INSERTs ("insertmanyvalues")
        # from one compiled statement; the rows that conflict return nothing.
        return list((await self._s.execute(statement, rows)).all())

    async def earlier_reminders(self, keys: Sequence[NudgeKey]) -> list[int]:
        if not keys:
            return []
        numbers = sorted({key.ticket for key in keys})
        if self._dialect() == "postgresql":
            await self._driver(_CUSTOM_PLANS_PG, ())
        return reminders_before(keys, await self._reminders_of(numbers))

    async def for_messages(self, numbers: Sequence[int]) -> tuple[list[TicketGist], list[SentReminder]]:
        if not numbers:
            return [], []
        wanted = sorted(set(numbers))
        if self._dialect() != "postgresql":
            return await self.described(wanted), await self._reminders_of(wanted)
        # Planned for these numbers (see _CUSTOM_PLANS_PG: set here unless the sweep's first read
        # set it), then back to the connection's own mode for what follows in the transaction (the
        # sweep's claim, whose generic plan is kept): the read resets it as it runs
        if not self._custom_plans:
            await self._driver(_CUSTOM_PLANS_PG, ())
        rows = await self._driver(FOR_MESSAGES_PG, (_joined(wanted),))
        self._custom_plans = False
        gists = [TicketGist(*row[1:5]) for row in rows if row[0]]
        return gists, [SentReminder(row[1], *row[5:]) for row in rows if not row[0]]

    async def _reminders_of(self, numbers: Sequence[int]) -> list[SentReminder]:
        """The reminders of the sweep the ledger holds about these tickets (numbers sorted)."""
        if self._dialect() == "postgresql":
            rows = await self._driver(REMINDERS_OF_PG, (_joined(numbers),))
        else:
            n = NUDGES.c
            statement = select(n.ticket_number, n.kind, n.due_at, n.repeat).where(
                n.ticket_number.in_(numbers), n.level == Level.REMIND.value, n.recipient == ""
            )
            rows = list((await self._s.execute(statement)).all())
        return [SentReminder(*row) for row in rows]

    async def described(self, numbers: Sequence[int]) -> list[TicketGist]:
        if not numbers:
            return []
        wanted = sorted(set(numbers))
        if self._dialect() == "postgresql":
            rows = await self._driver(_DESCRIBED_PG, (_joined(wanted),))
        else:
            t = TICKETS.c
            statement = select(t.id, t.text, t.confidential, t.assignee_id).where(t.id.in_(wanted))
            rows = list((await self._s.execute(statement)).all())
        return [TicketGist(*row) for row in rows]

    async def claimed(self, keys: Sequence[NudgeKey]) -> set[NudgeKey]:
        wanted = set(keys)
        if not wanted:
            return set()
        n = NUDGES.c
        statement = select(n.ticket_number, n.kind, n.due_at, n.level, n.repeat).where(
            n.ticket_number.in_(sorted({key.ticket for key in wanted})), n.recipient == ""
        )
        found = {NudgeKey(*row) for row in (await self._s.execute(statement)).all()}
        return found & wanted

    async def reported(self, limit: int = 200) -> list[Ticket]:
        t, n = TICKETS.c, NUDGES.c
        statement = (
            select(TICKETS)
            .where(
                # answered tickets wait for the enterprise's verdict: nothing for leaders to press
                rules_sql.UNANSWERED,
                # the literal matches the partial index's predicate
                t.id.in_(select(n.ticket_number).where(n.level == _LEADERSHIP)),
            )
            .order_by(t.resolve_by, t.id)  # the most overdue first, so a long list loses the least
            .limit(limit)
        )
        rows = (await self._s.execute(statement)).all()
        return [ticket_from_row(row) for row in rows]

    async def claim_digest(self, kind: str, recipient: str, day: date, at: datetime) -> bool:
        row = {
            "ticket_number": 0,
            "kind": kind,
            "due_at": datetime.combine(day, time(), tzinfo=UTC),
            "level": _DIGEST,
            "repeat": 0,
            "recipient": recipient,
            "claimed_at": at,
        }
        statement = self._insert().values(row).on_conflict_do_nothing().returning(NUDGES.c.ticket_number)
        return (await self._s.execute(statement)).first() is not None

    def _insert(self) -> Any:
        """The dialect's INSERT, which knows ON CONFLICT (both spell it the same)."""
        return postgresql.insert(NUDGES) if self._dialect() == "postgresql" else sqlite.insert(NUDGES)

    def _dialect(self) -> str:
        return self._s.get_bind().dialect.name

    async def _driver(self, sql: str, parameters: tuple[Any, ...]) -> list[Any]:
        """Run the driver's own SQL in this unit of work's transaction; its rows, if it has any."""
        connection = await self._s.connection()
        result = await connection.exec_driver_sql(sql, parameters)
        return list(result.all()) if result.returns_rows else []
