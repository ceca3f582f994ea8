"""Demand tickets, their statuses and their audit events (the data; the moves are in lifecycle)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import ClassVar, NamedTuple

from bot.domain.messages import Role


class Status(StrEnum):
    ACCEPTED = "accepted"
    DISPATCHED = "dispatched"
    SIGNED = "signed"  # an officer acknowledged it
    IN_PROGRESS = "in_progress"
    WAITING_ENTERPRISE = "waiting_enterprise"  # asked the enterprise for information: clock stopped
    EXTENSION = "extension"  # more time asked for; the department head decides
    RETURNED = "returned"  # sent back to dispatch, to be re-dispatched
    REPLIED = "replied"
    SURVEY = "survey"  # the enterprise is asked whether it is resolved and satisfied
    REOPENED = "reopened"  # the enterprise said no: back to the same officer
    CLOSED = "closed"

    # The sets of statuses the rules speak of, each defined once, here (assigned below the class,
    # where its members exist). Storage builds its SQL filters from them (storage/rules_sql.py).
    OPEN: ClassVar[frozenset[Status]]
    """Not closed: the loop is still running."""
    ANSWERED: ClassVar[frozenset[Status]]
    """The officers have given their answer (/resolve) and the ticket waits for the enterprise's
    verdict, or has it: no limit runs any more, it is off the leadership's list, an officer's
    unanswered queue leaves it out, and the report measures it at the answer."""

    @property
    def is_open(self) -> bool:
        return self in Status.OPEN

    @property
    def is_answered(self) -> bool:
        return self in Status.ANSWERED


Status.OPEN = frozenset(Status) - {Status.CLOSED}
Status.ANSWERED = frozenset({Status.REPLIED, Status.SURVEY, Status.CLOSED})


class Action(StrEnum):
    CREATE = "create"
    DISPATCH = "dispatch"
    ASSIGN = "assign"
    TAKE = "take"
    REPLY = "reply"
    ASK = "ask"
    INFO = "info"
    NOTE = "note"
    TRANSFER = "transfer"
    CO_HANDLE = "co_handle"
    RETURN = "return"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    REJECT_EXTENSION = "reject_extension"
    RESOLVE = "resolve"
    START_SURVEY = "start_survey"
    ANSWER_RESOLUTION = "answer_resolution"
    ANSWER_SATISFACTION = "answer_satisfaction"
    CLOSE_UNRATED = "close_unrated"
    COMMENT = "comment"
    URGE = "urge"
    WITHDRAW = "withdraw"
    MERGE = "merge"
    FEEDBACK = "feedback"
    CONFIDENTIAL = "confidential"
    CLUSTER = "cluster"
    HAND_OVER = "hand_over"  # a visit's ticket passes from its stand-in to the enterprise's first chat


class Outcome(StrEnum):
    """What the officer says the handling achieved."""

    RESOLVED = "resolved"
    PARTLY_RESOLVED = "partly_resolved"
    NO_FURTHER_ACTION = "no_further_action"
    NOT_OUR_RESPONSIBILITY = "not_our_responsibility"  # the reply names the proper channel


class ClosingReason(StrEnum):
    RESOLVED = "resolved"
    PARTLY_RESOLVED = "partly_resolved"
    NO_FURTHER_ACTION = "no_further_action"
    NOT_OUR_RESPONSIBILITY = "not_our_responsibility"
    DUPLICATE = "duplicate"
    WITHDRAWN = "withdrawn"

    UNHANDLED: ClassVar[frozenset[ClosingReason]]
    """Closed without anybody handling it to the end: not counted as closed by the on-time rate,
    the report's resolve times or its overdue list (bot.domain.kpi, bot.domain.report)."""


ClosingReason.UNHANDLED = frozenset({ClosingReason.DUPLICATE, ClosingReason.WITHDRAWN})


class Resolution(StrEnum):
    """The enterprise's answer to "is it resolved?"."""

    RESOLVED = "resolved"
    PARTLY = "partly"
    NOT_RESOLVED = "not_resolved"


class Satisfaction(StrEnum):
    """The enterprise's answer to "are you satisfied?"."""

    SATISFIED = "satisfied"
    BASICALLY = "basically"
    DISSATISFIED = "dissatisfied"

    CONTENT: ClassVar[frozenset[Satisfaction]]
    """What the satisfaction rate counts as satisfied (bot.domain.kpi)."""


Satisfaction.CONTENT = frozenset({Satisfaction.SATISFIED, Satisfaction.BASICALLY})


@dataclass(frozen=True, slots=True)
class Ticket:
    number: int | None  # public number, shown as #N; assigned by storage
    enterprise_id: str | None
    contact_id: int
    channel: str
    chat_id: str
    text: str
    lang: str
    intent: str
    category: str | None
    urgent: bool
    status: Status
    department_id: str | None
    assignee_id: str | None
    respond_by: datetime
    resolve_by: datetime
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    closing_reason: ClosingReason | None = None
    version: int = 0  # optimistic concurrency: storage refuses a stale write
    co_departments: tuple[str, ...] = ()
    confidential: bool = False
    urge_count: int = 0
    paused_at: datetime | None = None  # waiting for the enterprise since then: the clock stands
    resume_status: Status | None = None  # where an extension request returns to
    extension_days: int | None = None  # days asked for, while an extension is pending
    outcome: Outcome | None = None
    resolution: Resolution | None = None
    satisfaction: Satisfaction | None = None
    duplicate_of: int | None = None
    signed_at: datetime | None = None
    first_contact_at: datetime | None = None  # the first message from the officer to the enterprise
    cluster_of: int | None = None  # the lead ticket of a group of enterprises with the same problem
    sign_by: datetime | None = None  # the limit to sign for; tickets from before it existed use respond_by

    @property
    def ref(self) -> str:
        return f"#{self.number}"


class TicketGist(NamedTuple):
    """What a reminder names of a ticket: its number, what was asked, whether that is
    confidential, and who holds it now (the sweep reads just these of the tickets it spells out)."""

    number: int
    text: str
    confidential: bool
    assignee_id: str | None

    @property
    def ref(self) -> str:
        return f"#{self.number}"


@dataclass(frozen=True, slots=True)
class TicketEvent:
    """One line of the append-only audit log."""

    ticket_number: int | None
    at: datetime
    actor_id: str
    actor_role: Role
    action: Action
    from_status: Status | None
    to_status: Status
    note: str = ""


@dataclass(frozen=True, slots=True)
class Change:
    ticket: Ticket
    event: TicketEvent
