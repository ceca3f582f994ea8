"""Creating, changing, reassigning and closing campaigns: the use cases behind `/campaign …` and
`xiaoer campaign …`. Every change is audited in the campaign's own log (campaign_events)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from bot.domain.campaigns import (
    Campaign,
    CampaignRefused,
    CampaignStatus,
    Targeting,
    assign,
    check_period,
    targets,
)
from bot.domain.enterprise import Enterprise
from handlers.deps import Deps
from storage.protocols import UnitOfWork


@dataclass(frozen=True)
class Created:
    campaign: Campaign
    targets: int
    unassigned: int
    unknown_codes: tuple[str, ...] = ()  # imported credit codes no stored enterprise has


async def create_campaign(
    deps: Deps,
    *,
    name: str,
    starts_on: date,
    ends_on: date,
    lead_id: str,
    targeting: Targeting,
    departments: Sequence[str] = (),
) -> Created:
    """Store the campaign, its targets and who visits each."""
    name = name.strip()
    if not name:
        raise CampaignRefused("campaign.no_name")
    check_period(starts_on, ends_on)
    unknown_departments = [d for d in departments if d not in deps.directory.departments]
    if unknown_departments:
        raise CampaignRefused(
            "campaign.unknown_departments",
            departments=", ".join(unknown_departments),
            known=", ".join(deps.directory.departments),
        )
    now = deps.clock()
    async with deps.storage() as uow:
        enterprises = await uow.enterprises.all()
        chosen = targets(targeting, enterprises)
        if not chosen:
            raise CampaignRefused("campaign.no_targets")
        assignments = assign(chosen, departments, deps.directory)
        campaign = await uow.campaigns.add(
            Campaign(
                id=None,
                name=name[:200],
                starts_on=starts_on,
                ends_on=ends_on,
                lead_id=lead_id,
                targeting=targeting,
                departments=tuple(departments),
                created_at=now,
            )
        )
        assert campaign.id is not None
        await uow.campaigns.set_targets(campaign.id, assignments)
        await uow.campaigns.log(campaign.id, now, lead_id, "create", f"{len(chosen)} targets")
        await uow.commit()
    codes = {e.uscc.upper() for e in enterprises if e.uscc}
    unknown = tuple(sorted(c for c in targeting.codes if c not in codes))
    unassigned = sum(1 for a in assignments if a.officer_id is None)
    return Created(campaign, len(chosen), unassigned, unknown)


async def campaign_or_refuse(uow: UnitOfWork, campaign_id: int) -> Campaign:
    campaign = await uow.campaigns.get(campaign_id)
    if campaign is None:
        raise CampaignRefused("campaign.not_found", ref=f"C{campaign_id}")
    return campaign


async def change_campaign(
    deps: Deps,
    campaign_id: int,
    actor_id: str,
    *,
    name: str | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
) -> Campaign:
    async with deps.storage() as uow:
        campaign = await campaign_or_refuse(uow, campaign_id)
        changed = replace(
            campaign,
            name=(name.strip()[:200] if name and name.strip() else campaign.name),
            starts_on=starts_on or campaign.starts_on,
            ends_on=ends_on or campaign.ends_on,
        )
        check_period(changed.starts_on, changed.ends_on)
        await uow.campaigns.save(changed)
        note = f"name={changed.name} period={changed.starts_on}..{changed.ends_on}"
        await uow.campaigns.log(campaign_id, deps.clock(), actor_id, "change", note)
        await uow.commit()
    return changed


async def close_campaign(deps: Deps, campaign_id: int, actor_id: str) -> Campaign:
    async with deps.storage() as uow:
        campaign = await campaign_or_refuse(uow, campaign_id)
        if campaign.status is CampaignStatus.CLOSED:
            raise CampaignRefused("campaign.already_closed", ref=campaign.ref)
        now = deps.clock()
        closed = replace(campaign, status=CampaignStatus.CLOSED, closed_at=now)
        await uow.campaigns.save(closed)
        await uow.campaigns.log(campaign_id, now, actor_id, "close")
        await uow.commit()
    return closed


async def reassign(deps: Deps, campaign_id: int, actor_id: str, what: str, officer_id: str) -> int:
    """Give targets to `officer_id`: `what` names one enterprise (id, credit code or exact name),
    or `from:OFFICER` all of that officer's targets. Returns how many moved."""
    officer = deps.directory.officers.get(officer_id)
    if officer is None:
        raise CampaignRefused("campaign.unknown_officer", officer_id=officer_id[:64])
    async with deps.storage() as uow:
        await campaign_or_refuse(uow, campaign_id)
        if what.startswith("from:"):
            moved = await uow.campaigns.reassign_officer(
                campaign_id, what.removeprefix("from:"), officer.id, officer.department_id
            )
        else:
            enterprise = find_enterprise(await uow.enterprises.all(), what)
            if enterprise is None:
                raise CampaignRefused("campaign.unknown_enterprise", what=what[:60])
            moved = await uow.campaigns.reassign(
                campaign_id, [enterprise.id], officer.id, officer.department_id
            )
        if moved:
            await uow.campaigns.log(campaign_id, deps.clock(), actor_id, "assign", f"{what} -> {officer.id}")
        await uow.commit()
    return moved


def find_enterprise(enterprises: Sequence[Enterprise], what: str) -> Enterprise | None:
    """By id, credit code or exact name; else the one enterprise whose name contains the words."""
    wanted = what.strip()
    for enterprise in enterprises:
        if wanted in (enterprise.id, enterprise.name) or (
            enterprise.uscc is not None and enterprise.uscc.upper() == wanted.upper()
        ):
            return enterprise
    containing = [e for e in enterprises if wanted and wanted in e.name]
    return containing[0] if len(containing) == 1 else None
