"""The figures a hotline is assessed on, defined once. Storage counts; this module divides.

Over the tickets opened in a period:

- response rate = tickets signed for AND first contacted by their response deadline
  ÷ tickets dispatched;
- resolution rate = tickets the enterprise rated "resolved" ÷ tickets rated (a ticket is rated
  when its last survey got a verdict: both answers, or "not resolved", after which the second
  question is not asked; "partly" is not resolved; a reopened ticket's verdict counts until a
  later survey replaces it);
- satisfaction rate = tickets rated "satisfied" or "basically satisfied" ÷ tickets rated;
- on-time rate = tickets closed by their resolution deadline ÷ tickets closed (withdrawn and
  duplicate tickets are not counted: nobody handled them to the end);
- reopen rate = tickets reopened at least once ÷ tickets that reached the survey.

A rate with nothing to divide by is None ("no data"), never 0 or 100%.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class KpiCounts:
    dispatched: int = 0
    responded_in_time: int = 0
    rated: int = 0
    resolved: int = 0
    satisfied: int = 0
    closed: int = 0
    closed_on_time: int = 0
    surveyed: int = 0
    reopened: int = 0


@dataclass(frozen=True, slots=True)
class KpiRates:
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    on_time_rate: float | None
    reopen_rate: float | None


def rates(counts: KpiCounts) -> KpiRates:
    return KpiRates(
        response_rate=_ratio(counts.responded_in_time, counts.dispatched),
        resolution_rate=_ratio(counts.resolved, counts.rated),
        satisfaction_rate=_ratio(counts.satisfied, counts.rated),
        on_time_rate=_ratio(counts.closed_on_time, counts.closed),
        reopen_rate=_ratio(counts.reopened, counts.surveyed),
    )


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None
