"""The report for a seeded month matches hand-computed figures, in every format, on SQLite and PostgreSQL.

November 2026 in Xiamen: [2026-11-01 00:00, 2026-12-01 00:00) Asia/Shanghai. Thirteen tickets are
stored with known outcomes (`MONTH` below says each one's story); the expected figures are
written out by hand from those stories, as fractions, with the tickets that make them up.
"""

from __future__ import annotations

import csv
import io
import struct
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.config import Settings
from bot.domain.messages import Role
from bot.domain.periods import Period
from bot.domain.report import Report
from bot.domain.tickets import (
    Action,
    ClosingReason,
    Resolution,
    Satisfaction,
    Status,
    Ticket,
    TicketEvent,
)
from handlers.deps import Deps
from handlers.report_files import render_file
from handlers.report_format import ReportWords, markdown
from handlers.reports import load_report
from storage.protocols import UnitOfWorkFactory
from tests import builders
from tests.conftest import Clock
from tests.fakes import FakeNlu

XIAMEN = ZoneInfo("Asia/Shanghai")
NOVEMBER = Period(date(2026, 11, 1), date(2026, 12, 1), XIAMEN)
AS_OF = datetime(2026, 12, 5, 10, 0, tzinfo=XIAMEN).astimezone(UTC)  # the report is made on 5 December
H = timedelta(hours=1)
D = timedelta(days=1)


def local(month: int, day: int, hour: float = 10) -> datetime:
    return (datetime(2026, month, day, tzinfo=XIAMEN) + hour * H).astimezone(UTC)


@dataclass(frozen=True)
class Story:
    ticket: Ticket
    events: tuple[tuple[Action, Status], ...] = ()  # (action, to status), for the survey counts


SURVEYED = (Action.START_SURVEY, Status.SURVEY)
REOPENED = (Action.ANSWER_SATISFACTION, Status.REOPENED)
NOT_RESOLVED = (Action.ANSWER_RESOLUTION, Status.REOPENED)


def handled(
    at: datetime,
    category: str | None,
    department: str,
    officer: str,
    *,
    answered_in_time: bool = True,
    closed_after: timedelta | None = None,
    reason: ClosingReason = ClosingReason.RESOLVED,
    **kw: Any,
) -> Ticket:
    """Dispatched at `at`; due to respond in 24 hours and to resolve in 7 days unless `kw` says
    otherwise; answered (signed for after 1 hour, enterprise contacted after 2) if so told."""
    fields: dict[str, Any] = {"status": Status.IN_PROGRESS}
    if answered_in_time:
        fields |= {"signed_at": at + H, "first_contact_at": at + 2 * H}
    if closed_after is not None:
        fields |= {"status": Status.CLOSED, "closed_at": at + closed_after, "closing_reason": reason}
    return builders.ticket(
        at=at, category=category, department_id=department, assignee_id=officer, **(fields | kw)
    )


RESOLVED_SATISFIED: dict[str, Any] = {
    "resolution": Resolution.RESOLVED,
    "satisfaction": Satisfaction.SATISFIED,
}

