"""Repositories on async SQLAlchemy (SQLite or PostgreSQL), one session per unit of work."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from datetime import datetime
from types import TracebackType
from typing import Any, Self, cast

from sqlalchemy import CursorResult, Row, Select, Table, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlmodel import col

from bot.domain.enterprise import Contact, Enterprise
from bot.domain.errors import Conflict
from bot.domain.tickets import Status, Ticket, TicketEvent
from storage import fast_statements as fast
from storage import new_contacts, rules_sql
from storage.api_sql import SqlApiKeys, SqlWebhooks, queue_ticket_event
from storage.binding_sql import SqlMobileBinding
from storage.bulletin_sql import SqlBulletins
from storage.campaigns_sql import SqlCampaigns
from storage.chat_moves_sql import SqlChatMoves
from storage.driver_transaction import DriverTransaction, Inline
from storage.export_sql import SqlTicketExport
from storage.inbox_sql import SqlInbox
from storage.kpi_sql import SqlKpi
from storage.mapping import (
    contact_from_row,
    enterprise_from_row,
    enterprise_row,
    event_from_row,
    event_values,
    stored_lang,
    ticket_check_values,
    ticket_from_row,
    ticket_values,
)
from storage.onboarding_sql import SqlOnboarding
from storage.ops_sql import SqlOpsQueries
from storage.org_sheets_sql import SqlOrgSheets
from storage.org_sql import SqlOrg
from storage.policies_sql import SqlAudience, SqlOutbox, SqlPolicies, SqlPolicyResponses
from storage.protocols import Duplicate, LoggedMessage, RecentDemand
from storage.reminders_sql import SqlReminders, record_check
from storage.report_sql import SqlReports
from storage.retention_sql import SqlRetention
from storage.search_sql import SqlSearch
from storage.send_slots_sql import SqlSendSlots
from storage.subscription_cache import CACHE as SUBSCRIPTION_CACHE
from storage.subscription_cache import CHANGED as SUBSCRIPTIONS_CHANGED
from storage.subscription_cache import SubscriptionCache
from storage.tables import (
    CONTACTS,
    EVENTS,
    MESSAGE_LOG,
    SENT_MESSAGES,
    TICKETS,
    ContactRow,
    EnterpriseRow,
    ForumTopicRow,
    InviteRow,
    MessageLogRow,
)
from storage.web_sql import SqlConsoleQueries, SqlWebAccess

# The hot paths (every message, every new demand) read and write through SQLAlchemy Core on the
# tables: no ORM identity map, unit-of-work flush or row objects, a fraction of the CPU per
# statement. Rows come back as Core rows, which the mapping reads by column name.
_SELECT_TICKETS = select(TICKETS)
_SELECT_CONTACTS = select(CONTACTS)
# Statements built once, values bound at execution: building a statement and its cache key costs
# more CPU than SQLite takes to run it.
_TICKET_BY_NUMBER = _SELECT_TICKETS.where(TICKETS.c.id == bindparam("number"))
_TICKETS_NEWEST = _SELECT_TICKETS.order_by(TICKETS.c.id.desc()).limit(bindparam("limit"))
_TICKETS_OF_CONTACT = fast.FastStatement(_TICKETS_NEWEST.where(TICKETS.c.contact_id == bindparam("key")))
_TICKETS_OF_ENTERPRISE = _TICKETS_NEWEST.where(TICKETS.c.enterprise_id == bindparam("key"))
_RECENT_OPEN = _TICKETS_NEWEST.where(
    rules_sql.OPEN,
    TICKETS.c.category == bindparam("category"),
    TICKETS.c.created_at >= bindparam("since"),
)
_RECENT_OPEN_UNCATEGORISED = _TICKETS_NEWEST.where(  # `category = NULL` would match nothing
    rules_sql.OPEN,
    TICKETS.c.category.is_(None),
    TICKETS.c.created_at >= bindparam("since"),
)
_RECENT_DEMANDS, _RECENT_DEMANDS_UNCATEGORISED = (
    fast.FastStatement(
        statement.with_only_columns(
            TICKETS.c.id, TICKETS.c.enterprise_id, TICKETS.c.contact_id, TICKETS.c.cluster_of, TICKETS.c.text
        )
    )
    for statement in (_RECENT_OPEN, _RECENT_OPEN_UNCATEGORISED)
)
# Which of some tickets are confidential (what officer groups may not read): asked for every reply
# to a department, for the tickets the transaction did not write itself (see SqlTickets.confidential).
_CONFIDENTIAL_AMONG = select(TICKETS.c.id).where(
    TICKETS.c.id.in_(bindparam("numbers", expanding=True)), TICKETS.c.confidential.is_(True)
)
_CONTACT_BY_ID = fast.FastStatement(_SELECT_CONTACTS.where(CONTACTS.c.id == bindparam("contact_id")))
_CONTACT_BY_IDENTITY = fast.FastStatement(
    _SELECT_CONTACTS.where(
        CONTACTS.c.channel == bindparam("channel"), CONTACTS.c.external_id == bindparam("external_id")
    )
)
# The identity's unique key (uq_contacts_identity) decides; each dialect spells it the same.
_ADD_CONTACT = {
    name: fast.FastStatement(
        dialect.insert(CONTACTS)
        .on_conflict_do_nothing(index_elements=["channel", "external_id"])
        .returning(CONTACTS.c.id)
    )
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
# a contact's claims, its question or its language: compiled once for each set of columns set
_UPDATE_CONTACT = fast.FastStatement(update(CONTACTS).where(CONTACTS.c.id == bindparam("contact_id")))
_LINK_TICKET = fast.FastStatement(update(MESSAGE_LOG).where(MESSAGE_LOG.c.id == bindparam("entry_id")))
# the rows every new demand writes; those whose id the caller needs return it
_INSERT_TICKET, _INSERT_MESSAGE = (
    fast.FastStatement(insert(table).returning(table.c.id)) for table in (TICKETS, MESSAGE_LOG)
)
_INSERT_EVENT, _INSERT_SENT = (fast.FastStatement(insert(table)) for table in (EVENTS, SENT_MESSAGES))
# What was sent about a ticket: asked for every reply that is news of a ticket (its group posts
# to rewrite), every reply to a message (which ticket it quotes), every reply in a forum group.
_POSTS_OF_TICKET = fast.FastStatement(
    select(SENT_MESSAGES.c.chat_id, SENT_MESSAGES.c.message_id).where(
        SENT_MESSAGES.c.channel == bindparam("channel"),
        SENT_MESSAGES.c.ticket_number == bindparam("ticket_number"),
        SENT_MESSAGES.c.is_post,
    )
)
_TICKET_OF_SENT = select(SENT_MESSAGES.c.ticket_number).where(
    SENT_MESSAGES.c.channel == bindparam("channel"),
    SENT_MESSAGES.c.chat_id == bindparam("chat_id"),
    SENT_MESSAGES.c.message_id == bindparam("message_id"),
)
_TOPICS: Table = ForumTopicRow.__table__  # type: ignore[attr-defined]
_TOPIC_OF_TICKET = select(_TOPICS.c.thread_id).where(
    _TOPICS.c.channel == bindparam("channel"),
    _TOPICS.c.chat_id == bindparam("chat_id"),
    _TOPICS.c.ticket_number == bindparam("ticket_number"),
)


async def _rows(
    session: AsyncSession, statement: Select[Any], parameters: dict[str, Any] | None = None
) -> list[Row[Any]]:
    return list((await session.execute(statement, parameters)).all())


async def _inserted_id(session: AsyncSession, statement: fast.FastStatement, values: dict[str, Any]) -> int:
    """Insert one row and return the id the database gave it."""
    (row,) = await fast.rows(session, statement, values)
    return int(row[0])


def _queued(officer_id: str, department_id: str, unanswered: bool) -> tuple[Any, ...]:
    """An officer's queue: open (not yet answered, if asked), and theirs, or the department's
    unassigned and not confidential."""
    return (
        rules_sql.UNANSWERED if unanswered else rules_sql.OPEN,
        or_(
            TICKETS.c.assignee_id == officer_id,
            and_(
                TICKETS.c.assignee_id.is_(None),
                TICKETS.c.department_id == department_id,
                TICKETS.c.confidential.is_(False),  # a confidential ticket is not queued for all
            ),
        ),
    )


class SqlTickets:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, ticket: Ticket) -> Ticket:
        number = await _inserted_id(self._s, _INSERT_TICKET, {**ticket_values(ticket), "version": 0})
        await record_check(self._s, ticket_check_values(ticket, number, 0))
        self._written()[number] = ticket.confidential
        self._s.info.setdefault(_OPENED_TICKETS, set()).add(number)
        new_contacts.written_for(self._s, ticket.contact_id)
        return replace(ticket, number=number, version=0)

    def _written(self) -> dict[int, bool]:
        """The tickets this transaction wrote, with their confidentiality as written. Nobody else
        can change them before it ends (PostgreSQL locks a written row until the commit; SQLite has
        one writer), and only `add` and `update` write tickets: so for these, what was written is
        what a read would return. Forgotten at every commit and rollback (SqlUnitOfWork)."""
        written: dict[int, bool] = self._s.info.setdefault(_WRITTEN_TICKETS, {})
        return written

    async def confidential(self, numbers: Collection[int]) -> set[int]:
        """Which of these tickets are confidential: those this transaction wrote as it wrote them
        (no second read of a ticket just opened or changed), the others read."""
        written = self._s.info.get(_WRITTEN_TICKETS, {})
        found = {number for number in numbers if written.get(number)}
        unread = sorted(number for number in numbers if number not in written)
        if unread:
            result = await self._s.execute(_CONFIDENTIAL_AMONG, {"numbers": unread})
            found.update(result.scalars())
        return found

    async def get(self, number: int) -> Ticket | None:
        rows = await _rows(self._s, _TICKET_BY_NUMBER, {"number": number})
        return ticket_from_row(rows[0]) if rows else None

    async def many(self, numbers: Sequence[int]) -> list[Ticket]:
        if not numbers:
            return []
        return await self._tickets(
            _SELECT_TICKETS.where(TICKETS.c.id.in_(sorted(set(numbers)))).order_by(TICKETS.c.id)
        )

    async def update(self, ticket: Ticket) -> Ticket:
        new_contacts.written_for(self._s, ticket.contact_id)
        statement = (
            update(TICKETS)
            .where(and_(TICKETS.c.id == ticket.number, TICKETS.c.version == ticket.version))
            .values(**ticket_values(ticket), version=ticket.version + 1)
        )
        result = cast(CursorResult[Any], await self._s.execute(statement))
        if result.rowcount != 1:
            raise Conflict(ticket=ticket.ref)
        assert ticket.number is not None
        await record_check(self._s, ticket_check_values(ticket, ticket.number, ticket.version + 1))
        self._written()[ticket.number] = ticket.confidential
        return replace(ticket, version=ticket.version + 1)

    async def for_enterprise(self, enterprise_id: str, limit: int = 20) -> list[Ticket]:
        return await self._tickets(_TICKETS_OF_ENTERPRISE, {"key": enterprise_id, "limit": limit})

    async def for_contact(self, contact_id: int, limit: int = 20) -> list[Ticket]:
        if new_contacts.has_nothing(self._s, contact_id):  # a first message: no tickets yet
            return []
        rows = await fast.rows(self._s, _TICKETS_OF_CONTACT, {"key": contact_id, "limit": limit})
        return [ticket_from_row(row) for row in rows]

    async def queue(
        self, officer_id: str, department_id: str, limit: int = 50, *, unanswered: bool = False
    ) -> list[Ticket]:
        statement = (
            _SELECT_TICKETS.where(*_queued(officer_id, department_id, unanswered))
            .order_by(TICKETS.c.urgent.desc(), TICKETS.c.id)
            .limit(limit)
        )
        return await self._tickets(statement)

    async def queue_size(self, officer_id: str, department_id: str, *, unanswered: bool = False) -> int:
        queued = _queued(officer_id, department_id, unanswered)
        statement = select(func.count()).select_from(TICKETS).where(*queued)
        return int((await self._s.execute(statement)).scalar_one())

    async def recent_demands(self, category: str | None, since: datetime, limit: int) -> list[RecentDemand]:
        statement = _RECENT_DEMANDS if category is not None else _RECENT_DEMANDS_UNCATEGORISED
        values = {"category": category, "since": since, "limit": limit}
        return await fast.rows_as(self._s, statement, values, RecentDemand._make)

    async def stale(self, status: Status, updated_before: datetime, limit: int = 500) -> list[Ticket]:
        statement = (
            _SELECT_TICKETS.where(TICKETS.c.status == status.value, TICKETS.c.updated_at < updated_before)
            .order_by(TICKETS.c.updated_at)
            .limit(limit)
        )
        return await self._tickets(statement)

    async def in_cluster(self, lead: int) -> list[Ticket]:
        statement = _SELECT_TICKETS.where(TICKETS.c.cluster_of == lead).order_by(TICKETS.c.id)
        return await self._tickets(statement)

    async def _tickets(
        self, statement: Select[Any], parameters: dict[str, Any] | None = None
    ) -> list[Ticket]:
        return [ticket_from_row(row) for row in await _rows(self._s, statement, parameters)]


class SqlEvents:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def append(self, *events: TicketEvent) -> None:
        """Record events in their order, in one statement (a new demand's opening and dispatch)."""
        await fast.run_many(self._s, _INSERT_EVENT, [event_values(event) for event in events])
        for event in events:
            # the webhook deliveries the change causes commit with it (bot.domain.webhooks)
            await queue_ticket_event(self._s, event, event.at)
        self._s.info.setdefault(_COMMITTED_EVENTS, []).extend(events)  # logged once committed

    async def for_ticket(self, number: int) -> list[TicketEvent]:
        statement = select(EVENTS).where(EVENTS.c.ticket_id == number).order_by(EVENTS.c.id)
        return [event_from_row(row) for row in await _rows(self._s, statement)]


class SqlEnterprises:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, enterprise_id: str) -> Enterprise | None:
        row = await self._s.get(EnterpriseRow, enterprise_id)
        return enterprise_from_row(row) if row is not None else None

    async def add(self, enterprise: Enterprise) -> None:
        if await self._s.get(EnterpriseRow, enterprise.id) is not None:
            raise Duplicate(f"enterprise {enterprise.id}")
        self._s.add(enterprise_row(enterprise))
        try:
            await self._s.flush()
        except IntegrityError as exc:  # another writer got there first, or the USCC is taken
            raise Duplicate(f"enterprise {enterprise.id}: {exc.orig}") from exc

    async def all(self) -> list[Enterprise]:
        statement = select(EnterpriseRow).order_by(col(EnterpriseRow.id))
        return [enterprise_from_row(r) for r in (await self._s.execute(statement)).scalars()]


