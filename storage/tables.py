"""SQLModel tables. Rows stay here; repositories map them to domain objects."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Dialect,
    Index,
    LargeBinary,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from bot.domain.enterprise import ROSTER as ROSTER  # the roster's contacts are stored as chats of this name
from storage.outbox_states import PENDING_ONLY, UNSENT_ONLY


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend.

    SQLite has no time zones: it stores naive UTC, which is read back as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to storage; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _at(nullable: bool = False, **kw: Any) -> Any:
    return Field(sa_column=Column(UtcDateTime(), nullable=nullable, **kw))


class DepartmentRow(SQLModel, table=True):
    __tablename__ = "departments"

    id: str = Field(primary_key=True, max_length=64)
    name_zh: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    head_officer_id: str | None = Field(default=None, max_length=64)
    lang: str = Field(default="zh-CN", max_length=10)
    # channel -> the department's officer group chat there; channels whose group makes a topic per ticket
    chats: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )
    topics: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    active: bool = Field(default=True, sa_column_kwargs={"server_default": text("true")})
    # other names officers write it by in commands (市监局)
    aliases: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )


class OfficerRow(SQLModel, table=True):
    __tablename__ = "officers"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    department_id: str = Field(max_length=64)
    role: str = Field(max_length=20)
    lang: str = Field(max_length=10)
    active: bool = True
    # channel -> the officer's identity there ({"telegram": "123456", "wecom": "zhangsan"})
    identities: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )


class EnterpriseRow(SQLModel, table=True):
    __tablename__ = "enterprises"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=300)
    uscc: str | None = Field(default=None, max_length=18, unique=True)
    industry: str | None = Field(default=None, max_length=100)
    district: str | None = Field(default=None, max_length=100)
    size_class: str | None = Field(default=None, max_length=50)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    liaison_officer_id: str | None = Field(default=None, max_length=64, index=True)
    key_support: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})


class ContactRow(SQLModel, table=True):
    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_contacts_identity"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20)
    external_id: str = Field(max_length=128)
    display_name: str = Field(max_length=200)
    lang: str = Field(max_length=10)
    enterprise_id: str | None = Field(default=None, foreign_key="enterprises.id", max_length=64)
    claimed_company: str | None = Field(default=None, max_length=300)
    claimed_uscc: str | None = Field(default=None, max_length=18)
    asking: str | None = Field(default=None, max_length=20)
    unreachable_since: datetime | None = _at(nullable=True)
    # The number the person gave (Telegram's contact button) or that a roster lists, digits only
    # with the country code (8613800001234): binding by phone matches on it.
    phone: str | None = Field(default=None, max_length=20, index=True)


_OPEN_TICKETS = text("status <> 'closed'")
_BOARD_COLUMNS = (
    "department_id",
    "status",
    "confidential",
    "assignee_id",
    "urgent",
    "category",
    "resolve_by",
    "paused_at",
)


class TicketRow(SQLModel, table=True):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_department_status", "department_id", "status"),
        Index("ix_tickets_assignee_status", "assignee_id", "status"),
        # The web console's board: open tickets by resolve deadline, the overdue first. A page is
        # the first rows of this walk; the counts read the open tickets alone, not the closed many.
        Index(
            "ix_tickets_open_deadline",
            "resolve_by",
            "id",
            postgresql_where=_OPEN_TICKETS,
            sqlite_where=_OPEN_TICKETS,
        ),
        # A new demand's shared-problem check: its category's newest open tickets, read newest
        # first until it has enough (without it, every ticket newer than the last one it needs)
        Index(
            "ix_tickets_open_category",
            "category",
            "id",
            postgresql_where=_OPEN_TICKETS,
            sqlite_where=_OPEN_TICKETS,
        ),
        # ... and its counts by department and state, read from this index alone (it holds every
        # column the board's filters and a viewer's scope look at, but the liaison officer's)
        Index(
            "ix_tickets_open_board",
            *_BOARD_COLUMNS,
            postgresql_where=_OPEN_TICKETS,
            sqlite_where=_OPEN_TICKETS,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: str | None = Field(default=None, foreign_key="enterprises.id", index=True, max_length=64)
    contact_id: int = Field(foreign_key="contacts.id", index=True)
    channel: str = Field(max_length=20)
    chat_id: str = Field(max_length=128)
    text: str = Field(sa_column=Column(Text, nullable=False))
    lang: str = Field(max_length=10)
    intent: str = Field(max_length=40)
    category: str | None = Field(default=None, max_length=40)
    urgent: bool = False
    status: str = Field(max_length=20)
    department_id: str | None = Field(default=None, max_length=64)
    assignee_id: str | None = Field(default=None, max_length=64)
    respond_by: datetime = _at()
    resolve_by: datetime = _at()
    created_at: datetime = _at()
    updated_at: datetime = _at()
    closed_at: datetime | None = _at(nullable=True)
    closing_reason: str | None = Field(default=None, max_length=40)
    version: int = 0
    co_departments: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    confidential: bool = False
    urge_count: int = 0
    paused_at: datetime | None = _at(nullable=True)
    resume_status: str | None = Field(default=None, max_length=20)
    extension_days: int | None = None
    outcome: str | None = Field(default=None, max_length=40)
    resolution: str | None = Field(default=None, max_length=20)
    satisfaction: str | None = Field(default=None, max_length=20)
    duplicate_of: int | None = None
    signed_at: datetime | None = _at(nullable=True)
    first_contact_at: datetime | None = _at(nullable=True)
    cluster_of: int | None = Field(default=None, index=True)
    sign_by: datetime | None = _at(nullable=True)
    # When the reminder sweep looks at the ticket next: in ticket_checks (TicketCheckRow).


_CHECK_PENDING = text("next_check_at IS NOT NULL")
# The columns of a ticket its check row copies for the sweep (TicketCheckRow), with its version.
DUE_COPIED = (
    "ticket_version",
    "status",
    "department_id",
    "assignee_id",
    "created_at",
    "sign_by",
    "respond_by",
    "resolve_by",
    "signed_at",
    "first_contact_at",
    "paused_at",
)


class TicketCheckRow(SQLModel, table=True):
    """When the reminder sweep should look at a ticket next, one narrow row per ticket.

    Every write of the ticket sets it to the time of the change (look again: a clock may have
    started or stopped), or to NULL once the ticket is closed; the sweep then moves it to when
    something next falls due, or to NULL when nothing can until the ticket changes. It is a table
    of its own, not a column of tickets, because the sweep moves thousands of checks a run: here
    each move writes a row of a few bytes and two index entries, where on tickets it wrote the
    whole row and an entry in each of its indexes (the check time being indexed, no update was
    HOT). The ticket's version rides along, so that a sweep's move loses to a change of the
    ticket made since the sweep read it, by looking at this row alone.
    """

    __tablename__ = "ticket_checks"
    __table_args__ = (
        # The sweep reads the checks whose time has come, in that order: its cost follows the
        # number due, not the number of tickets. On PostgreSQL the index holds the columns the
        # sweep reads too, so a page of due tickets is an index-only scan that stops at its LIMIT
        # (the heap visited only for rows changed since the last vacuum, by their place).
        Index(
            "ix_ticket_checks_due",
            "next_check_at",
            "ticket_id",
            postgresql_where=_CHECK_PENDING,
            postgresql_include=list(DUE_COPIED),
            sqlite_where=_CHECK_PENDING,
        ),
    )

    ticket_id: int = Field(
        primary_key=True, foreign_key="tickets.id", sa_column_kwargs={"autoincrement": False}
    )
    ticket_version: int
    next_check_at: datetime | None = _at(nullable=True)
    # What the sweep's ladder reads of the ticket (DueTicket), copied by the same upsert that
    # writes the check (mapping.ticket_check_values; only SqlTickets.add and .update write a
    # ticket): a due ticket is read from this row alone, not through tickets_pkey and a random
    # page of the wide tickets table (migration 0024).
    status: str = Field(max_length=20)
    department_id: str | None = Field(default=None, max_length=64)
    assignee_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = _at()
    sign_by: datetime | None = _at(nullable=True)
    respond_by: datetime = _at()
    resolve_by: datetime = _at()
    signed_at: datetime | None = _at(nullable=True)
    first_contact_at: datetime | None = _at(nullable=True)
    paused_at: datetime | None = _at(nullable=True)


class TicketEventRow(SQLModel, table=True):
    __tablename__ = "ticket_events"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    at: datetime = _at()
    actor_id: str = Field(max_length=64)
    actor_role: str = Field(max_length=20)
    action: str = Field(max_length=40)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    note: str = Field(default="", sa_column=Column(Text, nullable=False))


class MessageLogRow(SQLModel, table=True):
    """Everything people send, kept before it is handled, so nothing a user sent is lost."""

    __tablename__ = "message_log"

    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime = _at()
    channel: str = Field(max_length=20)
    chat_id: str = Field(max_length=128)
    sender_id: str = Field(max_length=128)
    text: str = Field(sa_column=Column(Text, nullable=False))
    payload: str | None = Field(default=None, max_length=256)
    ticket_id: int | None = Field(default=None, index=True)
    handled_at: datetime | None = _at(nullable=True)  # a choice about this message was acted on


class SentMessageRow(SQLModel, table=True):
    """Which ticket a message the bot sent was about, so a reply to it finds the ticket."""

    __tablename__ = "sent_messages"
    __table_args__ = (UniqueConstraint("channel", "chat_id", "message_id", name="uq_sent_messages"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20)
    chat_id: str = Field(max_length=128)
    message_id: str = Field(max_length=64)
    ticket_number: int = Field(index=True)
    is_post: bool = False  # the ticket's post in its officer group, kept current by editing it


class ForumTopicRow(SQLModel, table=True):
    """The forum topic a ticket has in an officer group that is a forum."""

    __tablename__ = "forum_topics"
    __table_args__ = (UniqueConstraint("channel", "chat_id", "ticket_number", name="uq_forum_topics"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20)
    chat_id: str = Field(max_length=128)
    ticket_number: int
    thread_id: str = Field(max_length=64)


class InviteRow(SQLModel, table=True):
    """A single-use code that binds a chat identity to an enterprise (`/invite`, `/start CODE`)."""

    __tablename__ = "invites"

    code: str = Field(primary_key=True, max_length=32)
    enterprise_id: str = Field(foreign_key="enterprises.id", max_length=64)
    created_by: str = Field(max_length=64)
    created_at: datetime = _at()
    expires_at: datetime = _at()
    used_at: datetime | None = _at(nullable=True)
    used_by_contact: int | None = None
    # Whom the invite was made for (`xiaoer invites`, one per contact on the roster), so that the
    # person's shared phone number redeems it as the code would.
    contact_name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=20, index=True)


_LEADERSHIP = text("level = 'leadership'")


class NudgeRow(SQLModel, table=True):
    """The ledger of reminders sent: a nudge is sent by whoever inserts its key first, so two
    instances running the same sweep never send it twice.

    A ticket's nudge is keyed by (ticket, clock, deadline, level, repeat), with recipient ''.
    A digest is keyed by (0, kind, the day, 'digest', 0, recipient): one per person per day.
    The key is the primary key (migration 0023): a sweep claims thousands of nudges at once, and
    a serial id beside it cost each row a second index entry and a sequence step, for nothing
    that ever looked a row up by it.
    """

    __tablename__ = "nudges"
    __table_args__ = (
        # The leadership's list: only those nudges, so the many reminders cost no index entry.
        Index(
            "ix_nudges_leadership", "ticket_number", postgresql_where=_LEADERSHIP, sqlite_where=_LEADERSHIP
        ),
    )

    ticket_number: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    kind: str = Field(primary_key=True, max_length=20)
    due_at: datetime = _at(primary_key=True)
    level: str = Field(primary_key=True, max_length=20)
    repeat: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    recipient: str = Field(default="", primary_key=True, max_length=64)
    claimed_at: datetime = _at()


class OrgChangeRow(SQLModel, table=True):
    """The organisation's audit log: every change to a department, officer, enterprise, contact or
    group, by whom and when, with what it was and became. Its newest id is the organisation's
    version, which running processes poll to pick up changes made elsewhere."""

    __tablename__ = "org_changes"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _at()
    actor: str = Field(max_length=64)
    kind: str = Field(max_length=20)  # department | officer | enterprise | contact | group
    key: str = Field(max_length=128)
    action: str = Field(max_length=20)  # add | change | deactivate
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class PolicyRow(SQLModel, table=True):
    """A policy in the registry (draft, published or withdrawn)."""

    __tablename__ = "policies"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    department_id: str = Field(max_length=64)
    category: str = Field(max_length=40)
    eligibility: dict[str, list[str]] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    effective_from: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    effective_until: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    deadline: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    links: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    how_to_apply: str = Field(default="", sa_column=Column(Text, nullable=False))
    status: str = Field(max_length=20, index=True)
    created_by: str = Field(max_length=64)
    created_at: datetime = _at()
    published_at: datetime | None = _at(nullable=True)
    withdrawn_at: datetime | None = _at(nullable=True)
    published_via: str | None = Field(default=None, max_length=20)
    draft_step: str | None = Field(default=None, max_length=20)


class MemberGroupRow(SQLModel, table=True):
    """A member-unit group chat from the configuration, with its tags (mirrored on every start)."""

    __tablename__ = "member_groups"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    channel: str = Field(max_length=20)
    chat_id: str = Field(max_length=128)
    lang: str = Field(max_length=10)
    tags: dict[str, list[str]] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    active: bool = True


class OutboxRow(SQLModel, table=True):
    """One message to one recipient, kept until it is delivered or given up (see bot.domain.outbox)."""

    __tablename__ = "outbox"
    __table_args__ = (
        # A recipient gets a policy's notice (or its reminder) once, however often it is enqueued.
        UniqueConstraint("kind", "policy_id", "channel", "chat_id", name="uq_outbox_recipient"),
        # The three below hold only the messages still on their way (storage/outbox_states.py says
        # why, and how a statement must name the states to use them).
        # when the next waiting message falls due (the sender's pause between rounds)
        Index("ix_outbox_due", "next_attempt_at", sqlite_where=PENDING_ONLY, postgresql_where=PENDING_ONLY),
        # the sender's claim: the queue in the order it is served, read until a round is full
        Index("ix_outbox_queue", "priority", "id", sqlite_where=PENDING_ONLY, postgresql_where=PENDING_ONLY),
        # a chat's messages go in order: the sender looks for an earlier one still on its way
        Index(
            "ix_outbox_chat",
            "channel",
            "chat_id",
            "id",
            sqlite_where=UNSENT_ONLY,
            postgresql_where=UNSENT_ONLY,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    policy_id: int | None = Field(default=None, index=True)
    channel: str = Field(max_length=20)
    chat_id: str = Field(max_length=128)
    enterprise_id: str | None = Field(default=None, max_length=64)
    group_id: str | None = Field(default=None, max_length=64)
    lang: str = Field(max_length=10)
    text: str = Field(sa_column=Column(Text, nullable=False))
    buttons: list[list[str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(max_length=20)
    attempts: int = 0
    next_attempt_at: datetime = _at()
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = _at(nullable=True)
    attempted_at: datetime | None = _at(nullable=True)
    message_id: str | None = Field(default=None, max_length=64)
    last_error: str | None = Field(default=None, max_length=300)
    sent_at: datetime | None = _at(nullable=True)
    in_doubt: bool = False
    created_at: datetime = _at()
    priority: int = 0  # lower first: answers before broadcasts
    ticket: int | None = None
    post: bool = False
    thread_id: str | None = Field(default=None, max_length=64)
    edit_of: str | None = Field(default=None, max_length=64)
    more_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    attachment_name: str | None = Field(default=None, max_length=200)
    attachment_kind: str | None = Field(default=None, max_length=20)
    attachment: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


class InboxRow(SQLModel, table=True):
    """An update as it arrived, kept until it is handled (see bot.domain.inbox)."""

    __tablename__ = "inbox"
    __table_args__ = (
        # a platform's second delivery of an update is recognised here, before anything is done
        UniqueConstraint("channel", "delivery_id", name="uq_inbox_delivery"),
        Index("ix_inbox_waiting", "done", "conversation", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20)
    delivery_id: str | None = Field(default=None, max_length=64)
    conversation: str = Field(max_length=160)
    inbound: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    received_at: datetime = _at()
    done: bool = False
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=300)
    retry_at: datetime | None = _at(nullable=True)
    handled_at: datetime | None = _at(nullable=True)


class SendSlotRow(SQLModel, table=True):
    """A bot's overall send rate, shared by every process sending for it: the theoretical arrival
    time of its next send (GCRA), in seconds since the epoch on the senders' clocks. A send takes
    the next slot by moving it on one interval (storage/send_slots_sql.py), so processes hand each
    other the rate a slow one leaves unused, instead of each keeping a fixed share."""

    __tablename__ = "send_slots"

    bot: str = Field(primary_key=True, max_length=64)
    next_at: float


class OutboxSenderRow(SQLModel, table=True):
    """A running outbox sender and its last sign of life: messages claimed by a sender that stopped
    beating are taken back."""

    __tablename__ = "outbox_senders"

    id: str = Field(primary_key=True, max_length=64)
    host: str = Field(max_length=255)
    pid: int
    started_at: datetime = _at()
    heartbeat_at: datetime = _at()


class ApiKeyRow(SQLModel, table=True):
    """A key the HTTP API accepts: only the SHA-256 of its token is kept (the token is shown once)."""

    __tablename__ = "api_keys"
    __table_args__ = (
        UniqueConstraint("name", name="uq_api_keys_name"),
        UniqueConstraint("secret_hash", name="uq_api_keys_secret_hash"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    secret_hash: str = Field(max_length=64)
    scopes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    rate_per_minute: int = 60
    created_at: datetime = _at()
    revoked_at: datetime | None = _at(nullable=True)
    last_used_at: datetime | None = _at(nullable=True)


class ApiCallRow(SQLModel, table=True):
    """One call to the HTTP API, with the name of the key that made it (the audit of the API)."""

    __tablename__ = "api_calls"

    id: int | None = Field(default=None, primary_key=True)
    key_name: str | None = Field(default=None, max_length=64, index=True)
    method: str = Field(max_length=10)
    path: str = Field(max_length=300)
    status: int
    at: datetime = _at()


class WebhookSubscriptionRow(SQLModel, table=True):
    """A URL told of ticket and policy events, signed with its own secret (bot.domain.webhooks);
    with `platform`, an external platform tickets can be transferred to."""

    __tablename__ = "webhook_subscriptions"
    __table_args__ = (UniqueConstraint("platform", name="uq_webhook_subscriptions_platform"),)

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=500)
    secret: str = Field(max_length=128)
    events: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = True
    platform: str | None = Field(default=None, max_length=64)
    created_at: datetime = _at()


class PolicyResponseRow(SQLModel, table=True):
    """What an enterprise did with a notice: acknowledged it, applied (with the ticket), asked."""

    __tablename__ = "policy_responses"
    __table_args__ = (UniqueConstraint("policy_id", "kind", "key", name="uq_policy_responses"),)

    id: int | None = Field(default=None, primary_key=True)
    policy_id: int = Field(index=True)
    kind: str = Field(max_length=20)
    # What makes a response one of a kind: "contact:3" acknowledges once, "enterprise:acme" applies
    # once; a question is keyed by its moment, so one may ask again.
    key: str = Field(max_length=100)
    contact_id: int
    enterprise_id: str | None = Field(default=None, max_length=64)
    at: datetime = _at()
    ticket_number: int | None = None


# The tables as SQLAlchemy Core sees them, for the statements that skip the ORM (hot paths, bulk).
TICKETS: Table = TicketRow.__table__  # type: ignore[attr-defined]
TICKET_CHECKS: Table = TicketCheckRow.__table__  # type: ignore[attr-defined]
SEND_SLOTS: Table = SendSlotRow.__table__  # type: ignore[attr-defined]
EVENTS: Table = TicketEventRow.__table__  # type: ignore[attr-defined]
CONTACTS: Table = ContactRow.__table__  # type: ignore[attr-defined]
MESSAGE_LOG: Table = MessageLogRow.__table__  # type: ignore[attr-defined]
SENT_MESSAGES: Table = SentMessageRow.__table__  # type: ignore[attr-defined]
NUDGES: Table = NudgeRow.__table__  # type: ignore[attr-defined]
ENTERPRISES: Table = EnterpriseRow.__table__  # type: ignore[attr-defined]
INVITES: Table = InviteRow.__table__  # type: ignore[attr-defined]
OFFICERS: Table = OfficerRow.__table__  # type: ignore[attr-defined]
OUTBOX: Table = OutboxRow.__table__  # type: ignore[attr-defined]
API_KEYS: Table = ApiKeyRow.__table__  # type: ignore[attr-defined]
API_CALLS: Table = ApiCallRow.__table__  # type: ignore[attr-defined]
WEBHOOKS: Table = WebhookSubscriptionRow.__table__  # type: ignore[attr-defined]
DEPARTMENTS: Table = DepartmentRow.__table__  # type: ignore[attr-defined]
ORG_CHANGES: Table = OrgChangeRow.__table__  # type: ignore[attr-defined]
MEMBER_GROUPS: Table = MemberGroupRow.__table__  # type: ignore[attr-defined]


class WebTokenRow(SQLModel, table=True):
    """The web console's secrets, stored as SHA-256 hashes only (a copy of the database signs no
    one in): single-use sign-in links (`kind` link) and the sessions they open (`kind` session),
    each tied to the officer and the role they had when it was made."""

    __tablename__ = "web_tokens"

    token_hash: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=10)
    officer_id: str = Field(max_length=64, index=True)
    role: str = Field(max_length=20)
    created_at: datetime = _at()
    expires_at: datetime = _at()
    used_at: datetime | None = _at(nullable=True)  # a link, when it was redeemed
    revoked_at: datetime | None = _at(nullable=True)  # `/web logout`


class WebAuditRow(SQLModel, table=True):
    """What was done and refused in the web console: sign-ins, every view of a ticket, every
    refusal (an expired or reused link, a revoked session, a forged form, a ticket not theirs)."""

    __tablename__ = "web_audit"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _at()
    officer_id: str | None = Field(default=None, max_length=64)
    action: str = Field(max_length=40)
    ticket_id: int | None = Field(default=None, index=True)
    detail: str = Field(default="", max_length=200)


class MobileLinkRow(SQLModel, table=True):
    """A link that lets one platform member have their mobile read to bind them (WeCom's OAuth
    `state`): single use, expiring, its secret stored as a SHA-256 hash only."""

    __tablename__ = "mobile_links"

    state_hash: str = Field(primary_key=True, max_length=64)
    channel: str = Field(max_length=20)
    external_id: str = Field(max_length=128)
    created_at: datetime = _at()
    expires_at: datetime = _at()
    used_at: datetime | None = _at(nullable=True)


WEB_TOKENS: Table = WebTokenRow.__table__  # type: ignore[attr-defined]
WEB_AUDIT: Table = WebAuditRow.__table__  # type: ignore[attr-defined]
MOBILE_LINKS: Table = MobileLinkRow.__table__  # type: ignore[attr-defined]
