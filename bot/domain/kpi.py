"""The figures a hotline is assessed on, defined once. Storage counts; this module divides.

Over the tickets opened in a period:

- response rate = tickets signed for by their signing deadline AND first contacted by their
  response deadline ÷ tickets dispatched whose response is settled at the time of counting:
  both done, or one done late, or a deadline passed without it. A ticket still within its limits
  is not counted either way until it is (a report made the morning after a ticket came in must
  not call it a failure). Tickets from before signing had a deadline of its own use the response
  deadline for both;
- resolution rate = tickets the enterprise rated "resolved" ÷ tickets rated (a ticket is rated
  when its last survey got a verdict: both answers, or "not resolved", after which the second
  question is not asked; "partly" is not resolved; a reopened ticket's verdict counts until a
  later survey replaces it);
- satisfaction rate = tickets rated "satisfied" or "basically satisfied" ÷ tickets rated;
- on-time rate = closed tickets whose last answer (the officers' /resolve) came by their
  resolution deadline ÷ tickets closed (withdrawn and duplicate tickets are not counted: nobody
  handled them to the end). The answer, not the closing, is what officers control: a ticket
  closes when the enterprise rates it, or when its survey window runs out unrated. A closed
  ticket with no answer on record counts by when it closed;
- reopen rate = tickets reopened at least once ÷ tickets that reached the survey.

A rate with nothing to divide by is None ("no data"), never 0 or 100%.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True, slots=True)
class KpiCounts:
    dispatched: int = 0
    responded_in_time: int = 0
    response_pending: int = 0  # dispatched, within its signing and contact limits, not both done
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


RATE_NAMES: tuple[str, ...] = tuple(f.name for f in fields(KpiRates))


def fractions(counts: KpiCounts) -> dict[str, tuple[int, int]]:
    """Each rate as (part, whole), in RATE_NAMES order: the definitions above, written once."""
    return {
        "response_rate": (counts.responded_in_time, counts.dispatched - counts.response_pending),
        "resolution_rate": (counts.resolved, counts.rated),
        "satisfaction_rate": (counts.satisfied, counts.rated),
        "on_time_rate": (counts.closed_on_time, counts.closed),
        "reopen_rate": (counts.reopened, counts.surveyed),
    }


def rates(counts: KpiCounts) -> KpiRates:
    parts = fractions(counts)
    return KpiRates(
        response_rate=_ratio(*parts["response_rate"]),
        resolution_rate=_ratio(*parts["resolution_rate"]),
        satisfaction_rate=_ratio(*parts["satisfaction_rate"]),
        on_time_rate=_ratio(*parts["on_time_rate"]),
        reopen_rate=_ratio(*parts["reopen_rate"]),
    )


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None
