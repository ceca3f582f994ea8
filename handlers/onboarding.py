"""How far binding has come: enterprises bound (a chat speaks for them) or not, per liaison officer
and per department (`/invites` in chat for heads, dispatchers, admins and the leadership;
`xiaoer invites report`), and the morning reminder to each liaison officer of their enterprises
no chat speaks for yet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.messages import Actor, Reply, ToOfficer
from bot.domain.org import Directory
from bot.domain.permissions import sees_every_department
from bot.i18n import t
from handlers import render
from handlers.deps import Deps
from storage.search_protocols import Coverage

UNBOUND_LISTED = 10  # enterprises named in a reminder; the rest are counted


@dataclass(frozen=True, slots=True)
class CoverageReport:
    by_officer: list[Coverage]
    by_department: list[Coverage]


def coverage_report(by_officer: list[Coverage], directory: Directory) -> CoverageReport:
    """Officers' figures summed per department (an officer no longer configured counts as nobody's)."""
    departments: dict[str | None, list[int]] = {}
    for row in by_officer:
        officer = directory.officers.get(row.key) if row.key is not None else None
        sums = departments.setdefault(officer.department_id if officer else None, [0, 0, 0])
        sums[0] += row.enterprises
        sums[1] += row.bound
        sums[2] += row.invites_open
    by_department = [
        Coverage(key, *sums)
        for key, sums in sorted(departments.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))
    ]
    return CoverageReport(by_officer, by_department)


async def read_coverage(deps: Deps, at: datetime) -> CoverageReport:
    async with deps.storage() as uow:
        by_officer = await uow.onboarding.coverage_by_liaison(at)
    return coverage_report(by_officer, deps.directory)


def coverage_text(report: CoverageReport, lang: str, directory: Directory) -> str:
    def line(row: Coverage, name: str) -> str:
        share = f"{row.bound / row.enterprises:.0%}" if row.enterprises else "—"
        return t(
            lang,
            "onboarding.line",
            name=name,
            enterprises=row.enterprises,
            bound=row.bound,
            unbound=row.enterprises - row.bound,
            share=share,
            open=row.invites_open,
        )

    officers = [
        line(row, render.officer_name(row.key, lang, directory) if row.key else t(lang, "onboarding.nobody"))
        for row in report.by_officer
    ]
    departments = [
        line(
            row, render.department_name(row.key, lang, directory) if row.key else t(lang, "onboarding.nobody")
        )
        for row in report.by_department
    ]
    return t(
        lang,
        "onboarding.report",
        officers="\n".join(officers) or "—",
        departments="\n".join(departments) or "—",
    )


async def report_command(actor: Actor, deps: Deps, args: str) -> list[Reply]:
    """/invites: the whole report for those who see every department; a liaison officer's own
    enterprises not bound yet for the others."""
    if sees_every_department(actor, deps.directory.leaders):
        report = await read_coverage(deps, deps.clock())
        return [Reply(coverage_text(report, actor.lang, deps.directory))]
    assert actor.officer_id is not None
    text = await _unbound_text(actor.officer_id, actor.lang, deps)
    return [Reply(text or t(actor.lang, "onboarding.all_bound"))]


async def _unbound_text(officer_id: str, lang: str, deps: Deps) -> str | None:
    async with deps.storage() as uow:
        enterprises, total = await uow.onboarding.unbound_of(officer_id, UNBOUND_LISTED)
    if total == 0:
        return None
    lines = [t(lang, "onboarding.unbound_line", name=e.name, id=e.id) for e in enterprises]
    if total > len(enterprises):
        lines.append(t(lang, "onboarding.unbound_more", count=total - len(enterprises)))
    return t(lang, "onboarding.unbound", count=total, lines="\n".join(lines))


async def unbound_reminders(deps: Deps, now: datetime, *, dry_run: bool = False) -> list[Reply]:
    """Each working morning (with the digests): every liaison officer with enterprises no chat
    speaks for yet hears which, once a day however many instances run the job."""
    day = now.astimezone(deps.sla.calendar.timezone).date()
    replies: list[Reply] = []
    for officer in deps.directory.officers.values():
        text = await _unbound_text(officer.id, officer.lang, deps)
        if text is None:
            continue
        async with deps.storage() as uow:
            if not (dry_run or await uow.reminders.claim_digest("unbound", officer.id, day, now)):
                continue
            await uow.commit()
        replies.append(Reply(text, to=ToOfficer(officer.id)))
    return replies
