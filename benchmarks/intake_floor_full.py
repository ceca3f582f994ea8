"""The floor with every obligation: what a new demand must cost, done the simplest way.

benchmarks/telegram_intake.py's in-place floor keeps the update, a ticket of the NLU's parse and
three messages of fixed text, sends them and marks them sent. That leaves out most of what Xiaoer
is asked to do for a new demand, so "Xiaoer at 0.86 of the in-place floor" (what goal 1 of issue
22 needs) asks the rest to cost almost nothing. This floor adds the rest, each obligation done
once, in plain SQL on the in-place floor's one sqlite3 connection, with Xiaoer's own domain and
rendering code (nothing of its storage, runtime or outbox machinery):

- the update kept before anything is answered, and recognised if the platform sends it again;
- the sender found in the contact book, or added with the language it wrote in;
- the message logged, with the ticket it opened;
- the ticket opened and routed (bot.domain.lifecycle, bot.domain.routing) with its deadlines
  counted in working days (bot.domain.sla), and its two audit events;
- the shared-problem check (handlers.similar.shared_problem, over the same sixty recent open
  tickets of the category, read by one SELECT);
- the replies Xiaoer renders (handlers.intake: the acknowledgement with its buttons, the
  department's post; the verification question), the post masked as a group may read it
  (handlers.render.mask_private);
- the messages stored as pending with what a retry needs (recipient, text, buttons, ticket), sent
  through Xiaoer's Telegram transport, and marked sent with the platform's ids.

Two fsync'd commits an update, as the in-place floor (goal 2 allows two). Like the in-place floor
it runs start to end between awaits, so it needs no lock; unlike Xiaoer it does not survive a
crash between the two transactions (the pending messages would wait for a sender that this design
does not have), so it is a floor, not a design to ship.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from aiogram import Bot
from aiogram.types import Message

from bot.channels.pacing import Pacer
from bot.channels.telegram.transport import TelegramTransport
from bot.domain.messages import Actor, Reply, Role, ToDepartment, ToOfficer
from bot.domain.outbox import MessageKind, OutboxMessage
from bot.domain.tickets import TicketEvent
from bot.i18n import t
from handlers import render, similar
from handlers.deps import Deps, utc_now
from handlers.intake import acknowledge, new_ticket, routed_notices, ticket_buttons
from nlu.types import NluBackend
from storage.protocols import RecentDemand, UnitOfWork

SCHEMA = (
    "CREATE TABLE inbox (id INTEGER PRIMARY KEY, delivery TEXT UNIQUE, chat_id INTEGER, text TEXT,"
    " received_at TEXT)",
    "CREATE TABLE contacts (id INTEGER PRIMARY KEY, channel TEXT, external_id TEXT, name TEXT, lang TEXT,"
    " enterprise_id TEXT, asking TEXT, UNIQUE (channel, external_id))",
    "CREATE TABLE message_log (id INTEGER PRIMARY KEY, contact_id INTEGER, chat_id TEXT, text TEXT,"
    " intent TEXT, ticket_id INTEGER, at TEXT)",
    "CREATE TABLE tickets (id INTEGER PRIMARY KEY, enterprise_id TEXT, contact_id INTEGER, channel TEXT,"
    " chat_id TEXT, text TEXT, lang TEXT, intent TEXT, category TEXT, urgent INTEGER, status TEXT,"
    " department_id TEXT, assignee_id TEXT, respond_by TEXT, resolve_by TEXT, sign_by TEXT,"
    " cluster_of INTEGER, created_at TEXT, updated_at TEXT)",
    # the shared-problem check's read, and the reminder sweep's (open tickets by their deadline)
    "CREATE INDEX tickets_recent ON tickets (category, created_at)",
    "CREATE INDEX tickets_due ON tickets (status, respond_by)",
    "CREATE TABLE ticket_events (id INTEGER PRIMARY KEY, ticket_id INTEGER, actor_id TEXT, actor_role TEXT,"
    " action TEXT,"
    " from_status TEXT, to_status TEXT, note TEXT, at TEXT)",
    "CREATE TABLE outbox (id INTEGER PRIMARY KEY, ticket_id INTEGER, chat_id TEXT, text TEXT,"
    " buttons TEXT, post INTEGER, status TEXT, message_id TEXT)",
)
_KEEP_UPDATE = (
    "INSERT INTO inbox (delivery, chat_id, text, received_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"
)
_FIND_CONTACT = (
    "SELECT id, lang, enterprise_id, asking FROM contacts WHERE channel = 'telegram' AND external_id = ?"
)
_ADD_CONTACT = (
    "INSERT INTO contacts (channel, external_id, name, lang, asking) VALUES ('telegram', ?, ?, ?, 'company')"
    " RETURNING id"
)
_ADD_TICKET = (
    "INSERT INTO tickets (enterprise_id, contact_id, channel, chat_id, text, lang, intent, category, urgent,"
    " status, department_id, assignee_id, respond_by, resolve_by, sign_by, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
)
_ADD_EVENT = (
    "INSERT INTO ticket_events (ticket_id, actor_id, actor_role, action, from_status, to_status, note, at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_LOG_MESSAGE = (
    "INSERT INTO message_log (contact_id, chat_id, text, intent, ticket_id, at) VALUES (?, ?, ?, ?, ?, ?)"
)
_RECENT_DEMANDS = (
    "SELECT id, enterprise_id, contact_id, cluster_of, text FROM tickets"
    " WHERE category IS ? AND status NOT IN ('resolved', 'closed', 'withdrawn') AND created_at >= ?"
    " ORDER BY id DESC LIMIT ?"
)
_ADD_PENDING = (
    "INSERT INTO outbox (ticket_id, chat_id, text, buttons, post, status) VALUES (?, ?, ?, ?, ?, 'pending')"
)
_MARK_SENT = "UPDATE outbox SET status = 'sent', message_id = ? WHERE id = ?"
_GROUP = -1_000_000  # the department's officer group, as the other floors post to
_OFFICER = 1_000  # an officer's private chat (a new sender's demand goes to a department: unused)


class FloorFull:
    """The handler of a private message, on one sqlite3 connection in place (WAL, full durability)."""

    def __init__(self, path: str, deps: Deps, nlu: NluBackend, pacer: Pacer) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)  # BEGIN and COMMIT are ours
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        for statement in SCHEMA:
            self.db.execute(statement)
        self.deps = deps
        self.nlu = nlu
        self.pacer = pacer  # the transport's, made on the first message (one bot a run)
        self.commits = 0
        self.db.set_trace_callback(self._traced)
        self._transports: dict[Bot, TelegramTransport] = {}

    def _traced(self, sql: str) -> None:
        if sql == "COMMIT":
            self.commits += 1

    def close(self) -> None:
        self.db.set_trace_callback(None)
        self.db.close()

    async def handle(self, message: Message, bot: Bot) -> None:
        text = message.text or ""
        parse = await self.nlu.parse(text)
        with self._transaction():
            pending = await self._keep_demand(message, text, parse)
        if not pending:
            return  # the platform sent the update again: it was handled the first time
        if bot not in self._transports:
            self._transports[bot] = TelegramTransport(bot, self.pacer)
        transport = self._transports[bot]
        marks = []
        for row_id, outgoing in pending:
            outcome = await transport.send(replace(outgoing, id=row_id))
            marks.append((getattr(outcome, "platform_id", None), row_id))
        with self._transaction():
            self.db.executemany(_MARK_SENT, marks)

    async def _keep_demand(self, message: Message, text: str, parse: Any) -> list[tuple[int, OutboxMessage]]:
        db, deps = self.db, self.deps
        now = utc_now()
        stamp = now.isoformat()
        kept = db.execute(
            _KEEP_UPDATE, (f"telegram:{message.message_id}:{message.chat.id}", message.chat.id, text, stamp)
        )
        if kept.rowcount == 0:
            return []
        user = str(message.from_user.id if message.from_user else message.chat.id)
        contact = db.execute(_FIND_CONTACT, (user,)).fetchone()
        if contact is None:
            name = message.from_user.full_name if message.from_user else user
            contact = (
                db.execute(_ADD_CONTACT, (user, name, parse.lang)).fetchone()[0],
                parse.lang,
                None,
                None,
            )
        contact_id, lang, enterprise_id, asking = contact
        actor = Actor(
            role=Role.ENTERPRISE,
            display_name=user,
            lang=lang,
            contact_id=contact_id,
            enterprise_id=enterprise_id,
            asking=asking,
            to_ask="company" if enterprise_id is None else None,
        )
        opened, routing, dispatched = new_ticket(
            actor, "telegram", str(message.chat.id), text, parse, None, deps, now
        )
        ticket = dispatched.ticket
        number = db.execute(_ADD_TICKET, _ticket_row(ticket)).fetchone()[0]
        ticket = replace(ticket, number=number)
        db.executemany(_ADD_EVENT, [_event_row(e, number) for e in (opened.event, dispatched.event)])
        db.execute(_LOG_MESSAGE, (contact_id, str(message.chat.id), text, parse.intent, number, stamp))
        shared = await similar.shared_problem(ticket, cast(UnitOfWork, _RecentDemands(db)), deps)

        replies = [
            Reply(
                acknowledge(ticket, None, routing, lang, deps),
                ticket=number,
                buttons=ticket_buttons(ticket, lang),
            ),
            *routed_notices(ticket, None, routing, deps),
            *([Reply(t(lang, f"verify.ask_{actor.to_ask}"))] if actor.to_ask else []),
            *shared,
        ]
        outgoing = [self._outgoing(reply, message.chat.id, lang) for reply in replies]
        ids = []
        for each in outgoing:  # one row each, its id in order (RETURNING's order is not promised)
            cursor = db.execute(
                _ADD_PENDING,
                (
                    number,
                    each.chat_id,
                    each.text,
                    json.dumps([[b.label, b.payload] for b in each.buttons]),
                    each.post,
                ),
            )
            ids.append(cursor.lastrowid or 0)
        return list(zip(ids, outgoing, strict=True))

    def _outgoing(self, reply: Reply, chat: int, lang: str) -> OutboxMessage:
        text = reply.text
        if isinstance(
            reply.to, ToDepartment
        ):  # what an officer group may read (a new ticket is not confidential)
            text, to = render.mask_private(text), _GROUP
        elif isinstance(reply.to, ToOfficer):
            to = _OFFICER
        else:
            to = chat
        return OutboxMessage(
            MessageKind.REPLY,
            "telegram",
            str(to),
            text,
            reply.buttons,
            lang,
            ticket=reply.ticket,
            post=reply.post,
        )

    def _transaction(self) -> Any:
        return _Transaction(self.db)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK if the block fails."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, error: object, tb: object) -> None:
        self.db.execute("ROLLBACK" if kind is not None else "COMMIT")


class _RecentDemands:
    """What handlers.similar.shared_problem reads of a unit of work: `tickets.recent_demands`."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.tickets = self
        self.db = db

    async def recent_demands(self, category: str | None, since: datetime, limit: int) -> list[RecentDemand]:
        rows = self.db.execute(_RECENT_DEMANDS, (category, since.isoformat(), limit)).fetchall()
        return [RecentDemand._make(row) for row in rows]


def _ticket_row(ticket: Any) -> tuple[Any, ...]:
    return (
        ticket.enterprise_id,
        ticket.contact_id,
        ticket.channel,
        ticket.chat_id,
        ticket.text,
        ticket.lang,
        ticket.intent,
        ticket.category,
        ticket.urgent,
        ticket.status.value,
        ticket.department_id,
        ticket.assignee_id,
        ticket.respond_by.isoformat(),
        ticket.resolve_by.isoformat(),
        ticket.sign_by.isoformat() if ticket.sign_by else None,
        ticket.created_at.isoformat(),
        ticket.updated_at.isoformat(),
    )


def _event_row(event: TicketEvent, number: int) -> tuple[Any, ...]:
    return (
        number,
        event.actor_id,
        event.actor_role.value,
        event.action.value,
        event.from_status.value if event.from_status else None,
        event.to_status.value,
        event.note,
        event.at.isoformat(),
    )
