"""`/visit`: an officer records a visit as they leave the company, one question at a time — the
date (today unless they say otherwise), who they met, the enterprise's situation in a sentence —
then any number of items (handlers/campaigns/visit_items.py) until `/done`.

The record and the question it waits on live in storage (`visits.step`), so a restart or another
instance loses nothing, and it works the same on every channel: the officer's next free text
answers it. A command meanwhile is done as itself and the question asked again (dispatch calls
`still_waiting`); an item marked with its kind (诉求：…) is taken at any step, never swallowed as an
answer. Photos and documents sent meanwhile are kept with the visit. The author may correct a
visit on the day it was recorded: `/visit fix N date|met|situation TEXT`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from bot.domain.campaigns import Campaign, ItemKind, Visit, VisitStep, may_correct
from bot.domain.enterprise import Enterprise
from bot.domain.messages import Actor, Button, Reply
from bot.i18n import t
from handlers.campaigns.coverage import local_day, remaining_for, remaining_text
from handlers.campaigns.manage import find_enterprise
from handlers.campaigns.visit_items import add_item, marked_item
from handlers.deps import Deps
from handlers.numbers import small_number

TODAY_WORDS = frozenset({"今天", "今日", "today", "1", "是"})
_SEPARATOR = "\x1e"  # between items still waiting for their kind (pending_text)
_DATE = re.compile(r"^(?:(\d{4})[-/.年])?(\d{1,2})[-/.月](\d{1,2})日?$")
_KIND_CHOICES = (ItemKind.DEMAND, ItemKind.OPINION, ItemKind.PLAN)


def parse_visit_day(text: str, today: date) -> date | None:
    """`今天`/`today`, `2026-12-03`, `12-3`, `12月3日`; never after today."""
    stripped = text.strip().lower()
    if stripped in TODAY_WORDS:
        return today
    match = _DATE.match(stripped)
    if match is None:
        return None
    try:
        day = date(int(match.group(1) or today.year), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None
    return day if day <= today else None


def question(visit: Visit, lang: str) -> Reply:
    """The question the record waits on, with its buttons."""
    if visit.step is VisitStep.DATE:
        return Reply(
            t(lang, "visit.ask_date", ref=visit.ref, today=visit.visited_on.isoformat()),
            buttons=(Button(t(lang, "visit.button_today"), "visit:today"),),
        )
    if visit.step is VisitStep.MET:
        return Reply(t(lang, "visit.ask_met", ref=visit.ref))
    if visit.step is VisitStep.SITUATION:
        return Reply(t(lang, "visit.ask_situation", ref=visit.ref))
    if visit.pending_text:
        waiting = visit.pending_text.split(_SEPARATOR)[0]
        return Reply(
            t(lang, "visit.ask_kind", text=waiting[:60]),
            buttons=tuple(
                Button(t(lang, f"visit.kind_{k.value}"), f"visit:kind:{k.value}") for k in _KIND_CHOICES
            ),
        )
    return Reply(t(lang, "visit.ask_items", ref=visit.ref))


async def command(actor: Actor, deps: Deps, args: str) -> list[Reply]:
    """`/visit` (the remaining list), `/visit N|credit code|company`, `/visit done`,
    `/visit fix N date|met|situation TEXT`, `/visit add N` (more items for a visit of today)."""
    lang = actor.lang
    if actor.officer_id is None:
        return [Reply(t(lang, "campaign.officers_only"))]
    words = args.strip()
    head, _, rest = words.partition(" ")
    if head.lower() in ("done", "完成", "结束"):
        return await done(actor, deps, "")
    if head.lower() in ("fix", "更正", "修改"):
        return await correct(actor, deps, rest)
    if head.lower() in ("add", "补充"):
        return await reopen(actor, deps, rest)
    today = local_day(deps)
    remaining = await remaining_for(deps, actor.officer_id, today)
    if not words:
        return [Reply(remaining_text(lang, remaining, today))]
    async with deps.storage() as uow:
        open_visit = await uow.campaigns.visit_being_recorded(actor.officer_id)
    if open_visit is not None:
        name = await _name(deps, open_visit.enterprise_id)
        return [
            Reply(t(lang, "visit.still_open", ref=open_visit.ref, company=name)),
            question(open_visit, lang),
        ]
    enterprise = await _which(deps, words, remaining)
    if enterprise is None:
        return [Reply(t(lang, "visit.unknown_company", what=words[:60]))]
    now = deps.clock()
    async with deps.storage() as uow:
        campaign = await uow.campaigns.open_campaign_of(enterprise.id, today)
        visit = await uow.campaigns.start_visit(
            Visit(
                id=None,
                campaign_id=campaign.id if campaign else None,
                enterprise_id=enterprise.id,
                officer_id=actor.officer_id,
                visited_on=today,
                created_at=now,
                updated_at=now,
            )
        )
        await uow.commit()
    started = t(
        lang,
        "visit.started",
        ref=visit.ref,
        company=enterprise.name,
        campaign=f"{campaign.ref} {campaign.name}" if campaign else t(lang, "visit.no_campaign"),
    )
    return [Reply(started), question(visit, lang)]


async def _which(
    deps: Deps, words: str, remaining: Sequence[tuple[Campaign, Enterprise]]
) -> Enterprise | None:
    number = small_number(words.lstrip("#"))
    if number is not None and 1 <= number <= len(remaining):
        return remaining[number - 1][1]
    async with deps.storage() as uow:
        return find_enterprise(await uow.enterprises.all(), words)


async def _name(deps: Deps, enterprise_id: str) -> str:
    async with deps.storage() as uow:
        enterprise = await uow.enterprises.get(enterprise_id)
    return enterprise.name if enterprise else enterprise_id


async def _being_recorded(actor: Actor, deps: Deps) -> Visit | None:
    if actor.officer_id is None:
        return None
    async with deps.storage() as uow:
        return await uow.campaigns.visit_being_recorded(actor.officer_id)


async def _save(deps: Deps, visit: Visit) -> Visit:
    visit = replace(visit, updated_at=deps.clock())
    async with deps.storage() as uow:
        await uow.campaigns.save_visit(visit)
        await uow.commit()
    return visit


async def answer(actor: Actor, deps: Deps, text: str) -> list[Reply] | None:
    """An officer's free text while a visit is being recorded; None when none is."""
    visit = await _being_recorded(actor, deps)
    if visit is None:
        return None
    lang = actor.lang
    marked = marked_item(text)
    if marked is not None:  # an item, at whatever step: taken as itself, the question asked again
        replies = await add_item(actor, deps, visit, *marked)
        if visit.step is not VisitStep.ITEMS:
            replies.append(question(visit, lang))
        return replies
    if visit.step is VisitStep.DATE:
        day = parse_visit_day(text, local_day(deps))
        if day is None:
            return [Reply(t(lang, "visit.bad_date", text=text[:30])), question(visit, lang)]
        visit = await _save(deps, replace(visit, visited_on=day, step=VisitStep.MET))
    elif visit.step is VisitStep.MET:
        visit = await _save(deps, replace(visit, met=text.strip()[:300], step=VisitStep.SITUATION))
    elif visit.step is VisitStep.SITUATION:
        visit = await _save(deps, replace(visit, situation=text.strip(), step=VisitStep.ITEMS))
    else:  # an item without its kind: asked which (several may wait, in order)
        pending = [*(visit.pending_text.split(_SEPARATOR) if visit.pending_text else []), text.strip()]
        visit = await _save(deps, replace(visit, pending_text=_SEPARATOR.join(pending)))
    return [question(visit, lang)]