class SqlContacts:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def by_identity(self, channel: str, external_id: str) -> Contact | None:
        rows = await fast.rows(
            self._s, _CONTACT_BY_IDENTITY, {"channel": channel, "external_id": external_id}
        )
        return contact_from_row(rows[0]) if rows else None

    async def get(self, contact_id: int) -> Contact | None:
        rows = await fast.rows(self._s, _CONTACT_BY_ID, {"contact_id": contact_id})
        return contact_from_row(rows[0]) if rows else None

    async def add(self, contact: Contact) -> Contact:
        """The contact with the id it was given; Duplicate if its identity is taken. One
        statement: the insert gives way to the identity's unique key (no read before it, and no
        error that would end a PostgreSQL transaction)."""
        values = {
            "channel": contact.channel,
            "external_id": contact.external_id,
            "display_name": contact.display_name,
            "lang": stored_lang(contact.lang, chosen=contact.lang_chosen),
            "enterprise_id": contact.enterprise_id,
        }
        try:
            statement = _ADD_CONTACT[self._s.get_bind().dialect.name]
            added = await fast.rows(self._s, statement, values)
        except IntegrityError as exc:  # another constraint (the enterprise it names)
            raise Duplicate(f"contact {contact.channel}:{contact.external_id}") from exc
        if not added:  # the identity is someone's already
            raise Duplicate(f"contact {contact.channel}:{contact.external_id}")
        new_contacts.note(self._s, added[0][0])
        return replace(contact, id=added[0][0])

    async def bind(self, contact_id: int, enterprise_id: str) -> None:
        await self._s.execute(
            update(ContactRow)
            .where(col(ContactRow.id) == contact_id)
            .values(enterprise_id=enterprise_id)
            .execution_options(synchronize_session=False)
        )

    async def set_claims(
        self, contact_id: int, *, company: str | None, uscc: str | None, asking: str | None
    ) -> None:
        await fast.changed(
            self._s,
            _UPDATE_CONTACT,
            {"contact_id": contact_id, "claimed_company": company, "claimed_uscc": uscc, "asking": asking},
        )

    async def set_asking(self, contact_id: int, asking: str | None) -> None:
        await fast.changed(self._s, _UPDATE_CONTACT, {"contact_id": contact_id, "asking": asking})

    async def set_unreachable(self, channel: str, external_id: str, since: datetime | None) -> None:
        await self._s.execute(
            update(CONTACTS)
            .where(CONTACTS.c.channel == channel, CONTACTS.c.external_id == external_id)
            .values(unreachable_since=since)
        )

    async def set_lang(self, contact_id: int, lang: str, *, chosen: bool = False) -> None:
        # on the driver: a message in another language than the app's sets it (handlers/identity)
        values = {"contact_id": contact_id, "lang": stored_lang(lang, chosen=chosen)}
        await fast.changed(self._s, _UPDATE_CONTACT, values)


