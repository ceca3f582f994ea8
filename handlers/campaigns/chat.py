"""`/campaign …` in chat, for heads and admins (others are told who may):

/campaign                          the campaigns and how far each has come
/campaign new NAME FROM..TO [行业=… 区域=… 规模=… 标签=…] [重点帮扶] [部门=a,b] [codes=…]
/campaign status [N]               coverage by department and officer
/campaign assign N COMPANY|from:OFFICER OFFICER
/campaign change N name NEW | period FROM..TO
/campaign close N
/campaign report N                 the status, the .xlsx of every target and the chart
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from bot.domain.campaigns import CampaignRefused, Targeting, may_lead, parse_code_list
from bot.domain.messages import Actor, Attachment, Reply
from bot.domain.policies import Tags
from bot.i18n import t
from handlers.campaigns import manage
from handlers.campaigns.coverage import coverage_line, coverage_report, local_day, status_text
from handlers.campaigns.report_file import campaign_chart, campaign_workbook
from handlers.deps import Deps
from handlers.numbers import small_number
from handlers.policy_drafting import BadInput, parse_tags
from handlers.reports import parse_day

_DEPARTMENTS = re.compile(r"(?:部门|departments?|depts?)\s*[=:：]\s*(\S+)", re.IGNORECASE)
_CODES = re.compile(r"(?:codes?|信用代码)\s*[=:：]\s*(\S+)", re.IGNORECASE)
_LIST = re.compile(r"[,，、;；]+")
# The key-support list (重点帮扶), as the roster's column names it; `重点帮扶=是` reads the same.
_KEY_SUPPORT = re.compile(
    r"(?<!\S)(?:重点帮扶|重点企业|key[-_]?support)(?:\s*[=:：]\s*(?:是|yes|true|1))?(?!\S)", re.IGNORECASE
)


def parse_period(text: str) -> tuple[date, date]:
    """`2026-12-01..2026-12-31` (or `~`, `至`); BadInput says which part is wrong and how to
    write it."""
    if not text.strip():
        raise BadInput("campaign.no_period")
    parts = re.split(r"\.\.|~|至|—", text.strip(), maxsplit=1)
    if len(parts) != 2:
        raise BadInput("campaign.not_a_period", text=text.strip()[:40])
    first, last = parse_day(parts[0].strip()), parse_day(parts[1].strip())
    if first is None:
        raise BadInput("campaign.bad_start", text=parts[0].strip()[:40])
    if last is None:
        raise BadInput("campaign.bad_end", text=parts[1].strip()[:40])
    return first, last


def parse_targeting(text: str) -> tuple[Targeting, list[str]]:
    """The tags (as `/publish` reads them), the key-support flag, the departments to spread over
    and any credit codes."""
    departments: list[str] = []
    codes: list[str] = []
    for match in _DEPARTMENTS.finditer(text):
        departments += [d for d in _LIST.split(match.group(1)) if d]
    for match in _CODES.finditer(text):
        codes += parse_code_list(_LIST.split(match.group(1)))
    key_support = _KEY_SUPPORT.search(text) is not None
    rest = _KEY_SUPPORT.sub("", _CODES.sub("", _DEPARTMENTS.sub("", text))).strip()
    tags = parse_tags(rest) if rest else Tags()
    return Targeting(tags, frozenset(codes), key_support), departments


async def campaign_command(actor: Actor, deps: Deps, args: str) -> list[Reply]:
    lang = actor.lang
    if not may_lead(actor) or actor.officer_id is None:
        return [Reply(t(lang, "campaign.not_allowed"))]
    verb, rest = (*args.split(maxsplit=1), "", "")[:2]  # any white space, the full-width too
    verb = verb.lower()
    try:
        if verb in ("", "list"):
            return await _listing(actor, deps)
        if verb in ("new", "create"):
            return await _create(actor, deps, rest)
        number_text, more = (*rest.split(maxsplit=1), "", "")[:2]  # any white space, the full-width too
        # C1 as a campaign's code is shown, or Ｃ１ as a full-width keyboard types it
        number = small_number(unicodedata.normalize("NFKC", number_text).lstrip("Cc#"))
        if verb == "status" and number is None and not number_text:
            return await _listing(actor, deps, detailed=True)
        if number is None or verb not in ("status", "assign", "change", "close", "report"):
            return [Reply(t(lang, "campaign.usage"))]
        return await _on_campaign(actor, deps, verb, number, more.strip())
    except BadInput as bad:
        return [Reply(t(lang, bad.key, **bad.params))]
    except CampaignRefused as refused:
        return [Reply(t(lang, refused.key, **refused.params))]


async def _listing(actor: Actor, deps: Deps, *, detailed: bool = False) -> list[Reply]:
    lang = actor.lang
    async with deps.storage() as uow:
        campaigns = await uow.campaigns.listing(open_only=detailed)
    if not campaigns:
        return [Reply(t(lang, "campaign.none"))]
    today = local_day(deps)
    if detailed:  # `/campaign status` without a number: each open campaign in full
        return [Reply(status_text(await coverage_report(deps, c), lang, deps, today)) for c in campaigns[:5]]
    lines = [t(lang, "campaign.list_head")]
    for campaign in campaigns[:20]:
        report = await coverage_report(deps, campaign)
        lines.append(
            t(
                lang,
                "campaign.list_line",
                ref=campaign.ref,
                name=campaign.name,
                status=t(lang, f"campaign.state_{campaign.status.value}"),
                ends=campaign.ends_on.isoformat(),
                coverage=coverage_line(lang, report.total),
            )
        )
    return [Reply("\n".join(lines))]


async def _create(actor: Actor, deps: Deps, text: str) -> list[Reply]:
    lang = actor.lang
    name, _, rest = text.strip().partition(" ")
    period_text, _, targeting_text = rest.strip().partition(" ")
    if not name:
        return [Reply(t(lang, "campaign.usage"))]
    period = parse_period(period_text)
    targeting, departments = parse_targeting(targeting_text)
    created = await manage.create_campaign(
        deps,
        name=name,
        starts_on=period[0],
        ends_on=period[1],
        lead_id=actor.officer_id or "",
        targeting=targeting,
        departments=departments,
    )
    text = t(
        lang,
        "campaign.created",
        ref=created.campaign.ref,
        name=created.campaign.name,
        targets=created.targets,
        unassigned=created.unassigned,
    )
    if created.unknown_codes:
        text += "\n" + t(lang, "campaign.unknown_codes", codes=", ".join(created.unknown_codes[:10]))
    return [Reply(text)]


async def _on_campaign(actor: Actor, deps: Deps, verb: str, number: int, rest: str) -> list[Reply]:
    lang = actor.lang
    actor_id = actor.officer_id or ""
    if verb == "close":
        closed = await manage.close_campaign(deps, number, actor_id)
        return [Reply(t(lang, "campaign.closed", ref=closed.ref, name=closed.name))]
    if verb == "assign":
        what, _, officer_id = rest.rpartition(" ")
        if not what.strip() or not officer_id:
            return [Reply(t(lang, "campaign.usage"))]
        moved = await manage.reassign(deps, number, actor_id, what.strip(), officer_id)
        return [Reply(t(lang, "campaign.assigned", ref=f"C{number}", count=moved, officer_id=officer_id))]
    if verb == "change":
        field, _, value = rest.partition(" ")
        if field in ("name", "名称") and value.strip():
            changed = await manage.change_campaign(deps, number, actor_id, name=value)
        elif field in ("period", "周期"):
            period = parse_period(value)
            changed = await manage.change_campaign(
                deps, number, actor_id, starts_on=period[0], ends_on=period[1]
            )
        else:
            return [Reply(t(lang, "campaign.usage"))]
        return [Reply(t(lang, "campaign.changed", ref=changed.ref, name=changed.name))]
    async with deps.storage() as uow:
        campaign = await manage.campaign_or_refuse(uow, number)
    report = await coverage_report(deps, campaign)
    status = Reply(status_text(report, lang, deps, local_day(deps)))
    if verb == "status":
        return [status]
    workbook = await campaign_workbook(deps, campaign, lang)
    chart = await campaign_chart(deps, campaign, lang)
    return [
        status,
        Reply(
            t(lang, "campaign.report_file", ref=campaign.ref),
            attachment=Attachment(f"campaign-{campaign.id}.xlsx", workbook, "document"),
        ),
        Reply(
            t(lang, "campaign.report_chart", ref=campaign.ref),
            attachment=Attachment(f"campaign-{campaign.id}.png", chart.png),
        ),
    ]
