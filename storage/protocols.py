"""What handlers may ask of storage.

Handlers and the runtime depend on these protocols, not on SQL; storage/sql.py and its
companions (async SQLAlchemy on SQLite or PostgreSQL) are the one implementation, held to them by
the contract suite (tests/contract/) on both databases. Rules that read many rows (KPIs, reports,
reminders due, queues) are SQL queries behind these methods, written once. Tests that want speed
use SQLite (tests/databases.py); a test that needs a failure injected writes a fake under tests/.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Any, NamedTuple, Protocol, Self

from bot.domain.enterprise import Contact, Enterprise
from bot.domain.escalation import ClockedTicket, DueTicket, NudgeKey, SentReminder
from bot.domain.inbox import InboxEntry
from bot.domain.kpi import KpiCounts
from bot.domain.messages import Inbound
from bot.domain.org import ChatMove, Department, Directory, Officer, OrgChange
from bot.domain.outbox import DeliveryStatus, MessageKind, OutboxMessage
from bot.domain.policies import MemberGroup, Policy, PolicyResponse, PolicyStatus, ResponseKind
from bot.domain.report import OverdueTicket, ResolveTimes, VolumeCount
from bot.domain.tickets import Status, Ticket, TicketEvent, TicketGist
from storage.api_protocols import ApiKeys, Webhooks
from storage.binding_protocols import MobileBinding
from storage.bulletin_protocols import BulletinQueries
from storage.campaign_protocols import CampaignStore
from storage.search_protocols import OnboardingQueries, Retention, SearchQueries, TicketExport
from storage.web_protocols import ConsoleQueries, WebAccess


class TicketRepository(Protocol):
    async def add(self, ticket: Ticket) -> Ticket:
        """Store a new ticket; the returned copy carries its public number."""
        ...

    async def get(self, number: int) -> Ticket | None: ...

    async def confidential(self, numbers: Collection[int]) -> set[int]:
        """Which of these tickets are confidential (those that do not exist are not)."""
        ...

    async def many(self, numbers: Sequence[int]) -> list[Ticket]:
        """Those of the tickets that exist, by number."""
        ...

    async def update(self, ticket: Ticket) -> Ticket:
        """Write a changed ticket if nobody changed it since it was read (same `version`), else
        raise `Conflict`. The returned copy carries the next version."""
        ...

    async def for_enterprise(self, enterprise_id: str, limit: int = 20) -> list[Ticket]: ...

    async def for_contact(self, contact_id: int, limit: int = 20) -> list[Ticket]: ...

    async def queue(
        self, officer_id: str, department_id: str, limit: int = 50, *, unanswered: bool = False
    ) -> list[Ticket]:
        """Open tickets assigned to the officer, and unassigned, not confidential open tickets of
        the department: urgent first, then oldest first. `unanswered`: without those answered
        and waiting for the enterprise's verdict (replied, survey), whose limits no longer run."""
        ...

    async def queue_size(self, officer_id: str, department_id: str, *, unanswered: bool = False) -> int:
        """How many tickets `queue` would list without a limit."""
        ...

    async def recent_demands(self, category: str | None, since: datetime, limit: int) -> list[RecentDemand]:
        """Open tickets of a category opened since then, newest first: only what the shared-problem
        check reads of them (a new demand looks at dozens)."""
        ...

    async def stale(self, status: Status, updated_before: datetime, limit: int = 500) -> list[Ticket]:
        """Tickets in that status whose last change is older than the given time, oldest first."""
        ...

    async def in_cluster(self, lead: int) -> list[Ticket]:
        """The tickets grouped under a lead ticket (the lead included once it has joined)."""
        ...


class EventRepository(Protocol):
    async def append(self, *events: TicketEvent) -> None:
        """Record events in the order given (one statement for several)."""
        ...

    async def for_ticket(self, number: int) -> list[TicketEvent]: ...


class EnterpriseRepository(Protocol):
    async def get(self, enterprise_id: str) -> Enterprise | None: ...

    async def add(self, enterprise: Enterprise) -> None: ...

    async def all(self) -> list[Enterprise]: ...