class SqlMessageLog:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def record(
        self,
        *,
        received_at: datetime,
        channel: str,
        chat_id: str,
        sender_id: str,
        text: str,
        payload: str | None,
    ) -> int:
        values = {
            "received_at": received_at,
            "channel": channel,
            "chat_id": chat_id,
            "sender_id": sender_id,
            "text": text,
            "payload": payload,
        }
        return await _inserted_id(self._s, _INSERT_MESSAGE, values)

    async def link_ticket(self, entry_id: int, ticket_number: int) -> None:
        await fast.changed(self._s, _LINK_TICKET, {"entry_id": entry_id, "ticket_id": ticket_number})

    async def claim(self, entry_id: int, at: datetime) -> bool:
        statement = (
            update(MessageLogRow)
            .where(
                col(MessageLogRow.id) == entry_id,
                col(MessageLogRow.handled_at).is_(None),
                col(MessageLogRow.ticket_id).is_(None),
            )
            .values(handled_at=at)
            .execution_options(synchronize_session=False)
        )
        return cast(CursorResult[Any], await self._s.execute(statement)).rowcount == 1

    async def get(self, entry_id: int) -> LoggedMessage | None:
        row = await self._s.get(MessageLogRow, entry_id)
        if row is None:
            return None
        return LoggedMessage(row.channel, row.chat_id, row.sender_id, row.text, row.ticket_id)


