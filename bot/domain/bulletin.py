"""The leadership bulletin (动态) of a period, as data: what it says, before any format writes it.

Kept as plain values so that the archive stores exactly what was built (`to_dict`/`from_dict`,
JSON) and every later rendering (.md, .docx, PDF) reads the same content. A confidential ticket's
company is never put into it: `company` is None there, and renderers write "an enterprise".

The blocking points — what needs a leadership decision — are defined here from the ticket states
and audit events that exist (bot/domain/tickets.py):

- long overdue: still unanswered (not replied/survey/closed, and not waiting on the enterprise,
  whose clock is stopped) and its resolve deadline passed more than `overdue_days` calendar days
  before the bulletin was built;
- returned: a `return` event in the period (sent back to dispatch), the ticket still open;
- extension requested: a `request_extension` event in the period, the ticket still open;
- reopened: an event in the period that moved it to `reopened` (the enterprise said not resolved
  or dissatisfied), the ticket still open.

A ticket may be several of them at once (returned and overdue): it is listed under each.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from bot.domain.tickets import Action, Status


class Blocking(StrEnum):
    OVERDUE = "overdue"
    RETURNED = "returned"
    EXTENSION = "extension"
    REOPENED = "reopened"


class Schedule(StrEnum):
    WEEKLY = "weekly"
    OFF = "off"


@dataclass(frozen=True, slots=True)
class BulletinRules:
    """How the bulletin is made: when it is built on its own, what "long overdue" means, how alike
    two demands must be to share a cluster (cosine of their TF-IDF vectors)."""

    schedule: Schedule = Schedule.WEEKLY
    weekday: int = 0  # Monday (datetime.weekday)
    at: time = time(9, 0)
    overdue_days: int = 10
    cluster_threshold: float = 0.5
    quotes: int = 5  # quotes per cluster and items per list that the chat message shows


@dataclass(frozen=True, slots=True)
class TicketMark:
    """A ticket the bulletin speaks of, as it stands now, with what happened to it (an event of the
    period, or its deadline) — the raw material of the blocking points."""

    number: int
    company: str | None  # None: confidential
    category: str | None
    text: str
    status: str
    action: str  # the event's action, or "overdue"
    to_status: str
    at: datetime  # the event's time, or the resolve deadline
    note: str = ""


_BY_ACTION = {Action.RETURN.value: Blocking.RETURNED, Action.REQUEST_EXTENSION.value: Blocking.EXTENSION}


def blocking_kind(mark: TicketMark) -> Blocking | None:
    """Which blocking point a mark makes, if any. Which tickets are marked at all (open, not
    answered, overdue by how much) is decided in SQL, once (storage/bulletin_sql.py)."""
    if mark.action == Blocking.OVERDUE.value:
        return Blocking.OVERDUE
    if mark.to_status == Status.REOPENED.value:
        return Blocking.REOPENED
    return _BY_ACTION.get(mark.action)


@dataclass(frozen=True, slots=True)
class BlockingPoint:
    kind: Blocking
    number: int
    company: str | None
    category: str | None
    text: str
    status: str
    at: datetime
    note: str = ""


def blocking_points(marks: Iterable[TicketMark]) -> list[BlockingPoint]:
    """One point per ticket and kind (its latest event), by kind then ticket number."""
    latest: dict[tuple[Blocking, int], TicketMark] = {}
    for mark in marks:
        kind = blocking_kind(mark)
        if kind is None:
            continue
        held = latest.get((kind, mark.number))
        if held is None or mark.at > held.at:
            latest[(kind, mark.number)] = mark
    order = list(Blocking)
    return [
        BlockingPoint(kind, m.number, m.company, m.category, m.text, m.status, m.at, m.note)
        for (kind, _), m in sorted(latest.items(), key=lambda kv: (order.index(kv[0][0]), kv[0][1]))
    ]


@dataclass(frozen=True, slots=True)
class PeriodDemand:
    """A ticket opened in the period (from chat or a visit), as it stands now."""

    number: int
    company: str | None  # None: confidential
    enterprise_key: str  # who raised it (the enterprise, or the contact without one): counts companies
    category: str | None
    text: str
    status: str


@dataclass(frozen=True, slots=True)
class Quote:
    number: int | None
    company: str | None  # None: confidential (or not known)
    text: str


@dataclass(frozen=True, slots=True)
class CategoryCount:
    category: str
    count: int
    open: int
    answered: int
    closed: int


@dataclass(frozen=True, slots=True)
class Cluster:
    """Similar demands across enterprises: explained by the terms they share."""

    terms: tuple[str, ...]
    members: tuple[int, ...]  # ticket numbers
    enterprises: int
    quote: Quote


@dataclass(frozen=True, slots=True)
class Resolved:
    number: int
    company: str | None
    category: str | None
    outcome: str | None
    how: str


@dataclass(frozen=True, slots=True)
class Note:
    kind: str  # "opinion" or "plan" (bot.domain.campaigns.ItemKind)
    company: str
    text: str


@dataclass(frozen=True, slots=True)
class BulletinContent:
    since: date
    until: date  # exclusive
    demands: int
    enterprises: int
    categories: tuple[CategoryCount, ...]
    clusters: tuple[Cluster, ...]
    quotes: tuple[Quote, ...]  # one per category, the most recent
    resolved: tuple[Resolved, ...]
    blocking: tuple[BlockingPoint, ...]
    notes: tuple[Note, ...] = ()
    overdue_days: int = 10

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return _jsonable(data)  # type: ignore[no-any-return]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BulletinContent:
        def quote(q: dict[str, Any]) -> Quote:
            return Quote(q["number"], q["company"], q["text"])

        return cls(
            since=date.fromisoformat(data["since"]),
            until=date.fromisoformat(data["until"]),
            demands=data["demands"],
            enterprises=data["enterprises"],
            categories=tuple(CategoryCount(**c) for c in data["categories"]),
            clusters=tuple(
                Cluster(tuple(c["terms"]), tuple(c["members"]), c["enterprises"], quote(c["quote"]))
                for c in data["clusters"]
            ),
            quotes=tuple(quote(q) for q in data["quotes"]),
            resolved=tuple(Resolved(**r) for r in data["resolved"]),
            blocking=tuple(
                BlockingPoint(
                    Blocking(b["kind"]),
                    b["number"],
                    b["company"],
                    b["category"],
                    b["text"],
                    b["status"],
                    datetime.fromisoformat(b["at"]),
                    b["note"],
                )
                for b in data["blocking"]
            ),
            notes=tuple(Note(**n) for n in data.get("notes", ())),
            overdue_days=data.get("overdue_days", 10),
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    return value


@dataclass(frozen=True, slots=True)
class ArchivedBulletin:
    id: int
    since: date
    until: date
    built_at: datetime
    built_by: str  # an officer's id, "cli", or "scheduler"
    lang: str
    content: BulletinContent
    markdown: str
    sent: bool = False
    schedule_key: str | None = field(default=None)


def last_week(today: date) -> tuple[date, date]:
    """The last full week (Monday to Monday, exclusive) before `today`."""
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(days=7), monday


def scheduled_period(now: datetime, weekday: int, at: time) -> tuple[date, date]:
    """The period of the latest scheduled run at or before `now` (local time): the last full week
    before that run's day. Asked every day, it names the same period until the next run is due, so
    a run missed while no process was up is made late, once, and never a second time."""
    days_back = (now.weekday() - weekday) % 7
    run_day = now.date() - timedelta(days=days_back)
    if days_back == 0 and now.time() < at:
        run_day -= timedelta(days=7)
    return last_week(run_day)


def schedule_key(since: date, until: date) -> str:
    """The claim of a scheduled period: one bulletin per period, whichever process builds it."""
    return f"weekly:{since.isoformat()}..{until.isoformat()}"
