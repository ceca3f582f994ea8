"""What the leadership bulletin asks of storage: the period's demands, what was answered, the
marks its blocking points are made of, the visit notes, and the archive. storage/bulletin_sql.py
implements it; tests/contract/test_bulletin.py holds it to it on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Protocol

from bot.domain.bulletin import ArchivedBulletin, Note, PeriodDemand, Resolved, TicketMark


class BulletinQueries(Protocol):
    async def period_demands(self, since: datetime, until: datetime) -> list[PeriodDemand]:
        """Tickets opened in [since, until) (duplicates merged into another left out), as they
        stand; by number. A confidential one's company is None."""
        ...

    async def resolved(self, since: datetime, until: datetime) -> list[Resolved]:
        """Tickets answered (/resolve) in [since, until), whenever opened: the latest answer of
        each, by number."""
        ...

    async def marks(self, since: datetime, until: datetime, overdue_before: datetime) -> list[TicketMark]:
        """The events of [since, until) that may block (return, request_extension, to reopened),
        and the open tickets whose resolve deadline is before `overdue_before` (action "overdue"),
        each with its ticket as it stands. bot.domain.bulletin.blocking_points decides."""
        ...

    async def notes(self, since: date, until: date) -> list[Note]:
        """Opinions and project plans of visits recorded on days in [since, until), every
        campaign's, by day then item."""
        ...

    async def claimed(self, schedule_key: str) -> bool:
        """Whether a bulletin of that scheduled period is in the archive already."""
        ...

    async def add(
        self,
        since: date,
        until: date,
        at: datetime,
        built_by: str,
        lang: str,
        content: dict[str, Any],
        markdown: str,
        sent: bool,
        schedule_key: str | None = None,
    ) -> int | None:
        """Archive a bulletin; with a `schedule_key` the archive holds already, nothing and None:
        another process claimed that period (the insert is the claim)."""
        ...

    async def get(self, bulletin_id: int) -> ArchivedBulletin | None: ...

    async def latest(self) -> ArchivedBulletin | None: ...

    async def listing(self, limit: int = 50) -> list[ArchivedBulletin]:
        """Newest first."""
        ...