class SqlSentMessages:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def record(
        self, channel: str, chat_id: str, message_id: str, ticket_number: int, *, is_post: bool = False
    ) -> None:
        values = {
            "channel": channel,
            "chat_id": chat_id,
            "message_id": message_id,
            "ticket_number": ticket_number,
            "is_post": is_post,
        }
        await fast.changed(self._s, _INSERT_SENT, values)
        self._s.info.get(_OPENED_TICKETS, set()).discard(ticket_number)  # it has one now

    async def posts(self, channel: str, ticket_number: int) -> list[tuple[str, str]]:
        """A ticket this transaction opened has none (nothing was sent about a ticket that no
        one else can see yet, unless this transaction recorded it): no read for a new demand."""
        if ticket_number in self._s.info.get(_OPENED_TICKETS, ()):
            return []
        parameters = {"channel": channel, "ticket_number": ticket_number}
        return [(row[0], row[1]) for row in await fast.rows(self._s, _POSTS_OF_TICKET, parameters)]

    async def ticket_for(self, channel: str, chat_id: str, message_id: str) -> int | None:
        parameters = {"channel": channel, "chat_id": chat_id, "message_id": message_id}
        found: int | None = (await self._s.execute(_TICKET_OF_SENT, parameters)).scalar_one_or_none()
        return found

    async def topic(self, channel: str, chat_id: str, ticket_number: int) -> str | None:
        parameters = {"channel": channel, "chat_id": chat_id, "ticket_number": ticket_number}
        found: str | None = (await self._s.execute(_TOPIC_OF_TICKET, parameters)).scalar_one_or_none()
        return found

    async def record_topic(self, channel: str, chat_id: str, ticket_number: int, thread_id: str) -> None:
        if await self.topic(channel, chat_id, ticket_number) is None:
            self._s.add(
                ForumTopicRow(
                    channel=channel, chat_id=chat_id, ticket_number=ticket_number, thread_id=thread_id
                )
            )


