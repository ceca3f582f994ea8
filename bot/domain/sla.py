"""Response and resolution deadlines.

Until the working-day calendar lands (its own issue), deadlines are counted in calendar time from
the limits in config. Keeping the computation here means only this module changes then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class SlaLimits:
    response_hours: int = 24
    resolve_days: int = 7
    urgent_response_hours: int = 2
    urgent_resolve_days: int = 1


@dataclass(frozen=True, slots=True)
class Deadlines:
    respond_by: datetime
    resolve_by: datetime


def deadlines_for(opened_at: datetime, urgent: bool, limits: SlaLimits) -> Deadlines:
    if urgent:
        return Deadlines(
            respond_by=opened_at + timedelta(hours=limits.urgent_response_hours),
            resolve_by=opened_at + timedelta(days=limits.urgent_resolve_days),
        )
    return Deadlines(
        respond_by=opened_at + timedelta(hours=limits.response_hours),
        resolve_by=opened_at + timedelta(days=limits.resolve_days),
    )