MONTH: list[Story] = [
    # 1: answered in time, closed after 2 days (in time), rated resolved and satisfied.
    Story(
        handled(
            local(11, 2), "finance", "finance_office", "wu_bin", closed_after=2 * D, **RESOLVED_SATISFIED
        ),
        (SURVEYED,),
    ),
    # 2: signed for after 30 hours (late); dissatisfied, reopened, surveyed again: partly resolved,
    #    basically satisfied; closed after 10 days (3 days late).
    Story(
        handled(
            local(11, 3),
            "finance",
            "finance_office",
            "wu_bin",
            signed_at=local(11, 4, 16),
            first_contact_at=local(11, 4, 17),
            closed_after=10 * D,
            reason=ClosingReason.PARTLY_RESOLVED,
            resolution=Resolution.PARTLY,
            satisfaction=Satisfaction.BASICALLY,
        ),
        (SURVEYED, REOPENED, SURVEYED),
    ),
    # 3: answered in time; the survey went unanswered: closed unrated after 4 days (in time).
    Story(handled(local(11, 5, 9), "tax", "tax_bureau", "guo_ping", closed_after=4 * D), (SURVEYED,)),
    # 4: answered in time; rated "not resolved": reopened and still open, due 17 November.
    Story(
        handled(
            local(11, 10),
            "talent",
            "hr_social",
            "fang_yi",
            status=Status.REOPENED,
            resolution=Resolution.NOT_RESOLVED,
        ),
        (SURVEYED, NOT_RESOLVED),
    ),
    # 5: answered in time, in progress, due 27 November.
    Story(handled(local(11, 20), "land_space", "natural_resources", "huang_tao")),
    # 6: answered in time, waiting for the enterprise since 26 November, due 2 December: its clock
    #    stopped before the deadline, so it is not overdue.
    Story(
        handled(
            local(11, 25),
            "land_space",
            "natural_resources",
            "huang_tao",
            status=Status.WAITING_ENTERPRISE,
            paused_at=local(11, 26),
        )
    ),
    # 7: no category (routed to the service centre), withdrawn after 3 days before anyone signed.
    Story(
        handled(
            local(11, 5),
            None,
            "service_center",
            "li_na",
            answered_in_time=False,
            closed_after=3 * D,
            reason=ClosingReason.WITHDRAWN,
        )
    ),
    # 8: an approval demand never dispatched (no department), opened 15 November, due the 22nd.
    Story(builders.ticket(at=local(11, 15), category="approval", status=Status.ACCEPTED)),
    # 9: urgent, opened at 23:00 on the period's last day: answered in 1 and 2 hours (2 allowed),
    #    closed after 21 hours (1 day allowed), rated resolved and satisfied.
    Story(
        handled(
            local(11, 30, 23),
            "utilities",
            "industry_it",
            "wang_lei",
            urgent=True,
            respond_by=local(11, 30, 25),
            resolve_by=local(11, 30, 23 + 24),
            closed_after=21 * H,
            **RESOLVED_SATISFIED,
        ),
        (SURVEYED,),
    ),
    # 10: a duplicate of ticket 2, merged an hour after it came in, before anyone signed.
    Story(
        handled(
            local(11, 3, 11),
            "finance",
            "finance_office",
            "wu_bin",
            answered_in_time=False,
            closed_after=H,
            reason=ClosingReason.DUPLICATE,
        )
    ),
    # 11: opened at 23:30 on 31 October: before the period. Open and long overdue, surveyed: it
    #     would show everywhere if it were counted.
    Story(handled(local(10, 31, 23.5), "finance", "finance_office", "wu_bin"), (SURVEYED,)),
    # 12: opened at midnight starting 1 December: after the period (its end is not included);
    #     due the next day, so overdue on 5 December.
    Story(handled(local(12, 1, 0), "tax", "tax_bureau", "guo_ping", resolve_by=local(12, 2, 0))),
    # 13: opened at midnight starting 1 November (16:00 UTC on 31 October): in the period.
    #     Answered in time, closed after 11 days (4 days late), rated resolved and satisfied.
    Story(
        handled(local(11, 1, 0), "trade", "commerce", "ye_fang", closed_after=11 * D, **RESOLVED_SATISFIED),
        (SURVEYED,),
    ),
]