class ContactRepository(Protocol):
    async def by_identity(self, channel: str, external_id: str) -> Contact | None: ...

    async def get(self, contact_id: int) -> Contact | None: ...

    async def add(self, contact: Contact) -> Contact:
        """Store a new contact; the returned copy carries its id."""
        ...

    async def bind(self, contact_id: int, enterprise_id: str) -> None: ...

    async def set_lang(self, contact_id: int, lang: str, *, chosen: bool = False) -> None:
        """The language replies come in: `chosen` by the contact (/lang), or followed from what
        it writes (until it chooses)."""
        ...

    async def set_claims(
        self, contact_id: int, *, company: str | None, uscc: str | None, asking: str | None
    ) -> None:
        """What an unbound contact says about its company, and the question still open."""
        ...

    async def set_asking(self, contact_id: int, asking: str | None) -> None:
        """The question now open (what it has said about its company stays as it is)."""
        ...

    async def set_unreachable(self, channel: str, external_id: str, since: datetime | None) -> None:
        """Note that the platform refuses messages to this identity (None: it is reachable again)."""
        ...


class OrgRepository(Protocol):
    """The organisation (storage/org_sql.py). Every change is recorded in org_changes; its newest
    id is the organisation's version."""

    async def bootstrap(self, directory: Directory, actor: str, at: datetime) -> bool:
        """Fill an empty organisation from the configuration's bootstrap; else do nothing."""
        ...

    async def departments(self) -> list[Department]:
        """The active departments."""
        ...

    async def officers(self, *, inactive: bool = False) -> list[Officer]:
        """The active officers (and the deactivated ones too with `inactive`)."""
        ...

    async def officer(self, officer_id: str) -> Officer | None: ...

    async def version(self) -> int: ...

    async def active_officer_ids(self) -> list[str]: ...

    async def save_officer(self, officer: Officer, actor: str, at: datetime) -> OrgChange | None:
        """Add or change an officer (deactivate with active=False); None when nothing changed."""
        ...

    async def set_liaison(
        self, enterprise_id: str, officer_id: str | None, actor: str, at: datetime
    ) -> OrgChange | None: ...

    async def record(self, changes: Sequence[OrgChange], at: datetime) -> None: ...

    async def changes(self, kind: str | None = None, key: str | None = None) -> list[OrgChange]: ...


class OrgSheets(Protocol):
    """The organisation in bulk (storage/org_sheets_sql.py): records are dicts of column names,
    keyed as the sheets match them (credit code, roster phone, id)."""

    async def existing(self, kind: str) -> dict[str, dict[str, Any]]: ...

    async def enterprise_ids(self) -> dict[str, str]:
        """Credit code -> enterprise id."""
        ...

    async def write(
        self,
        kind: str,
        added: Sequence[dict[str, Any]],
        changed: Sequence[dict[str, Any]],
        changes: Sequence[OrgChange],
        at: datetime,
        advance: Callable[[int], None] = ...,
    ) -> None: ...

    async def export(self, kind: str) -> list[dict[str, Any]]: ...

    async def enterprises_named(self, text: str, limit: int = 6) -> list[Enterprise]:
        """By id or credit code, else by a part of the name."""
        ...

    async def contacts_of(self, enterprise_id: str) -> list[dict[str, Any]]:
        """display_name, phone, channel (roster: not a chat), external_id."""
        ...


class Duplicate(Exception):
    """An add of something whose key is already stored (an enterprise id, a chat identity)."""


class RecentDemand(NamedTuple):
    """What the shared-problem check compares of an open ticket: who raised it, and its text. A
    named tuple: a new demand reads sixty of them, and a frozen dataclass took 0.7 us each to make
    (its __init__ sets each field through object.__setattr__), a tuple 0.2."""

    number: int
    enterprise_id: str | None
    contact_id: int
    cluster_of: int | None
    text: str

    @property
    def ref(self) -> str:
        return f"#{self.number}"


