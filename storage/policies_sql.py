"""Policy registry, audience, outbox and responses on async SQLAlchemy (SQLite or PostgreSQL).

The outbox's claim is one statement: `UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING …`, which
leaves out any message whose chat has an earlier one still on its way. On SQLite every unit of
work begins with `BEGIN IMMEDIATE` (storage.engine), so one writer claims at a time; on PostgreSQL
senders take turns on an advisory lock for the claim (a few milliseconds), so two never see the
same chat's head as free.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    CursorResult,
    Integer,
    Table,
    and_,
    bindparam,
    case,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.operators import custom_op
from sqlmodel import col

from bot.domain.enterprise import Contact
from bot.domain.outbox import DeliveryStatus, MessageKind, OutboxMessage
from bot.domain.policies import MemberGroup, Policy, PolicyResponse, PolicyStatus, ResponseKind
from storage import fast_statements as fast
from storage import new_contacts
from storage import outbox_states as states
from storage.api_sql import queue_policy_published
from storage.mapping import contact_from_row
from storage.policy_mapping import (
    group_from_row,
    group_row,
    outbox_from_values,
    policy_from_row,
    policy_values,
    queued_values,
    response_from_row,
)
from storage.protocols import SenderInfo
from storage.tables import (
    ContactRow,
    MemberGroupRow,
    OutboxRow,
    OutboxSenderRow,
    PolicyResponseRow,
    PolicyRow,
)

OUTBOX: Table = cast(Table, OutboxRow.__table__)  # type: ignore[attr-defined]
_CLAIM_LOCK = 0x58_69_61_6F  # "Xiao": the advisory lock senders take turns on to claim


def _dialect(session: AsyncSession) -> str:
    bind = session.bind
    assert bind is not None, "sessions are made on an engine"
    return bind.dialect.name


def _rowcount(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount


class SqlPolicies:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, policy: Policy) -> Policy:
        row = PolicyRow(**policy_values(policy))
        self._s.add(row)
        await self._s.flush()
        return replace(policy, id=row.id)

    async def get(self, policy_id: int) -> Policy | None:
        row = await self._s.get(PolicyRow, policy_id, populate_existing=True)
        return policy_from_row(row) if row is not None else None

    async def save(self, policy: Policy) -> None:
        await self._s.execute(
            update(PolicyRow)
            .where(col(PolicyRow.id) == policy.id)
            .values(**policy_values(policy))
            .execution_options(synchronize_session=False)
        )

    async def move(self, policy: Policy, expected: PolicyStatus) -> bool:
        result = await self._s.execute(
            update(PolicyRow)
            .where(col(PolicyRow.id) == policy.id, col(PolicyRow.status) == expected.value)
            .values(**policy_values(policy))
            .execution_options(synchronize_session=False)
        )
        moved = _rowcount(result) == 1
        if moved and policy.status is PolicyStatus.PUBLISHED and expected is not PolicyStatus.PUBLISHED:
            # subscribers hear of it in the transaction that publishes it (bot.domain.webhooks)
            await queue_policy_published(self._s, policy, policy.published_at or policy.created_at)
        return moved

    async def listing(self, status: PolicyStatus | None = None, limit: int = 200) -> list[Policy]:
        statement = select(PolicyRow).order_by(col(PolicyRow.id).desc()).limit(limit)
        if status is not None:
            statement = statement.where(col(PolicyRow.status) == status.value)
        return [policy_from_row(r) for r in (await self._s.execute(statement)).scalars()]

    async def draft_of(self, officer_id: str) -> Policy | None:
        statement = (
            select(PolicyRow)
            .where(
                col(PolicyRow.created_by) == officer_id,
                col(PolicyRow.status) == PolicyStatus.DRAFT.value,
                col(PolicyRow.draft_step).is_not(None),
            )
            .order_by(col(PolicyRow.id).desc())
            .limit(1)
        )
        row = (await self._s.execute(statement)).scalar_one_or_none()
        return policy_from_row(row) if row is not None else None


class SqlAudience:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def sync_groups(self, groups: Sequence[MemberGroup]) -> None:
        for group in groups:
            await self._s.merge(group_row(group))
        await self._s.execute(
            update(MemberGroupRow)
            .where(col(MemberGroupRow.id).not_in([g.id for g in groups]))
            .values(active=False)
            .execution_options(synchronize_session=False)
        )
        await self._s.flush()

    async def groups(self) -> list[MemberGroup]:
        statement = select(MemberGroupRow).where(col(MemberGroupRow.active)).order_by(col(MemberGroupRow.id))
        return [group_from_row(r) for r in (await self._s.execute(statement)).scalars()]

    async def bound_contacts(self, channels: Collection[str]) -> list[Contact]:
        statement = (
            select(ContactRow)
            .where(col(ContactRow.enterprise_id).is_not(None), col(ContactRow.channel).in_(list(channels)))
            .order_by(col(ContactRow.id))
        )
        return [contact_from_row(r) for r in (await self._s.execute(statement)).scalars()]


_SENDING = DeliveryStatus.SENDING.value


def _first_of_chat() -> Any:
    """No earlier message of the same chat is still on its way (being sent, or waiting, due or
    not): a chat's messages are handed out one at a time, so a sender may send different chats'
    messages side by side and still never has two of one chat's messages in flight."""
    earlier = OUTBOX.alias("earlier")
    return ~(
        select(earlier.c.id)
        .where(
            earlier.c.channel == OUTBOX.c.channel,
            earlier.c.chat_id == OUTBOX.c.chat_id,
            earlier.c.id < OUTBOX.c.id,
            # the states in the SQL text, so that this reads ix_outbox_chat (storage/outbox_states)
            states.unsent(earlier.c.status),
        )
        .exists()
    )


