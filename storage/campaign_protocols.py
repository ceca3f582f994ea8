"""What campaigns and visits ask of storage (issue 15), as storage/protocols.py has the rest:
storage/campaigns_sql.py implements it; tests/contract/test_campaigns.py holds it to it on SQLite
and PostgreSQL. Coverage and the bulletin's items are SQL queries, written once there."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from bot.domain.campaigns import Assignment, BulletinItem, Campaign, Coverage, Visit, VisitItem
from bot.domain.enterprise import Contact, Enterprise


@dataclass(frozen=True, slots=True)
class TargetLine:
    """A target of a campaign with its visit, if any: a row of the final report."""

    enterprise: Enterprise
    officer_id: str | None
    department_id: str | None
    visited_on: date | None = None
    met: str | None = None
    situation: str | None = None
    demands: int = 0
    notes: int = 0


@dataclass(frozen=True, slots=True)
class CampaignEvent:
    at: datetime
    actor_id: str
    action: str
    note: str


class CampaignStore(Protocol):
    async def add(self, campaign: Campaign) -> Campaign:
        """Store a new campaign; the returned copy carries its id."""
        ...

    async def get(self, campaign_id: int) -> Campaign | None: ...

    async def listing(self, open_only: bool = False) -> list[Campaign]:
        """Newest first."""
        ...

    async def save(self, campaign: Campaign) -> None:
        """Write a stored campaign's name, period, departments and status."""
        ...

    async def set_targets(self, campaign_id: int, assignments: Sequence[Assignment]) -> None:
        """The campaign's targets and who visits each, replacing any before."""
        ...

    async def reassign(
        self, campaign_id: int, enterprise_ids: Sequence[str], officer_id: str, department_id: str
    ) -> int:
        """Give those targets to another officer; returns how many were the campaign's."""
        ...

    async def reassign_officer(
        self, campaign_id: int, from_officer: str, officer_id: str, department_id: str
    ) -> int:
        """All of one officer's targets to another; returns how many."""
        ...

    async def log(
        self, campaign_id: int, at: datetime, actor_id: str, action: str, note: str = ""
    ) -> None: ...

    async def events(self, campaign_id: int) -> list[CampaignEvent]: ...

    async def open_campaign_of(self, enterprise_id: str, day: date) -> Campaign | None:
        """The newest open campaign targeting the enterprise whose period holds the day."""
        ...

    async def coverage(self, campaign_id: int) -> list[Coverage]:
        """Per (officer, department) pair of the targets: assigned, visited (a recorded visit of
        the campaign), demands collected, how many of them closed by handling, notes. `key` is
        "officer|department" (either may be empty)."""
        ...

    async def remaining(self, officer_id: str, day: date) -> list[tuple[Campaign, Enterprise]]:
        """The officer's targets not yet visited in the open campaigns running on that day, by
        campaign then enterprise name: the numbers `/visit N` picks from."""
        ...

    async def target_lines(self, campaign_id: int) -> list[TargetLine]:
        """A row per target with its latest recorded visit, by enterprise name."""
        ...

    async def visits_by_day(self, campaign_id: int) -> list[tuple[date, int]]:
        """How many targets were first visited each day (coverage over time)."""
        ...

    async def start_visit(self, visit: Visit) -> Visit: ...

    async def visit(self, visit_id: int) -> Visit | None: ...

    async def visit_being_recorded(self, officer_id: str) -> Visit | None:
        """The officer's visit whose record waits on a question, if any."""
        ...

    async def save_visit(self, visit: Visit) -> None: ...

    async def add_item(self, item: VisitItem) -> VisitItem: ...

    async def items(self, visit_id: int) -> list[VisitItem]: ...

    async def contacts_of(self, enterprise_id: str) -> list[Contact]:
        """The chat identities bound to the enterprise, oldest first."""
        ...

    async def add_file(self, visit_id: int, kind: str, ref: str, at: datetime) -> None: ...

    async def files(self, visit_id: int) -> list[tuple[str, str]]:
        """(kind, reference) of the files kept with a visit, in the order they came."""
        ...

    async def bulletin_items(
        self, campaign_id: int, since: date | None = None, until: date | None = None
    ) -> list[BulletinItem]:
        """The campaign's items of recorded visits made in [since, until), with each demand's
        ticket as it stands: by kind, then visit day, then item."""
        ...