@dataclass(frozen=True, slots=True)
class LoggedMessage:
    channel: str
    chat_id: str
    sender_id: str
    text: str
    ticket_number: int | None


class MessageLog(Protocol):
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
        """Keep what a person sent before anything else happens to it; returns the entry id."""
        ...

    async def link_ticket(self, entry_id: int, ticket_number: int) -> None: ...

    async def get(self, entry_id: int) -> LoggedMessage | None: ...

    async def claim(self, entry_id: int, at: datetime) -> bool:
        """Mark a message as acted on; False if it already was (a button pressed twice)."""
        ...


class SentMessages(Protocol):
    async def record(
        self, channel: str, chat_id: str, message_id: str, ticket_number: int, *, is_post: bool = False
    ) -> None: ...

    async def posts(self, channel: str, ticket_number: int) -> list[tuple[str, str]]:
        """(chat id, message id) of the ticket's group posts on that channel."""
        ...

    async def topic(self, channel: str, chat_id: str, ticket_number: int) -> str | None:
        """The forum topic (thread id) the ticket has in that chat, if any."""
        ...

    async def record_topic(self, channel: str, chat_id: str, ticket_number: int, thread_id: str) -> None:
        """Keep a ticket's forum topic; a ticket that already has one in that chat keeps it."""
        ...

    async def ticket_for(self, channel: str, chat_id: str, message_id: str) -> int | None:
        """The ticket a sent message was about, or None (never parsed from the message's text)."""
        ...


class Invites(Protocol):
    async def create(
        self, code: str, enterprise_id: str, created_by: str, at: datetime, expires_at: datetime
    ) -> None: ...

    async def redeem(self, code: str, contact_id: int, at: datetime) -> str | None:
        """The enterprise the code binds to, marking it used, if it is unused and unexpired; else
        None. Atomic: of two contacts redeeming one code, one wins."""
        ...


class KpiQueries(Protocol):
    async def counts(
        self,
        since: datetime,
        until: datetime,
        as_of: datetime,
        *,
        department_id: str | None = None,
        category: str | None = None,
    ) -> KpiCounts:
        """The counts behind bot.domain.kpi's rates, over tickets opened in [since, until)
        (of one department, of one category, when given)."""
        ...


class ReminderLedger(Protocol):
    """What the reminder sweep needs: the tickets due a look, and a ledger of what was sent."""

    async def due(
        self, now: datetime, after: tuple[datetime, int] | None = None, limit: int = 500
    ) -> list[DueTicket]:
        """Open tickets whose check time has come, with that time, ordered by (time, number) and
        starting after `after`, so a sweep pages through them once."""
        ...

    async def reschedule(self, checks: Sequence[tuple[ClockedTicket, datetime | None]]) -> None:
        """When to look at each ticket next (None: not until it changes). A ticket changed since
        it was read is left alone: its change asked for a look already."""
        ...

    async def claim(self, keys: Sequence[NudgeKey], at: datetime) -> list[bool]:
        """Record nudges as sent; says for each key whether this call claimed it (False: claimed
        before, or earlier in `keys`). Atomic across instances: of two sweeps claiming the same
        key, exactly one gets it."""
        ...

    async def claim_and_reschedule(
        self, keys: Sequence[NudgeKey], at: datetime, checks: Sequence[tuple[ClockedTicket, datetime | None]]
    ) -> list[bool]:
        """`claim` these keys and `reschedule` these checks, in one go where the database can
        (a page of the sweep: its nudges and its tickets' next looks)."""
        ...

    async def earlier_reminders(self, keys: Sequence[NudgeKey]) -> list[int]:
        """For each key, how many reminders about the same limit and deadline with a lower number
        (`repeat`) the ledger holds: those really sent, where the number counts those due."""
        ...

    async def described(self, numbers: Sequence[int]) -> list[TicketGist]:
        """What a reminder names of each of these tickets that exists (in no set order)."""
        ...

    async def for_messages(self, numbers: Sequence[int]) -> tuple[list[TicketGist], list[SentReminder]]:
        """`described(numbers)`, and every reminder of the sweep the ledger holds about these
        tickets (for `escalation.reminders_before`), read together: what a sweep of one page
        reads while it plans, before its claim."""
        ...

    async def claimed(self, keys: Sequence[NudgeKey]) -> set[NudgeKey]:
        """Which of these were claimed already (a dry run sends nothing and claims nothing)."""
        ...

    async def reported(self, limit: int = 200) -> list[Ticket]:
        """Open tickets put on the leadership's list (a nudge of level leadership), by number."""
        ...

    async def claim_digest(self, kind: str, recipient: str, day: date, at: datetime) -> bool:
        """True the first time that digest is claimed for that person and day."""
        ...


