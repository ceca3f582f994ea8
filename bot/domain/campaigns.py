"""Door-knocking campaigns (走访 / 敲门行动): which enterprises a campaign targets, who visits each,
and how far the visits have come. Pure rules; storage keeps the rows, handlers say the words.

A campaign targets enterprises by the policy dimensions (industry, district, size class, tags:
bot.domain.policies.Tags) or by an imported list of credit codes, and assigns each target to its
liaison officer, else spreads the rest over the departments the lead names."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from bot.domain.enterprise import Enterprise
from bot.domain.errors import DomainError
from bot.domain.messages import Actor, Role
from bot.domain.org import Directory
from bot.domain.policies import Tags, enterprise_qualifies

NEAR_END_DAYS = 7  # from this many days before a campaign's end, officers hear of what is left


class CampaignStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ItemKind(StrEnum):
    """What an officer brings back from a visit: a demand becomes a ticket; the rest are notes."""

    DEMAND = "demand"
    OPINION = "opinion"  # an opinion or a suggestion (意见建议)
    PLAN = "plan"  # a project plan (项目计划)


class VisitStep(StrEnum):
    """The question a visit being recorded waits on; None once the officer said /done."""

    DATE = "date"
    MET = "met"
    SITUATION = "situation"
    ITEMS = "items"


@dataclass(frozen=True, slots=True)
class Targeting:
    """Who a campaign is for: enterprises matching every restricted dimension of `tags`, or, with
    `codes`, exactly the enterprises with those credit codes (an imported list). `key_support`
    narrows either to the enterprises on the centre's key-support list (重点帮扶): a lead who
    imports a list and asks for key support means the key-support ones of that list."""

    tags: Tags = field(default_factory=Tags)
    codes: frozenset[str] = frozenset()
    key_support: bool = False

    def matches(self, enterprise: Enterprise) -> bool:
        if self.key_support and not enterprise.key_support:
            return False
        if self.codes:
            return enterprise.uscc is not None and enterprise.uscc.upper() in self.codes
        return enterprise_qualifies(self.tags, enterprise)

    def as_dict(self) -> dict[str, object]:
        stored: dict[str, object] = {"tags": self.tags.as_dict(), "codes": sorted(self.codes)}
        if self.key_support:  # only when set: campaigns stored before the flag read back the same
            stored["key_support"] = True
        return stored

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Targeting:
        tags = data.get("tags") or {}
        codes = data.get("codes") or []
        assert isinstance(tags, dict)
        assert isinstance(codes, list)
        return cls(Tags.of(tags), frozenset(str(c).upper() for c in codes), data.get("key_support") is True)


@dataclass(frozen=True, slots=True)
class Campaign:
    id: int | None
    name: str
    starts_on: date
    ends_on: date
    lead_id: str
    targeting: Targeting = field(default_factory=Targeting)
    departments: tuple[str, ...] = ()  # where enterprises without a liaison officer go
    status: CampaignStatus = CampaignStatus.OPEN
    created_at: datetime | None = None
    closed_at: datetime | None = None

    @property
    def ref(self) -> str:
        return f"C{self.id}"

    def days_left(self, today: date) -> int:
        """Days from today to the last day, the last day counted; 0 once it is over."""
        return max((self.ends_on - today).days + 1, 0)

    def running_on(self, today: date) -> bool:
        return self.status is CampaignStatus.OPEN and self.starts_on <= today <= self.ends_on

    def behind_pace(self, assigned: int, visited: int, today: date) -> bool:
        """Fewer visited than an even pace over the period would have by the end of yesterday:
        the officer cannot finish on time without catching up."""
        if visited >= assigned or not self.running_on(today):
            return False
        days = (self.ends_on - self.starts_on).days + 1
        return visited * days < assigned * (today - self.starts_on).days

    def near_end(self, today: date) -> bool:
        return (
            self.status is CampaignStatus.OPEN
            and self.starts_on <= today <= self.ends_on
            and (self.days_left(today) <= NEAR_END_DAYS)
        )


@dataclass(frozen=True, slots=True)
class Assignment:
    enterprise_id: str
    officer_id: str | None
    department_id: str | None


class CampaignRefused(DomainError):
    """A campaign command that cannot be done; `key` says why."""

    def __init__(self, key: str, **params: object) -> None:
        self.key = key
        super().__init__(**params)


def may_lead(actor: Actor) -> bool:
    """Heads and admins run campaigns."""
    return actor.is_staff and actor.role in (Role.HEAD, Role.ADMIN)


def check_period(starts_on: date, ends_on: date) -> None:
    if ends_on < starts_on:
        raise CampaignRefused("campaign.bad_period", starts=starts_on.isoformat(), ends=ends_on.isoformat())


def assign(
    enterprises: Sequence[Enterprise], departments: Sequence[str], directory: Directory
) -> list[Assignment]:
    """Each enterprise to its liaison officer (when that officer is still configured); the others
    spread in turn over the named departments, and within each department in turn over its
    officers, so that every target has someone to visit it. Without named departments they stay
    unassigned (reassign them with `/campaign assign`)."""
    spread = [d for d in departments if d in directory.departments]
    members = {d: sorted(o.id for o in directory.members(d)) for d in spread}
    turns = dict.fromkeys(spread, 0)
    assignments = []
    index = 0
    for enterprise in sorted(enterprises, key=lambda e: e.id):
        liaison = directory.officers.get(enterprise.liaison_officer_id or "")
        if liaison is not None:
            assignments.append(Assignment(enterprise.id, liaison.id, liaison.department_id))
            continue
        if not spread:
            assignments.append(Assignment(enterprise.id, None, None))
            continue
        department = spread[index % len(spread)]
        index += 1
        officers = members[department]
        officer = officers[turns[department] % len(officers)] if officers else None
        turns[department] += 1
        assignments.append(Assignment(enterprise.id, officer, department))
    return assignments


def targets(targeting: Targeting, enterprises: Iterable[Enterprise]) -> list[Enterprise]:
    return [e for e in enterprises if targeting.matches(e)]


@dataclass(frozen=True, slots=True)
class Coverage:
    """One line of a coverage table: a campaign's whole, a department's or an officer's share."""

    key: str | None  # the officer or department id; None for the whole campaign or "unassigned"
    assigned: int
    visited: int
    demands: int = 0
    resolved: int = 0
    notes: int = 0  # opinions and project plans

    @property
    def remaining(self) -> int:
        return self.assigned - self.visited

    @property
    def percent(self) -> float:
        return round(100 * self.visited / self.assigned, 1) if self.assigned else 0.0