class SqlInvites:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def create(
        self, code: str, enterprise_id: str, created_by: str, at: datetime, expires_at: datetime
    ) -> None:
        self._s.add(
            InviteRow(
                code=code,
                enterprise_id=enterprise_id,
                created_by=created_by,
                created_at=at,
                expires_at=expires_at,
            )
        )
        await self._s.flush()

    async def redeem(self, code: str, contact_id: int, at: datetime) -> str | None:
        statement = (
            update(InviteRow)
            .where(
                col(InviteRow.code) == code, col(InviteRow.used_at).is_(None), col(InviteRow.expires_at) > at
            )
            .values(used_at=at, used_by_contact=contact_id)
            .execution_options(synchronize_session=False)
        )
        result = cast(CursorResult[Any], await self._s.execute(statement))
        if result.rowcount != 1:
            return None
        return (
            await self._s.execute(select(col(InviteRow.enterprise_id)).where(col(InviteRow.code) == code))
        ).scalar_one()


log = logging.getLogger(__name__)
_COMMITTED_EVENTS = "xiaoer_ticket_events"  # a session's audit events, logged when it commits
_WRITTEN_TICKETS = "xiaoer_tickets_written"  # the tickets a transaction wrote (SqlTickets._written)
_OPENED_TICKETS = "xiaoer_tickets_opened"  # the tickets a transaction inserted, with nothing sent yet