class ReportQueries(Protocol):
    """The rest of bot.domain.report's figures, over tickets opened in [since, until)."""

    async def volume(self, since: datetime, until: datetime) -> list[VolumeCount]:
        """Tickets opened, counted per (category, department) pair that occurs."""
        ...

    async def resolve_times(self, since: datetime, until: datetime) -> ResolveTimes:
        """Tickets closed by handling (the on-time rate's "closed") and their summed closed − opened."""
        ...

    async def most_overdue(
        self, since: datetime, until: datetime, as_of: datetime, limit: int = 10
    ) -> list[OverdueTicket]:
        """Tickets past their resolve deadline, most overdue first (ties: lower number first):
        closed ones by closed_at, paused ones by paused_at, other open ones by `as_of`; only those
        more than zero past it; withdrawn and duplicate tickets left out."""


class PolicyRepository(Protocol):
    async def add(self, policy: Policy) -> Policy:
        """Store a new policy; the returned copy carries its id."""
        ...

    async def get(self, policy_id: int) -> Policy | None: ...

    async def save(self, policy: Policy) -> None:
        """Write a stored policy's fields (a draft being written, say)."""
        ...

    async def move(self, policy: Policy, expected: PolicyStatus) -> bool:
        """Write a policy that changed status, only if it still has the `expected` status; False
        if someone moved it first (a publish button pressed twice)."""
        ...

    async def listing(self, status: PolicyStatus | None = None, limit: int = 200) -> list[Policy]:
        """Newest first."""
        ...

    async def draft_of(self, officer_id: str) -> Policy | None:
        """The draft an officer is writing in chat (a draft with a step), if any."""
        ...


class ChatMoves(Protocol):
    async def move(self, channel: str, old: str, new: str, actor: str, at: datetime) -> ChatMove:
        """The chat's old id replaced by its new one wherever it is kept, audited (storage/chat_moves_sql)."""
        ...


class Audience(Protocol):
    """Who notices can reach: member-unit groups, and enterprises' people on chat channels."""

    async def sync_groups(self, groups: Sequence[MemberGroup]) -> None:
        """Mirror the configured groups; groups no longer configured are kept, inactive."""
        ...

    async def groups(self) -> list[MemberGroup]:
        """The active groups."""
        ...

    async def bound_contacts(self, channels: Collection[str]) -> list[Contact]:
        """Contacts bound to an enterprise, on those channels."""
        ...


@dataclass(frozen=True, slots=True)
class SenderInfo:
    id: str
    host: str
    pid: int
    heartbeat_at: datetime


class Inbox(Protocol):
    """Updates kept as they arrive, handled oldest first within each conversation."""

    async def accept(self, conversation: str, inbound: Inbound) -> bool:
        """Keep an update; False if this delivery (channel, delivery_id) was kept before."""
        ...

    async def keep_handled(self, conversation: str, inbound: Inbound, at: datetime) -> bool:
        """Keep an update as handled in this transaction; False if this delivery was kept before."""
        ...

    async def waiting_in(self, conversation: str) -> bool:
        """Whether the conversation has updates not yet handled; the calling transaction has the
        conversation to itself until it ends."""
        ...

    async def next_for(self, conversation: str, at: datetime) -> InboxEntry | None:
        """The conversation's oldest update not yet handled, unless it waits to be tried again;
        the calling transaction has the conversation to itself until it ends."""
        ...

    async def set_aside(self, entry_id: int, reason: str, at: datetime) -> None:
        """Take an entry that cannot be read (`UnreadableUpdate`) out of its conversation's way,
        keeping it and the reason for inspection."""
        ...

    async def done(self, entry_id: int, at: datetime) -> None: ...

    async def failed(self, entry_id: int, error: str, retry_at: datetime) -> int:
        """Count a failed handling, to be tried again at `retry_at`; the failures so far."""
        ...

    async def waiting(self, at: datetime, received_before: datetime, limit: int = 500) -> list[str]:
        """Conversations with updates that may be handled now: received before then, or due
        to be tried again."""
        ...

    async def next_retry(self) -> datetime | None: ...

    async def forget(self, handled_before: datetime) -> int:
        """Drop updates handled before then; returns how many."""
        ...