async def press(actor: Actor, deps: Deps, args: str) -> list[Reply]:
    """`visit:today` (the date question), `visit:kind:K` (what the waiting item is)."""
    lang = actor.lang
    visit = await _being_recorded(actor, deps)
    if visit is None:
        return [Reply(t(lang, "error.stale_button"))]
    if args == "today" and visit.step is VisitStep.DATE:
        return await answer(actor, deps, "today") or []
    kind_name = args.removeprefix("kind:")
    if args.startswith("kind:") and kind_name in {k.value for k in _KIND_CHOICES} and visit.pending_text:
        first, *others = visit.pending_text.split(_SEPARATOR)
        visit = await _save(deps, replace(visit, pending_text=_SEPARATOR.join(others) or None))
        return [*await add_item(actor, deps, visit, ItemKind(kind_name), first), question(visit, lang)]
    return [Reply(t(lang, "error.stale_button"))]


async def done(actor: Actor, deps: Deps, args: str) -> list[Reply]:
    """`/done`: the record ends (a visit without the situation is not counted, and says so)."""
    lang = actor.lang
    visit = await _being_recorded(actor, deps)
    if visit is None:
        return [Reply(t(lang, "visit.none_open"))]
    if visit.pending_text:  # an item still without its kind: ask rather than drop it
        return [Reply(t(lang, "visit.kind_first")), question(visit, lang)]
    visit = await _save(deps, replace(visit, step=None))
    assert visit.id is not None
    async with deps.storage() as uow:
        items = await uow.campaigns.items(visit.id)
        files = await uow.campaigns.files(visit.id)
    if not visit.recorded:
        return [Reply(t(lang, "visit.not_counted", ref=visit.ref))]
    counts = {kind: sum(1 for i in items if i.kind is kind) for kind in ItemKind}
    return [
        Reply(
            t(
                lang,
                "visit.done",
                ref=visit.ref,
                company=await _name(deps, visit.enterprise_id),
                demands=counts[ItemKind.DEMAND],
                opinions=counts[ItemKind.OPINION],
                plans=counts[ItemKind.PLAN],
                files=len(files),
            )
        )
    ]


