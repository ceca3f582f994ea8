"""How far a campaign has come: per campaign, department and officer, the enterprises assigned,
visited and remaining (counted in SQL: storage/campaigns_sql.py), said in chat (`/campaign status`),
an officer's own remaining list (`/visits`), and the morning reminder near a campaign's end."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from bot.domain.campaigns import Campaign, CampaignStatus, Coverage, CoverageReport
from bot.domain.enterprise import Enterprise
from bot.domain.messages import Actor, Reply, ToOfficer
from bot.i18n import t
from handlers import render
from handlers.deps import Deps

LISTED = 30  # an officer's remaining list shows this many; the rest are counted


def _summed(key: str | None, lines: list[Coverage]) -> Coverage:
    return Coverage(
        key=key,
        assigned=sum(line.assigned for line in lines),
        visited=sum(line.visited for line in lines),
        demands=sum(line.demands for line in lines),
        resolved=sum(line.resolved for line in lines),
        notes=sum(line.notes for line in lines),
    )


async def coverage_report(deps: Deps, campaign: Campaign) -> CoverageReport:
    """The campaign's coverage lines (one per officer and department pair, from SQL) gathered per
    department and per officer."""
    assert campaign.id is not None
    async with deps.storage() as uow:
        lines = await uow.campaigns.coverage(campaign.id)
    by_department: dict[str | None, list[Coverage]] = defaultdict(list)
    by_officer: dict[str | None, list[Coverage]] = defaultdict(list)
    for line in lines:
        officer, _, department = (line.key or "|").partition("|")
        by_department[department or None].append(line)
        by_officer[officer or None].append(line)
    return CoverageReport(
        campaign=campaign,
        total=_summed(None, lines),
        by_department=[_summed(key, group) for key, group in sorted(by_department.items(), key=_by_key)],
        by_officer=[_summed(key, group) for key, group in sorted(by_officer.items(), key=_by_key)],
    )


def _by_key(item: tuple[str | None, list[Coverage]]) -> str:
    return item[0] or "~"  # the unassigned last


def local_day(deps: Deps, at: datetime | None = None) -> date:
    return (at or deps.clock()).astimezone(deps.timezone).date()


def coverage_line(lang: str, line: Coverage) -> str:
    return t(
        lang,
        "campaign.coverage_line",
        visited=line.visited,
        assigned=line.assigned,
        remaining=line.remaining,
        percent=f"{line.percent:.1f}",
    )


def status_text(report: CoverageReport, lang: str, deps: Deps, today: date) -> str:
    campaign = report.campaign
    total = report.total
    lines = [
        t(
            lang,
            # a closed campaign has no days left, whenever its last day was to be
            "campaign.status_head"
            if campaign.status is CampaignStatus.OPEN
            else "campaign.status_head_closed",
            ref=campaign.ref,
            name=campaign.name,
            starts=campaign.starts_on.isoformat(),
            ends=campaign.ends_on.isoformat(),
            status=t(lang, f"campaign.state_{campaign.status.value}"),
            days_left=campaign.days_left(today),
        ),
        t(lang, "campaign.total") + " " + coverage_line(lang, total),
        t(lang, "campaign.brought", demands=total.demands, resolved=total.resolved, notes=total.notes),
        t(lang, "campaign.by_department"),
    ]
    for line in report.by_department:
        name = (
            render.department_name(line.key, lang, deps.directory)
            if line.key
            else t(lang, "campaign.unassigned")
        )
        lines.append(f"· {name}: " + coverage_line(lang, line))
    lines.append(t(lang, "campaign.by_officer"))
    for line in report.by_officer:
        name = (
            render.officer_name(line.key, lang, deps.directory)
            if line.key
            else t(lang, "campaign.unassigned")
        )
        lines.append(f"· {name}: " + coverage_line(lang, line))
    return "\n".join(lines)


async def remaining_for(deps: Deps, officer_id: str, today: date) -> list[tuple[Campaign, Enterprise]]:
    async with deps.storage() as uow:
        return await uow.campaigns.remaining(officer_id, today)


def remaining_text(lang: str, remaining: list[tuple[Campaign, Enterprise]], today: date) -> str:
    """The numbered list `/visit N` picks from."""
    if not remaining:
        return t(lang, "campaign.nothing_left")
    lines = [t(lang, "campaign.remaining_head", count=len(remaining))]
    shown: int | None = None
    for number, (campaign, enterprise) in enumerate(remaining[:LISTED], start=1):
        if campaign.id != shown:
            lines.append(
                t(
                    lang,
                    "campaign.remaining_campaign",
                    ref=campaign.ref,
                    name=campaign.name,
                    days_left=campaign.days_left(today),
                )
            )
            shown = campaign.id
        lines.append(f"{number}. {enterprise.name}")
    if len(remaining) > LISTED:
        lines.append(t(lang, "campaign.remaining_more", count=len(remaining) - LISTED))
    lines.append(t(lang, "campaign.remaining_hint"))
    return "\n".join(lines)


async def my_visits(actor: Actor, deps: Deps, args: str) -> list[Reply]:
    """`/visits`: the officer's enterprises still to visit in the campaigns running now."""
    if actor.officer_id is None:
        return [Reply(t(actor.lang, "campaign.officers_only"))]
    today = local_day(deps)
    return [Reply(remaining_text(actor.lang, await remaining_for(deps, actor.officer_id, today), today))]