# --- The figures, by hand --------------------------------------------------------------------
# In the period: tickets 1-10 and 13 (11 tickets). Ticket 8 has no department.
OPENED = 11
BY_CATEGORY = {  # ticket 7 has no category: counted as "other"
    "finance": 3,  # 1, 2, 10
    "land_space": 2,  # 5, 6
    "approval": 1,  # 8
    "other": 1,  # 7
    "talent": 1,  # 4
    "tax": 1,  # 3
    "trade": 1,  # 13
    "utilities": 1,  # 9
}
BY_DEPARTMENT = {
    "finance_office": 3,  # 1, 2, 10
    "natural_resources": 2,  # 5, 6
    "": 1,  # 8, not dispatched
    "commerce": 1,  # 13
    "hr_social": 1,  # 4
    "industry_it": 1,  # 9
    "service_center": 1,  # 7
    "tax_bureau": 1,  # 3
}
RATES = {
    # answered in time (1, 3, 4, 5, 6, 9, 13) of the dispatched (all but 8); 2 was late, 7 and 10 never signed
    "response_rate": (7, 10),
    # rated resolved (1, 9, 13) of the rated (1, 2, 4, 9, 13); 3 went unrated
    "resolution_rate": (3, 5),
    # satisfied or basically (1, 2, 9, 13) of the rated (1, 2, 4, 9, 13)
    "satisfaction_rate": (4, 5),
    # closed in time (1, 3, 9) of those closed by handling (1, 2, 3, 9, 13); 7 withdrawn, 10 duplicate
    "on_time_rate": (3, 5),
    # reopened (2, 4) of the surveyed (1, 2, 3, 4, 9, 13)
    "reopen_rate": (2, 6),
}
# closed by handling: 1 in 48 h, 2 in 240 h, 3 in 96 h, 9 in 21 h, 13 in 264 h
AVERAGE_RESOLVE_HOURS = (48 + 240 + 96 + 21 + 264) / 5
# past the resolve deadline, most first, on 5 December 10:00:
MOST_OVERDUE = [
    (4, 18 * 24),  # open, due 17 November
    (8, 13 * 24),  # open (never dispatched), due 22 November
    (5, 8 * 24),  # open, due 27 November
    (13, 4 * 24),  # closed 4 days late
    (2, 3 * 24),  # closed 3 days late
]


async def seed_month(storage: UnitOfWorkFactory) -> dict[int, int]:
    """Store the month's tickets in order; returns story number -> ticket number."""
    async with storage() as uow:
        await uow.enterprises.add(builders.enterprise("acme"))
        contact = await uow.contacts.add(builders.contact("acme"))
        assert contact.id is not None
        numbers = {}
        for index, story in enumerate(MONTH, start=1):
            stored = await uow.tickets.add(replace(story.ticket, contact_id=contact.id))
            assert stored.number is not None
            numbers[index] = stored.number
            for action, to_status in story.events:
                event = TicketEvent(
                    stored.number,
                    story.ticket.created_at,
                    "x",
                    Role.ENTERPRISE,
                    action,
                    Status.SURVEY,
                    to_status,
                )
                await uow.events.append(event)
        await uow.commit()
    return numbers


async def the_report(storage: UnitOfWorkFactory, settings: Settings) -> tuple[Report, dict[int, int], Deps]:
    numbers = await seed_month(storage)
    deps = Deps(storage=storage, directory=settings.bootstrap_directory(), nlu=FakeNlu(), clock=Clock(AS_OF))
    return await load_report(deps, NOVEMBER.since, NOVEMBER.until), numbers, deps


async def test_the_figures_match_the_hand_count(storage: UnitOfWorkFactory, settings: Settings) -> None:
    report, numbers, _ = await the_report(storage, settings)
    assert report.opened == OPENED
    assert dict(report.by_category) == BY_CATEGORY
    assert [n for _, n in report.by_category] == sorted(BY_CATEGORY.values(), reverse=True)
    assert {d or "": n for d, n in report.by_department} == BY_DEPARTMENT
    for name, (part, whole) in RATES.items():
        assert getattr(report.rates, name) == part / whole, name
    assert report.average_resolve is not None
    assert report.average_resolve.total_seconds() / 3600 == pytest.approx(AVERAGE_RESOLVE_HOURS, abs=1e-3)
    listed = [(o.number, round(o.overdue_seconds / 3600, 3)) for o in report.most_overdue]
    assert listed == [(numbers[story], hours) for story, hours in MOST_OVERDUE]