# The sender's statements, built once with their values bound at execution (as the intake's are,
# storage/sql.py): building a statement and its cache key costs more CPU than SQLite takes to run
# it, and the sender runs these for every message. Parameter names differ from the columns' (an
# UPDATE reserves those for its SET clause).
_NOW = bindparam("now", type_=OUTBOX.c.claimed_at.type)
_CHANNELS: Any = bindparam("channels", expanding=True)
_MINE = and_(
    OUTBOX.c.id == bindparam("number"),
    # the state in the text, as every statement over the outbox names it (storage/outbox_states.py)
    states.sending(OUTBOX.c.status),
    OUTBOX.c.claimed_by == bindparam("sender"),
)
_TAKE_CLAIM_TURN = select(func.pg_advisory_xact_lock(_CLAIM_LOCK))


def _off_indexes(column: Any, sqlite: bool) -> Any:
    """On SQLite, the column behind a unary +, which keeps a term on it off the indexes (SQLite's
    documented way to steer its planner; the value is unchanged, and both sides compare as the
    text they are)."""
    return UnaryExpression(column, operator=custom_op("+"), type_=column.type) if sqlite else column


def _claiming(attempt_answers: bool, channels: Any = _CHANNELS, *, sqlite: bool = False) -> Any:
    # On SQLite the due time and the channel are kept off the indexes, so the claim walks
    # ix_outbox_queue in (priority, id) order and stops at its limit, instead of reading every due
    # message of its channels through ix_outbox_due or ix_outbox_chat and sorting them all for
    # every round (a claim in the Telegram intake benchmark: 332 -> 141 us of CPU; with 900
    # messages queued, 436 -> 109).
    claimable = (
        select(OUTBOX.c.id)
        .where(
            states.pending(OUTBOX.c.status),
            _off_indexes(OUTBOX.c.next_attempt_at, sqlite) <= _NOW,
            _off_indexes(OUTBOX.c.channel, sqlite).in_(channels),
            _first_of_chat(),
        )
        .order_by(OUTBOX.c.priority, OUTBOX.c.id)
        .limit(bindparam("limit"))
    )
    # attempt_answers: the answers' (priority 0) attempts noted in the claim itself
    attempted_at = case((OUTBOX.c.priority == 0, _NOW), else_=None) if attempt_answers else None
    return (
        update(OUTBOX)
        .where(OUTBOX.c.id.in_(claimable))
        .values(status=_SENDING, claimed_by=bindparam("sender"), claimed_at=_NOW, attempted_at=attempted_at)
        .returning(*OUTBOX.c)
    )


_CLAIM = {True: _claiming(True), False: _claiming(False)}  # PostgreSQL: the channels as one list
# SQLite: on the driver, one statement per number of channels (an expanding list cannot run there),
# the channels bound one by one as channel_0, channel_1, ...
_CLAIM_FAST: dict[tuple[bool, int], fast.FastStatement] = {}


def _claim_fast(attempt_answers: bool, channels: int) -> fast.FastStatement:
    found = _CLAIM_FAST.get((attempt_answers, channels))
    if found is None:
        each = [bindparam(f"channel_{i}", type_=OUTBOX.c.channel.type) for i in range(channels)]
        found = _CLAIM_FAST[(attempt_answers, channels)] = fast.FastStatement(
            _claiming(attempt_answers, each, sqlite=True)
        )
    return found