def _log_change(event: TicketEvent) -> None:
    """One line per change of a ticket's state, written only once it is committed."""
    log.info(
        "ticket %s",
        event.action.value,
        extra={
            "fields": {
                "ticket": event.ticket_number,
                "action": event.action.value,
                "from": event.from_status.value if event.from_status else None,
                "to": event.to_status.value,
                "actor": event.actor_id,
            }
        },
    )


def _holds_anything(session: AsyncSession) -> bool:
    """Whether the session is in a transaction or holds objects (else its commit, rollback and
    close would do nothing but cost a greenlet each)."""
    sync = session.sync_session
    return bool(sync.in_transaction() or len(sync.identity_map) or sync.new or sync.deleted)


_holding_writer: ContextVar[bool] = ContextVar("_holding_writer", default=False)
# The unit of work that units of work opened in this task join (see `SqlUnitOfWork.shared`).
_ambient: ContextVar[SqlUnitOfWork | None] = ContextVar("_ambient_unit_of_work", default=None)


class SqlUnitOfWork:
    """One transaction. Opened while another is `shared` in the same task, it joins that one
    instead: its commit leaves the writes for the outer transaction to commit. So handlers keep
    their small units of work, and the caller commits all of them together with the messages they
    cause, or none: an error that escapes fails the whole, which the caller may try again.
    (No savepoints: they would cost two statements a unit of work, and nothing inside handles
    a database error and goes on.)"""

    tickets: SqlTickets
    events: SqlEvents
    enterprises: SqlEnterprises
    contacts: SqlContacts
    org: SqlOrg
    messages: SqlMessageLog
    kpi: SqlKpi
    reports: SqlReports
    sent: SqlSentMessages
    invites: SqlInvites
    reminders: SqlReminders
    inbox: SqlInbox

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        writer: asyncio.Lock | None = None,
        outer: SqlUnitOfWork | None = None,
        subscriptions: SubscriptionCache | None = None,
        inline: Inline | None = None,
    ) -> None:
        self._sessions = sessions
        self._writer = writer
        self._outer = outer
        self._subscriptions = subscriptions
        self._inline = inline  # SQLite: the transaction begun on the driver's connection
        self._session: AsyncSession
        self._own: DriverTransaction | None = None

    async def __aenter__(self) -> Self:
        if self._outer is not None:
            self._session = self._outer._session
        else:
            if self._writer is not None:
                if _holding_writer.get():
                    raise RuntimeError(
                        "a unit of work inside another on SQLite would wait for itself forever"
                    )
                await self._writer.acquire()
                self._holding = _holding_writer.set(True)
            self._session = self._sessions()
            if self._subscriptions is not None:  # the webhook repositories find it there
                self._session.info[SUBSCRIPTION_CACHE] = self._subscriptions
            if self._inline is not None:
                engine = self._session.bind
                assert isinstance(engine, AsyncEngine)
                self._own = DriverTransaction(engine, self._session, self._inline)
        self.tickets = SqlTickets(self._session)
        self.events = SqlEvents(self._session)
        self.enterprises = SqlEnterprises(self._session)
        self.contacts = SqlContacts(self._session)
        self.org = SqlOrg(self._session)
        self.messages = SqlMessageLog(self._session)
        self.kpi = SqlKpi(self._session)
        self.reports = SqlReports(self._session)
        self.sent = SqlSentMessages(self._session)
        self.invites = SqlInvites(self._session)
        self.reminders = SqlReminders(self._session)
        self.inbox = SqlInbox(self._session)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._outer is not None:
            return
        self._session.info.pop(_COMMITTED_EVENTS, None)  # rolled back: those changes never happened
        self._session.info.pop(_WRITTEN_TICKETS, None)
        self._session.info.pop(_OPENED_TICKETS, None)
        new_contacts.forget(self._session)
        self._session.info.pop(SUBSCRIPTIONS_CHANGED, None)
        try:
            if _holds_anything(self._session):  # else rolling back and closing are no-ops
                try:
                    await self._session.rollback()
                finally:
                    await self._session.close()
        finally:
            try:
                if self._own is not None:
                    await self._own.end(commit=False)
            finally:
                if self._writer is not None:
                    _holding_writer.reset(self._holding)
                    self._writer.release()

    async def commit(self) -> None:
        if self._outer is not None:  # the outer transaction commits
            await self._session.flush()
            return
        self._session.info.pop(_WRITTEN_TICKETS, None)  # committed: others may change them now
        self._session.info.pop(_OPENED_TICKETS, None)  # and send about them
        new_contacts.forget(self._session)
        changed = self._session.info.pop(SUBSCRIPTIONS_CHANGED, False)
        if self._own is None or self._own.driver is None:
            await self._session.commit()
        else:
            if _holds_anything(self._session):  # joined: flushed, the commit is left to ours
                await self._session.commit()
            await self._own.end(commit=True)
        if changed and self._subscriptions is not None:
            self._subscriptions.forget()
        for event in self._session.info.pop(_COMMITTED_EVENTS, []):
            _log_change(event)

    @contextmanager
    def shared(self) -> Iterator[None]:
        """Within this block, units of work opened by this task (and tasks it starts) join this one."""
        token = _ambient.set(self)
        try:
            yield
        finally:
            _ambient.reset(token)

    # The policy repositories (storage/policies_sql.py) hold nothing but the session: made on use.
    @property
    def policies(self) -> SqlPolicies:
        return SqlPolicies(self._session)

    @property
    def audience(self) -> SqlAudience:
        return SqlAudience(self._session)

    @property
    def chats(self) -> SqlChatMoves:
        return SqlChatMoves(self._session)

    @property
    def outbox(self) -> SqlOutbox:
        return SqlOutbox(self._session)

    @property
    def policy_responses(self) -> SqlPolicyResponses:
        return SqlPolicyResponses(self._session)

    # The centre-wide view, onboarding and retention (storage/search_protocols.py): made on use too.
    @property
    def search(self) -> SqlSearch:
        return SqlSearch(self._session)

    @property
    def onboarding(self) -> SqlOnboarding:
        return SqlOnboarding(self._session)

    @property
    def mobile_binding(self) -> SqlMobileBinding:
        return SqlMobileBinding(self._session)

    @property
    def org_sheets(self) -> SqlOrgSheets:
        return SqlOrgSheets(self._session)

    @property
    def retention(self) -> SqlRetention:
        return SqlRetention(self._session)

    @property
    def ticket_export(self) -> SqlTicketExport:
        return SqlTicketExport(self._session)

    @property
    def ops(self) -> SqlOpsQueries:
        return SqlOpsQueries(self._session)

    # The HTTP API's keys and the webhook subscriptions (storage/api_sql.py): made on use too.
    @property
    def api_keys(self) -> SqlApiKeys:
        return SqlApiKeys(self._session)

    @property
    def webhooks(self) -> SqlWebhooks:
        return SqlWebhooks(self._session)

    @property
    def campaigns(self) -> SqlCampaigns:  # door-knocking campaigns (storage/campaign_protocols.py)
        return SqlCampaigns(self._session)

    @property
    def bulletins(
        self,
    ) -> SqlBulletins:  # the leadership bulletin and its archive (storage/bulletin_protocols.py)
        return SqlBulletins(self._session)

    # The web console (storage/web_protocols.py).
    @property
    def web(self) -> SqlWebAccess:
        return SqlWebAccess(self._session)

    @property
    def console(self) -> SqlConsoleQueries:
        return SqlConsoleQueries(self._session)

    @property
    def send_slots(self) -> SqlSendSlots:  # a bot's send rate, shared by its processes
        return SqlSendSlots(self._session)


class SqlStorage:
    """Makes units of work on one engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        # SQLite has one writer, and every unit of work here begins with the write lock: taking
        # turns in-process costs nothing, while contending through SQLite's busy handler sleeps
        # for milliseconds at a time. (Other processes still wait on the busy timeout.)
        self._writer = asyncio.Lock() if engine.dialect.name == "sqlite" else None
        self._inline = Inline() if engine.dialect.name == "sqlite" else None
        self.subscriptions = SubscriptionCache()  # the active webhook subscriptions, for a second

    def __call__(self) -> SqlUnitOfWork:
        outer = _ambient.get()
        if outer is not None and outer._sessions is self._sessions:
            return SqlUnitOfWork(self._sessions, self._writer, outer)
        return SqlUnitOfWork(
            self._sessions, self._writer, subscriptions=self.subscriptions, inline=self._inline
        )