class Outbox(Protocol):
    async def add(self, messages: Sequence[OutboxMessage], at: datetime) -> None:
        """Queue what a handler or a job says."""
        ...

    async def enqueue(self, messages: Sequence[OutboxMessage], at: datetime) -> int:
        """Add messages as pending, due now; a recipient that already has that kind of message
        for that policy is skipped. Returns how many were added."""
        ...

    async def claim(
        self,
        sender_id: str,
        channels: Collection[str],
        at: datetime,
        limit: int,
        *,
        attempt_answers: bool = False,
    ) -> list[OutboxMessage]:
        """Atomically take up to `limit` due pending messages on those channels for this sender
        (`sending`), at most one per chat: two senders never claim the same message. Oldest due
        first. With `attempt_answers`, the claim also notes the attempt of the answers it takes
        (kinds of priority 0), which the sender then sends at once, side by side: a crash before
        their outcomes are written leaves them in doubt, at most one per chat."""
        ...

    async def begin_attempt(self, message_id: int, sender_id: str, at: datetime) -> bool:
        """Note that the platform is about to be called; False if the message is no longer this
        sender's to send (withdrawn, or taken back from a sender thought dead)."""
        ...

    async def mark_sent(
        self,
        message_id: int,
        sender_id: str,
        platform_id: str,
        at: datetime,
        more_ids: Sequence[str] = (),
    ) -> bool: ...

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
        """Back to pending until `due`; `attempted` counts an attempt (a 429 or a deferral does not);
        `in_doubt` marks that the failed attempt may have reached the recipient all the same."""
        ...

    async def give_up(
        self, message_id: int, sender_id: str, status: DeliveryStatus, error: str, at: datetime
    ) -> bool:
        """A final failure: `blocked` or `failed`."""
        ...

    async def cancel(self, policy_id: int) -> int:
        """Cancel a policy's messages not yet handed to the platform; returns how many."""
        ...

    async def counts(self, policy_id: int, kind: MessageKind) -> dict[DeliveryStatus, int]: ...

    async def for_policy(self, policy_id: int, kind: MessageKind) -> list[OutboxMessage]: ...

    async def backlog(self) -> int:
        """Messages not yet delivered nor given up (waiting or being sent)."""
        ...

    async def next_due(self, channels: Collection[str], at: datetime) -> datetime | None:
        """When the next pending message on those channels falls due, if any is pending (one
        waiting behind an earlier message of its chat does not count)."""
        ...

    async def heartbeat(self, sender_id: str, host: str, pid: int, at: datetime) -> None:
        """Register a sender, or note that it is alive."""
        ...

    async def senders(self) -> list[SenderInfo]: ...

    async def forget_sender(self, sender_id: str) -> None: ...

    async def release_abandoned(self, alive_since: datetime) -> tuple[int, int]:
        """Take back messages claimed by senders not heard from since `alive_since` (or no longer
        registered): never attempted → pending; attempted → pending and `in_doubt` (the platform
        may have taken it). Atomic against senders registering meanwhile. Returns both counts."""
        ...

    async def release_claims(self, sender_id: str) -> tuple[int, int]:
        """Give back what this sender has claimed and not finished (after a round that failed
        half-way: the database went away), as `release_abandoned` does. Returns both counts."""
        ...