async def campaign_reminders(deps: Deps, now: datetime, *, dry_run: bool = False) -> list[Reply]:
    """Part of the morning digest, once a day each: an officer behind the pace needed to finish a
    running campaign on time, or with enterprises left when its end is near
    (bot.domain.campaigns.NEAR_END_DAYS), hears which; each lead gets a line per campaign."""
    today = local_day(deps, now)
    async with deps.storage() as uow:
        running = [c for c in await uow.campaigns.listing(open_only=True) if c.running_on(today)]
    due: dict[str, set[int | None]] = defaultdict(set)  # officer -> the campaigns they are behind in
    progress: dict[str, list[str]] = defaultdict(list)  # lead -> a line per campaign
    for campaign in running:
        report = await coverage_report(deps, campaign)
        for line in report.by_officer:
            if (
                line.key is not None
                and line.remaining
                and (campaign.near_end(today) or campaign.behind_pace(line.assigned, line.visited, today))
            ):
                due[line.key].add(campaign.id)
        lead = deps.directory.officers.get(campaign.lead_id)
        if lead is not None:
            progress[lead.id].append(
                t(
                    lead.lang,
                    "campaign.progress_line",
                    ref=campaign.ref,
                    name=campaign.name,
                    days_left=campaign.days_left(today),
                    coverage=coverage_line(lead.lang, report.total),
                )
            )
    replies = []
    for officer_id, campaign_ids in sorted(due.items()):
        officer = deps.directory.officers.get(officer_id)
        if officer is None:
            continue
        left = [(c, e) for c, e in await remaining_for(deps, officer_id, today) if c.id in campaign_ids]
        if left and await _claimed(deps, "campaign", officer_id, now, dry_run):
            text = t(officer.lang, "campaign.reminder") + "\n" + remaining_text(officer.lang, left, today)
            replies.append(Reply(text, to=ToOfficer(officer_id)))
    for lead_id, lines in sorted(progress.items()):
        if await _claimed(deps, "campaign_lead", lead_id, now, dry_run):
            text = "\n".join([t(deps.directory.officers[lead_id].lang, "campaign.progress_head"), *lines])
            replies.append(Reply(text, to=ToOfficer(lead_id)))
    return replies


async def _claimed(deps: Deps, kind: str, recipient: str, now: datetime, dry_run: bool) -> bool:
    """The day's message of that kind for that person, claimed (of several instances, one sends)."""
    if dry_run:
        return True
    async with deps.storage() as uow:
        claimed = await uow.reminders.claim_digest(kind, recipient, local_day(deps, now), now)
        await uow.commit()
    return claimed