@dataclass(frozen=True, slots=True)
class CoverageReport:
    campaign: Campaign
    total: Coverage
    by_department: list[Coverage] = field(default_factory=list)
    by_officer: list[Coverage] = field(default_factory=list)


def parse_code_list(lines: Iterable[str]) -> list[str]:
    """Credit codes from an imported list: the first cell of each row that looks like one
    (18 letters and digits), upper-cased, duplicates dropped, in order."""
    seen: dict[str, None] = {}
    for line in lines:
        cell = line.strip().split(",")[0].strip().strip('"').upper()
        if len(cell) == 18 and cell.isalnum():
            seen.setdefault(cell, None)
    return list(seen)


@dataclass(frozen=True, slots=True)
class Visit:
    id: int | None
    campaign_id: int | None
    enterprise_id: str
    officer_id: str
    visited_on: date
    created_at: datetime
    updated_at: datetime
    met: str | None = None
    situation: str | None = None
    step: VisitStep | None = VisitStep.DATE
    pending_text: str | None = None  # an item sent without its kind, while Xiaoer asks which

    @property
    def ref(self) -> str:
        return f"V{self.id}"

    @property
    def recorded(self) -> bool:
        """It counts towards coverage once the enterprise's situation is written down."""
        return self.situation is not None


@dataclass(frozen=True, slots=True)
class VisitItem:
    id: int | None
    visit_id: int
    kind: ItemKind
    text: str
    created_at: datetime
    ticket_number: int | None = None


def may_correct(actor: Actor, visit: Visit, recorded_on: date, today: date) -> bool:
    """Its author, on the day it was recorded (`recorded_on`: in the centre's time zone)."""
    return actor.officer_id == visit.officer_id and recorded_on == today


@dataclass(frozen=True, slots=True)
class BulletinItem:
    """A visit's demand or note as the bulletin reads it."""

    kind: ItemKind
    text: str
    enterprise_name: str
    officer_id: str
    visited_on: date
    ticket_number: int | None = None
    category: str | None = None
    status: str | None = None
    confidential: bool = False