async def correct(actor: Actor, deps: Deps, args: str) -> list[Reply]:
    """`/visit fix N date|met|situation TEXT`: by its author, on the day it was recorded."""
    lang = actor.lang
    number_text, _, rest = args.strip().partition(" ")
    field, _, value = rest.strip().partition(" ")
    number = small_number(number_text.lstrip("Vv#"))
    if number is None or field not in ("date", "met", "situation") or not value.strip():
        return [Reply(t(lang, "visit.fix_usage"))]
    async with deps.storage() as uow:
        visit = await uow.campaigns.visit(number)
    today = local_day(deps)
    if visit is None:
        return [Reply(t(lang, "visit.not_found", ref=f"V{number}"))]
    if not may_correct(actor, visit, local_day(deps, visit.created_at), today):
        return [Reply(t(lang, "visit.fix_refused", ref=visit.ref))]
    if field == "date":
        day = parse_visit_day(value, today)
        if day is None:
            return [Reply(t(lang, "visit.bad_date", text=value[:30]))]
        visit = replace(visit, visited_on=day)
    elif field == "met":
        visit = replace(visit, met=value.strip()[:300])
    else:
        visit = replace(visit, situation=value.strip())
    visit = await _save(deps, visit)
    if visit.campaign_id is not None:
        async with deps.storage() as uow:
            await uow.campaigns.log(
                visit.campaign_id, deps.clock(), actor.audit_id, "fix_visit", f"{visit.ref} {field}"
            )
            await uow.commit()
    return [Reply(t(lang, "visit.fixed", ref=visit.ref))]


async def reopen(actor: Actor, deps: Deps, args: str) -> list[Reply]:
    """`/visit add N`: its author takes up a visit recorded today again, to add what was forgotten."""
    lang = actor.lang
    number = small_number(args.strip().lstrip("Vv#"))
    if number is None:
        return [Reply(t(lang, "visit.fix_usage"))]
    async with deps.storage() as uow:
        visit = await uow.campaigns.visit(number)
    if visit is None:
        return [Reply(t(lang, "visit.not_found", ref=f"V{number}"))]
    if not may_correct(actor, visit, local_day(deps, visit.created_at), local_day(deps)):
        return [Reply(t(lang, "visit.fix_refused", ref=visit.ref))]
    open_visit = await _being_recorded(actor, deps)
    if open_visit is not None and open_visit.id != visit.id:
        name = await _name(deps, open_visit.enterprise_id)
        return [
            Reply(t(lang, "visit.still_open", ref=open_visit.ref, company=name)),
            question(open_visit, lang),
        ]
    visit = await _save(deps, replace(visit, step=VisitStep.ITEMS if visit.recorded else VisitStep.SITUATION))
    return [Reply(t(lang, "visit.reopened", ref=visit.ref)), question(visit, lang)]


async def keep_file(actor: Actor, deps: Deps, kind: str, ref: str) -> list[Reply] | None:
    """A photo or document sent while a visit is recorded: kept with it. None when none is."""
    visit = await _being_recorded(actor, deps)
    if visit is None or visit.id is None:
        return None
    async with deps.storage() as uow:
        await uow.campaigns.add_file(visit.id, kind or "file", ref, deps.clock())
        await uow.commit()
    return [Reply(t(actor.lang, "visit.file_kept", ref=visit.ref))]


async def still_waiting(actor: Actor, deps: Deps, command_name: str) -> list[Reply]:
    """After another command: the record's question, asked again (the record goes on)."""
    if not actor.is_staff or command_name in ("visit", "done"):
        return []
    visit = await _being_recorded(actor, deps)
    if visit is None:
        return []
    again = question(visit, actor.lang)
    return [replace(again, text=t(actor.lang, "visit.still_recording", ref=visit.ref) + "\n" + again.text)]