_BEGIN_ATTEMPT = update(OUTBOX).where(_MINE).values(attempted_at=_NOW)
_MARK_SENT = (
    update(OUTBOX)
    .where(_MINE)
    .values(
        status=DeliveryStatus.SENT.value,
        message_id=bindparam("platform_id"),
        more_ids=bindparam("more", type_=OUTBOX.c.more_ids.type),
        attachment=None,  # delivered: the file's bytes need not be kept
        sent_at=_NOW,
        attempts=OUTBOX.c.attempts + 1,
        last_error=None,
    )
)
_RETRY_LATER = (
    update(OUTBOX)
    .where(_MINE)
    .values(
        in_doubt=OUTBOX.c.in_doubt | bindparam("doubt", type_=Boolean),
        status=DeliveryStatus.PENDING.value,
        next_attempt_at=bindparam("due", type_=OUTBOX.c.next_attempt_at.type),
        last_error=bindparam("error"),
        attempts=OUTBOX.c.attempts + bindparam("tried", type_=Integer),
        claimed_by=None,
        claimed_at=None,
        attempted_at=None,
    )
)
_GIVE_UP = (
    update(OUTBOX)
    .where(_MINE)
    .values(status=bindparam("final"), last_error=bindparam("error"), attempts=OUTBOX.c.attempts + 1)
)


def _next_due(sqlite: bool) -> Any:
    # SQLite: the channel kept off the indexes, so this walks ix_outbox_due from the earliest due
    # time and stops at the first message that heads its chat, instead of reading every waiting
    # message of its channels through ix_outbox_chat
    channel = _off_indexes(OUTBOX.c.channel, sqlite)
    return select(func.min(OUTBOX.c.next_attempt_at)).where(
        states.pending(OUTBOX.c.status), channel.in_(_CHANNELS), _first_of_chat()
    )


_NEXT_DUE = {False: _next_due(False), True: _next_due(True)}
_INSERT_OUTBOX = insert(OUTBOX)
# run on the driver (storage/fast_statements): three of these and one insert of three rows a demand
_MARK_SENT_FAST = fast.FastStatement(_MARK_SENT)
_QUEUE_FAST = fast.FastStatement(_INSERT_OUTBOX)


