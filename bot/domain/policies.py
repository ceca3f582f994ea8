"""Policies and who they are for: a policy's eligibility against an enterprise's or a member-unit
group's tags, and the moves of a policy (draft → published → withdrawn).

Tags come in four dimensions: industry, district, size class (规上, 小微, ...) and qualifications
(high_tech, 专精特新, ...; an enterprise's `tags`). Values are compared without regard to case and
surrounding space, and never translated: a policy that asks for `高新技术` does not reach an
enterprise tagged `high_tech` (`xiaoer policy publish` warns about values nobody carries).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from bot.domain.enterprise import Enterprise
from bot.domain.errors import DomainError

DIMENSIONS = ("industry", "district", "size_class", "qualifications")


def tag_value(value: str) -> str:
    """How a tag is compared: case and surrounding space do not matter."""
    return value.strip().casefold()


@dataclass(frozen=True, slots=True)
class Tags:
    """Values per dimension. For a recipient: what it is. For a policy's eligibility: who
    qualifies, where an empty dimension means anyone does."""

    industry: frozenset[str] = frozenset()
    district: frozenset[str] = frozenset()
    size_class: frozenset[str] = frozenset()
    qualifications: frozenset[str] = frozenset()

    @classmethod
    def of(cls, values: Mapping[str, Iterable[str]]) -> Tags:
        """From a mapping of dimension → values (unknown dimensions are the caller's to refuse)."""
        return cls(
            **{
                dimension: frozenset(str(v).strip() for v in values.get(dimension, ()) if str(v).strip())
                for dimension in DIMENSIONS
            }
        )

    def values(self, dimension: str) -> frozenset[str]:
        found: frozenset[str] = getattr(self, dimension)
        return found

    def as_dict(self) -> dict[str, list[str]]:
        return {d: sorted(self.values(d)) for d in DIMENSIONS if self.values(d)}

    @property
    def is_empty(self) -> bool:
        return not any(self.values(d) for d in DIMENSIONS)


def enterprise_tags(enterprise: Enterprise) -> Tags:
    return Tags(
        industry=frozenset({enterprise.industry} if enterprise.industry else ()),
        district=frozenset({enterprise.district} if enterprise.district else ()),
        size_class=frozenset({enterprise.size_class} if enterprise.size_class else ()),
        qualifications=frozenset(enterprise.tags),
    )


def _overlap(wanted: frozenset[str], have: frozenset[str]) -> bool:
    return bool({tag_value(v) for v in wanted} & {tag_value(v) for v in have})


def unmet(eligibility: Tags, enterprise: Enterprise) -> list[str]:
    """The dimensions in which the enterprise does not qualify (an unknown value does not)."""
    have = enterprise_tags(enterprise)
    return [
        d for d in DIMENSIONS if eligibility.values(d) and not _overlap(eligibility.values(d), have.values(d))
    ]


def enterprise_qualifies(eligibility: Tags, enterprise: Enterprise) -> bool:
    """Every dimension the policy restricts must hold for the enterprise (any one of the listed
    values will do: a policy for 规上 or 小微 takes either)."""
    return not unmet(eligibility, enterprise)


def group_matches(eligibility: Tags, group: Tags) -> bool:
    """A group gathers several enterprises: a dimension it says nothing about is mixed and does not
    exclude it (a district's group hears of a 规上 policy); a dimension it names must overlap."""
    return all(
        not eligibility.values(d) or not group.values(d) or _overlap(eligibility.values(d), group.values(d))
        for d in DIMENSIONS
    )


@dataclass(frozen=True, slots=True)
class MemberGroup:
    """A member-unit group chat (configured under `groups:`) that receives the notices meant for it."""

    id: str
    name: str
    channel: str
    chat_id: str
    lang: str = "zh-CN"
    tags: Tags = field(default_factory=Tags)


class PolicyStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class DraftStep(StrEnum):
    """What a policy drafted in chat waits for next."""

    TITLE = "title"
    BODY = "body"
    TAGS = "tags"
    DEADLINE = "deadline"
    PREVIEW = "preview"


@dataclass(frozen=True, slots=True)
class Policy:
    id: int | None
    title: str
    body: str  # Markdown
    department_id: str  # the issuing department: applications and questions go there
    created_by: str  # an officer id, or "cli"
    created_at: datetime
    category: str = "subsidy"
    eligibility: Tags = field(default_factory=Tags)
    effective_from: date | None = None
    effective_until: date | None = None
    deadline: date | None = None  # the last day to apply
    links: tuple[str, ...] = ()
    how_to_apply: str = ""
    status: PolicyStatus = PolicyStatus.DRAFT
    published_at: datetime | None = None
    withdrawn_at: datetime | None = None
    # The channel a chat publisher used: the delivery report goes back there (None: the CLI).
    published_via: str | None = None
    draft_step: DraftStep | None = None

    @property
    def ref(self) -> str:
        return f"P{self.id}"

    def open_on(self, day: date) -> bool:
        """In force and still taking applications on that day."""
        if self.effective_from is not None and day < self.effective_from:
            return False
        if self.effective_until is not None and day > self.effective_until:
            return False
        return self.deadline is None or day <= self.deadline


class PolicyRefused(DomainError):
    """A policy move that does not apply now; `key` is set per refusal."""

    def __init__(self, key: str, **params: object) -> None:
        self.key = key
        super().__init__(**params)


def publish(policy: Policy, at: datetime, via: str | None) -> Policy:
    if policy.status is not PolicyStatus.DRAFT:
        raise PolicyRefused("policy.not_draft", ref=policy.ref)
    return replace(policy, status=PolicyStatus.PUBLISHED, published_at=at, published_via=via, draft_step=None)


def withdraw(policy: Policy, at: datetime) -> Policy:
    if policy.status is PolicyStatus.WITHDRAWN:
        raise PolicyRefused("policy.already_withdrawn", ref=policy.ref)
    return replace(policy, status=PolicyStatus.WITHDRAWN, withdrawn_at=at, draft_step=None)


def reminder_due(policy: Policy, today: date, days_before: int) -> bool:
    """A published policy whose deadline is at most `days_before` days away and not yet passed."""
    if policy.status is not PolicyStatus.PUBLISHED or policy.deadline is None:
        return False
    return 0 <= (policy.deadline - today).days <= days_before and policy.open_on(today)


@dataclass(frozen=True, slots=True)
class PolicyOptions:
    """How policies are delivered (config `policies:`)."""

    remind_days_before: int = 7
    # Channels whose private chats with enterprise contacts receive notices and reminders.
    channels: tuple[str, ...] = ("telegram",)
    excerpt_chars: int = 1500  # how much of the body a notice carries (Telegram takes 4096 in all)


class ResponseKind(StrEnum):
    ACK = "ack"  # "Got it"
    APPLY = "apply"  # "I want to apply": a ticket for the issuing department
    ASK = "ask"  # "Ask a question": the next message is the question


@dataclass(frozen=True, slots=True)
class PolicyResponse:
    policy_id: int
    kind: ResponseKind
    key: str  # what makes it one of a kind (see storage: a contact acknowledges once, ...)
    contact_id: int
    enterprise_id: str | None
    at: datetime
    ticket_number: int | None = None


def response_key(kind: ResponseKind, contact_id: int, enterprise_id: str | None, at: datetime) -> str:
    """An enterprise applies once (any of its people); a contact acknowledges once; questions
    are many."""
    if kind is ResponseKind.APPLY:
        return f"enterprise:{enterprise_id}" if enterprise_id else f"contact:{contact_id}"
    if kind is ResponseKind.ACK:
        return f"contact:{contact_id}"
    return f"contact:{contact_id}:{at.isoformat()}"