async def test_every_format_carries_the_same_figures(storage: UnitOfWorkFactory, settings: Settings) -> None:
    report, numbers, deps = await the_report(storage, settings)
    words = ReportWords(report, "zh-CN", deps.directory, deps.timezone)

    text = render_file(words, "md").data.decode("utf-8")
    assert text == markdown(words)
    assert "企业服务专线工作报告 · 2026-11-01 至 2026-11-30" in text
    assert "| 响应率 | 70.0% | 按时签收并联系企业 7 / 应已响应的派单 10 |" in text
    assert "| 重启率 | 33.3% | 重启过 2 / 已回访 6 |" in text
    assert "| 平均办结用时 | 5天14小时 | 已办结 5 件，自受理至办结 |" in text  # 133.8 hours
    assert "| 融资信贷 | 3 | 27.3% |" in text
    assert "| 未派单 | 1 | 9.1% |" in text
    overdue_rows = [line for line in text.splitlines() if line.startswith("| #")]
    assert [row.split(" | ")[0] for row in overdue_rows] == [f"| #{numbers[s]}" for s, _ in MOST_OVERDUE]
    assert overdue_rows[0].endswith("| 18天 |")

    rows = list(csv.DictReader(io.StringIO(render_file(words, "csv").data.decode("utf-8-sig"))))
    by_key = {(r["section"], r["key"]): r for r in rows}
    assert by_key[("volume", "opened")]["value"] == str(OPENED)
    for name, (part, whole) in RATES.items():
        row = by_key[("rate", name)]
        assert (int(row["part"]), int(row["whole"])) == (part, whole)
        assert float(row["value"]) == part / whole
    assert float(by_key[("time", "average_resolve_hours")]["value"]) == pytest.approx(
        AVERAGE_RESOLVE_HOURS, abs=1e-3
    )
    assert {r["key"]: int(r["value"]) for r in rows if r["section"] == "category"} == BY_CATEGORY
    assert {r["key"]: int(r["value"]) for r in rows if r["section"] == "department"} == BY_DEPARTMENT
    overdue = [(int(r["key"]), round(float(r["value"]), 3)) for r in rows if r["section"] == "overdue"]
    assert overdue == [(numbers[story], hours) for story, hours in MOST_OVERDUE]
    assert by_key[("period", "first_day")]["value"] == "2026-11-01"
    assert by_key[("period", "last_day")]["value"] == "2026-11-30"

    book = load_workbook(io.BytesIO(render_file(words, "xlsx").data))
    assert book.sheetnames == ["概要", "按类别", "按部门", "超期工单"]
    summary = {row[4]: row for row in book["概要"].iter_rows(values_only=True) if len(row) > 4 and row[4]}
    assert summary["opened"][1] == OPENED
    for name, (part, whole) in RATES.items():
        assert summary[name][1:4] == (part / whole, part, whole)
    assert summary["average_resolve_hours"][1] == pytest.approx(AVERAGE_RESOLVE_HOURS, abs=0.01)
    categories = {row[3]: row[1] for row in book["按类别"].iter_rows(min_row=2, values_only=True)}
    assert categories == BY_CATEGORY
    departments = {row[3] or "": row[1] for row in book["按部门"].iter_rows(min_row=2, values_only=True)}
    assert departments == BY_DEPARTMENT
    late = [(row[0], row[5]) for row in book["超期工单"].iter_rows(min_row=2, values_only=True)]
    assert late == [(numbers[story], hours) for story, hours in MOST_OVERDUE]

    chart = render_file(words, "png")
    assert chart.data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", chart.data[16:24])  # the IHDR chunk comes first
    assert (width, height) == (1320, 660)
    assert len(chart.data) > 30_000  # bars, labels and figures, not an empty canvas