class SqlOutbox:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def enqueue(self, messages: Sequence[OutboxMessage], at: datetime) -> int:
        if not messages:
            return 0
        rows = [queued_values(m, at) for m in messages]
        batches = sorted({(m.kind.value, m.policy_id) for m in messages}, key=lambda b: (b[0], b[1] or 0))
        before = await self._count(batches)
        insert = postgres_insert if _dialect(self._s) == "postgresql" else sqlite_insert
        statement = insert(OUTBOX).on_conflict_do_nothing(
            index_elements=["kind", "policy_id", "channel", "chat_id"]
        )
        await self._s.execute(statement, rows)
        return await self._count(batches) - before

    async def _count(self, batches: Sequence[tuple[str, int | None]]) -> int:
        total = 0
        for kind, policy_id in batches:
            same_policy = (
                OUTBOX.c.policy_id.is_(None) if policy_id is None else OUTBOX.c.policy_id == policy_id
            )
            statement = select(func.count()).select_from(OUTBOX).where(OUTBOX.c.kind == kind, same_policy)
            total += (await self._s.execute(statement)).scalar_one()
        return total

    async def add(self, messages: Sequence[OutboxMessage], at: datetime) -> None:
        """Queue what a handler or a job says (no once-per-recipient rule: that is for notices)."""
        if messages:
            rows = [queued_values(m, at) for m in messages]
            await fast.run_many(self._s, _QUEUE_FAST, rows)

    async def claim(
        self,
        sender_id: str,
        channels: Collection[str],
        at: datetime,
        limit: int,
        *,
        attempt_answers: bool = False,
    ) -> list[OutboxMessage]:
        """Due messages, answers before broadcasts, oldest first, at most one per chat; never a
        message whose chat has an earlier one still on its way (being sent, or waiting to be
        tried again), so each chat gets its messages in the order they were written, whichever
        sender sends them. `attempt_answers`: the answers' attempts are noted in the claim."""
        dialect = _dialect(self._s)
        if dialect == "postgresql":
            # senders take turns to claim, so two never both see a chat's head as free
            await self._s.execute(_TAKE_CLAIM_TURN)
        if dialect == "sqlite" and channels:
            values: dict[str, Any] = {"sender": sender_id, "now": at, "limit": limit}
            values.update((f"channel_{i}", channel) for i, channel in enumerate(channels))
            found = await fast.rows(self._s, _claim_fast(attempt_answers, len(channels)), values)
            claimed = [outbox_from_values(row._mapping) for row in found]
        else:
            parameters = {"sender": sender_id, "now": at, "channels": list(channels), "limit": limit}
            rows = (await self._s.execute(_CLAIM[attempt_answers], parameters)).mappings()
            claimed = [outbox_from_values(row) for row in rows]
        return sorted(claimed, key=lambda m: (m.kind.priority, m.id or 0))

    async def _update(self, statement: Any, message_id: int, sender_id: str, **values: Any) -> bool:
        """Change a message this sender holds; False if it is no longer its."""
        result = await self._s.execute(statement, {"number": message_id, "sender": sender_id, **values})
        return _rowcount(result) == 1

    async def begin_attempt(self, message_id: int, sender_id: str, at: datetime) -> bool:
        return await self._update(_BEGIN_ATTEMPT, message_id, sender_id, now=at)

    async def mark_sent(
        self,
        message_id: int,
        sender_id: str,
        platform_id: str,
        at: datetime,
        more_ids: Sequence[str] = (),
    ) -> bool:
        values = {"number": message_id, "sender": sender_id, "platform_id": platform_id, "now": at}
        return await fast.changed(self._s, _MARK_SENT_FAST, {**values, "more": list(more_ids)}) == 1

    async def retry_later(
        self,
        message_id: int,
        sender_id: str,
        due: datetime,
        error: str,
        *,
        attempted: bool,
        in_doubt: bool = False,
    ) -> bool:
        return await self._update(
            _RETRY_LATER,
            message_id,
            sender_id,
            doubt=in_doubt,
            due=due,
            error=error[:300],
            tried=1 if attempted else 0,
        )

    async def give_up(
        self, message_id: int, sender_id: str, status: DeliveryStatus, error: str, at: datetime
    ) -> bool:
        return await self._update(_GIVE_UP, message_id, sender_id, final=status.value, error=error[:300])

    async def cancel(self, policy_id: int) -> int:
        statement = (
            update(OUTBOX)
            .where(
                OUTBOX.c.policy_id == policy_id,
                OUTBOX.c.kind != MessageKind.REPORT.value,
                or_(
                    states.pending(OUTBOX.c.status),
                    and_(states.sending(OUTBOX.c.status), OUTBOX.c.attempted_at.is_(None)),
                ),
            )
            .values(status=DeliveryStatus.CANCELLED.value)
        )
        return _rowcount(await self._s.execute(statement))

    async def counts(self, policy_id: int, kind: MessageKind) -> dict[DeliveryStatus, int]:
        statement = (
            select(OUTBOX.c.status, func.count())
            .where(OUTBOX.c.policy_id == policy_id, OUTBOX.c.kind == kind.value)
            .group_by(OUTBOX.c.status)
        )
        return {DeliveryStatus(status): n for status, n in (await self._s.execute(statement)).all()}

    async def for_policy(self, policy_id: int, kind: MessageKind) -> list[OutboxMessage]:
        statement = (
            select(OUTBOX)
            .where(OUTBOX.c.policy_id == policy_id, OUTBOX.c.kind == kind.value)
            .order_by(OUTBOX.c.id)
        )
        return [outbox_from_values(row) for row in (await self._s.execute(statement)).mappings()]

    async def backlog(self) -> int:
        """Messages not yet delivered nor given up (waiting or being sent)."""
        statement = select(func.count()).where(states.unsent(OUTBOX.c.status))
        return int((await self._s.execute(statement)).scalar_one())

    async def next_due(self, channels: Collection[str], at: datetime) -> datetime | None:
        """When the next message may be claimed (one behind an earlier message of its chat waits
        for that one, so it does not count)."""
        statement = _NEXT_DUE[_dialect(self._s) == "sqlite"]
        result = await self._s.execute(statement, {"channels": list(channels)})
        found: datetime | None = result.scalar_one_or_none()
        return found

    async def heartbeat(self, sender_id: str, host: str, pid: int, at: datetime) -> None:
        row = await self._s.get(OutboxSenderRow, sender_id)
        if row is None:
            self._s.add(OutboxSenderRow(id=sender_id, host=host, pid=pid, started_at=at, heartbeat_at=at))
        else:
            row.heartbeat_at = at
        await self._s.flush()

    async def senders(self) -> list[SenderInfo]:
        statement = select(OutboxSenderRow).order_by(col(OutboxSenderRow.id))
        return [
            SenderInfo(r.id, r.host, r.pid, r.heartbeat_at)
            for r in (await self._s.execute(statement)).scalars()
        ]

    async def forget_sender(self, sender_id: str) -> None:
        row = await self._s.get(OutboxSenderRow, sender_id)
        if row is not None:
            await self._s.delete(row)
            await self._s.flush()

    async def release_abandoned(self, alive_since: datetime) -> tuple[int, int]:
        alive = select(col(OutboxSenderRow.id)).where(col(OutboxSenderRow.heartbeat_at) >= alive_since)
        return await self._release(or_(OUTBOX.c.claimed_by.is_(None), OUTBOX.c.claimed_by.not_in(alive)))

    async def release_claims(self, sender_id: str) -> tuple[int, int]:
        return await self._release(OUTBOX.c.claimed_by == sender_id)

    async def _release(self, claimed: Any) -> tuple[int, int]:
        """Messages being sent under `claimed` back to pending: untried ones as they were, those
        handed to the platform in doubt."""
        abandoned = and_(states.sending(OUTBOX.c.status), claimed)  # read through ix_outbox_chat
        released = update(OUTBOX).where(abandoned, OUTBOX.c.attempted_at.is_(None))
        returned = _rowcount(
            await self._s.execute(
                released.values(status=DeliveryStatus.PENDING.value, claimed_by=None, claimed_at=None)
            )
        )
        doubtful = update(OUTBOX).where(abandoned, OUTBOX.c.attempted_at.is_not(None))
        in_doubt = _rowcount(
            await self._s.execute(
                doubtful.values(
                    status=DeliveryStatus.PENDING.value,
                    in_doubt=True,
                    attempts=OUTBOX.c.attempts + 1,
                    last_error="the sender stopped while calling the platform",
                    claimed_by=None,
                    claimed_at=None,
                    attempted_at=None,
                )
            )
        )
        return returned, in_doubt