class PolicyResponses(Protocol):
    async def record(self, response: PolicyResponse) -> bool:
        """Keep a response; False when one with its key exists already."""
        ...

    async def get(self, policy_id: int, kind: ResponseKind, key: str) -> PolicyResponse | None: ...

    async def link_ticket(self, policy_id: int, kind: ResponseKind, key: str, ticket_number: int) -> None: ...

    async def for_policy(self, policy_id: int) -> list[PolicyResponse]: ...

    async def open_question(self, contact_id: int, since: datetime) -> PolicyResponse | None:
        """The contact's latest "ask a question" since then that no question has followed yet."""
        ...


@dataclass(frozen=True)
class OpsFigures:
    """What an operator's dashboard shows of the database at one moment (the `/metrics` scrape)."""

    tickets_by_status: dict[str, int]
    tickets_opened: int  # ever: a count that only grows, whichever instance is asked
    overdue_by_department: dict[str, int]  # open, unanswered, not paused, past the resolve deadline
    outbox_backlog: int  # not yet delivered nor given up
    outbox_oldest: datetime | None  # when the oldest of those was queued


class OpsQueries(Protocol):
    async def figures(self, now: datetime) -> OpsFigures:
        """A handful of aggregate queries, each on an index: cheap enough for every scrape."""
        ...


class SendSlots(Protocol):
    """A bot's overall send rate, shared by the processes sending for it (storage/send_slots_sql.py)."""

    async def take(self, bot: str, now: float, interval: float) -> float:
        """Take the bot's next send slot at `now` (seconds since the epoch): the next slot's time
        moves on by `interval`; returns where it now stands (this slot's time plus `interval`)."""
        ...

    async def take_within(self, name: str, now: float, interval: float, tolerance: float) -> float:
        """Take the next slot of `name` only if it is at most `tolerance` seconds ahead of `now`:
        0.0 when taken, else the seconds until it would be (nothing is taken then)."""
        ...


class UnitOfWork(Protocol):
    """One transaction. Repositories are read-only members so implementations may narrow them."""

    @property
    def tickets(self) -> TicketRepository: ...
    @property
    def events(self) -> EventRepository: ...
    @property
    def enterprises(self) -> EnterpriseRepository: ...
    @property
    def contacts(self) -> ContactRepository: ...
    @property
    def org(self) -> OrgRepository: ...
    @property
    def messages(self) -> MessageLog: ...
    @property
    def kpi(self) -> KpiQueries: ...
    @property
    def reports(self) -> ReportQueries: ...
    @property
    def sent(self) -> SentMessages: ...
    @property
    def invites(self) -> Invites: ...
    @property
    def reminders(self) -> ReminderLedger: ...
    @property
    def policies(self) -> PolicyRepository: ...
    @property
    def audience(self) -> Audience: ...
    @property
    def chats(self) -> ChatMoves: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def inbox(self) -> Inbox: ...
    @property
    def policy_responses(self) -> PolicyResponses: ...
    @property
    def search(self) -> SearchQueries: ...
    @property
    def onboarding(self) -> OnboardingQueries: ...
    @property
    def mobile_binding(self) -> MobileBinding: ...
    @property
    def org_sheets(self) -> OrgSheets: ...
    @property
    def retention(self) -> Retention: ...
    @property
    def ticket_export(self) -> TicketExport: ...
    @property
    def ops(self) -> OpsQueries: ...
    @property
    def api_keys(self) -> ApiKeys: ...
    @property
    def webhooks(self) -> Webhooks: ...
    @property
    def campaigns(self) -> CampaignStore: ...
    @property
    def bulletins(self) -> BulletinQueries: ...
    @property
    def web(self) -> WebAccess: ...
    @property
    def console(self) -> ConsoleQueries: ...
    @property
    def send_slots(self) -> SendSlots: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Roll back whatever was not committed."""
        ...

    def shared(self) -> AbstractContextManager[None]:
        """Within this block, units of work this task opens join this one (their commits are
        left to it), so that what they write commits, or fails, as one."""
        ...

    async def commit(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