_RESPONSES: Table = PolicyResponseRow.__table__  # type: ignore[attr-defined]
# Asked on every enterprise message: built once, through Core (no ORM rows).
_OPEN_QUESTION = fast.FastStatement(
    select(_RESPONSES)
    .where(
        _RESPONSES.c.contact_id == bindparam("contact_id"),
        _RESPONSES.c.kind == ResponseKind.ASK.value,
        _RESPONSES.c.ticket_number.is_(None),
        _RESPONSES.c.at >= bindparam("since"),
    )
    .order_by(_RESPONSES.c.at.desc(), _RESPONSES.c.id.desc())
    .limit(1)
)


class SqlPolicyResponses:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def record(self, response: PolicyResponse) -> bool:
        # A savepoint, so that a response given twice does not spoil the transaction around it.
        new_contacts.written_for(self._s, response.contact_id)
        try:
            async with self._s.begin_nested():
                self._s.add(
                    PolicyResponseRow(
                        policy_id=response.policy_id,
                        kind=response.kind.value,
                        key=response.key,
                        contact_id=response.contact_id,
                        enterprise_id=response.enterprise_id,
                        at=response.at,
                        ticket_number=response.ticket_number,
                    )
                )
        except IntegrityError:
            return False
        return True

    def _one(self, policy_id: int, kind: ResponseKind, key: str) -> Any:
        return and_(
            col(PolicyResponseRow.policy_id) == policy_id,
            col(PolicyResponseRow.kind) == kind.value,
            col(PolicyResponseRow.key) == key,
        )

    async def get(self, policy_id: int, kind: ResponseKind, key: str) -> PolicyResponse | None:
        statement = select(PolicyResponseRow).where(self._one(policy_id, kind, key))
        row = (await self._s.execute(statement)).scalar_one_or_none()
        return response_from_row(row) if row is not None else None

    async def link_ticket(self, policy_id: int, kind: ResponseKind, key: str, ticket_number: int) -> None:
        await self._s.execute(
            update(PolicyResponseRow)
            .where(self._one(policy_id, kind, key))
            .values(ticket_number=ticket_number)
            .execution_options(synchronize_session=False)
        )

    async def for_policy(self, policy_id: int) -> list[PolicyResponse]:
        statement = (
            select(PolicyResponseRow)
            .where(col(PolicyResponseRow.policy_id) == policy_id)
            .order_by(col(PolicyResponseRow.id))
        )
        return [response_from_row(r) for r in (await self._s.execute(statement)).scalars()]

    async def open_question(self, contact_id: int, since: datetime) -> PolicyResponse | None:
        if new_contacts.has_nothing(self._s, contact_id):  # a first message: asked nothing yet
            return None
        rows = await fast.rows(self._s, _OPEN_QUESTION, {"contact_id": contact_id, "since": since})
        return response_from_row(rows[0]) if rows else None
