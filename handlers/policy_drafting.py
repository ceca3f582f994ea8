"""`/publish`: an officer writes a policy in chat, one question at a time (title → body → tags →
deadline), sees a preview with how many groups and enterprises it reaches, and confirms with a
button. The draft and the question it waits for live in storage (`policies.draft_step`), so a
restart or a second bot instance loses nothing; `/publish cancel` discards it."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from bot.domain.messages import Actor, Button, Reply
from bot.domain.permissions import may_publish
from bot.domain.policies import DIMENSIONS, DraftStep, Policy, PolicyStatus, Tags
from bot.domain.text import storable
from bot.i18n import t
from handlers import policy_render
from handlers.deps import Deps
from handlers.policy_publish import add_policy, preview, publish

TITLE_LIMIT = 300
CANCEL_WORDS = frozenset({"cancel", "取消", "放弃"})

# What an officer may call each dimension when typing tags.
TAG_KEYS = {
    "industry": "industry",
    "行业": "industry",
    "产业": "industry",
    "district": "district",
    "区域": "district",
    "地区": "district",
    "size": "size_class",
    "size_class": "size_class",
    "规模": "size_class",
    "qualification": "qualifications",
    "qualifications": "qualifications",
    "tags": "qualifications",
    "资质": "qualifications",
    "标签": "qualifications",
}
ANYONE = frozenset({"all", "any", "none", "anyone", "不限", "全部", "无", "所有", "-"})
_KEY = re.compile(
    r"(?P<key>" + "|".join(sorted(map(re.escape, TAG_KEYS), key=len, reverse=True)) + r")\s*[=:：]\s*",
    re.IGNORECASE,
)
_VALUES = re.compile(r"[,，、/;；\n]+")


class BadInput(ValueError):
    """What the officer typed cannot be used; `key` and `params` say why in the catalogue."""

    def __init__(self, key: str, **params: str) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def parse_tags(text: str) -> Tags:
    """`行业=制造业,软件 区域=湖里区 规模=规上 资质=专精特新` (or industry=… size=… qualification=…);
    `不限` / `all` for a policy open to every enterprise."""
    stripped = text.strip()
    if stripped.lower() in ANYONE:
        return Tags()
    matches = list(_KEY.finditer(stripped))
    if not matches or stripped[: matches[0].start()].strip():
        raise BadInput("policy.bad_tags", text=stripped[:60])
    values: dict[str, set[str]] = {d: set() for d in DIMENSIONS}
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        end = following.start() if following is not None else len(stripped)
        dimension = TAG_KEYS[match.group("key").lower()]
        found = {v.strip() for v in _VALUES.split(stripped[match.end() : end]) if v.strip()}
        if not found:
            raise BadInput("policy.bad_tags", text=match.group(0).strip())
        values[dimension] |= {v for v in found if v.lower() not in ANYONE}
    return Tags.of(values)


def parse_deadline(text: str, today: date) -> date | None:
    """`2026-12-31` (or 2026/12/31, 2026.12.31); `无` / `none` for no deadline. Not in the past."""
    stripped = text.strip()
    if stripped.lower() in ANYONE:
        return None
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", stripped)
    if match is None:
        raise BadInput("policy.bad_deadline", text=stripped[:40])
    try:
        deadline = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise BadInput("policy.bad_deadline", text=stripped[:40]) from None
    if deadline < today:
        raise BadInput("policy.past_deadline", text=stripped[:40])
    return deadline


async def start(actor: Actor, deps: Deps, args: str) -> list[Reply]:
    """`/publish` begins (or resumes) a draft; `/publish cancel` discards it."""
    lang = actor.lang
    if not may_publish(actor) or actor.officer_id is None or actor.department_id is None:
        return [Reply(t(lang, "policy.publish_not_allowed"))]
    async with deps.storage() as uow:
        draft = await uow.policies.draft_of(actor.officer_id)
    if args.strip().lower() in CANCEL_WORDS:
        if draft is None:
            return [Reply(t(lang, "policy.no_draft"))]
        return await discard(actor, deps, draft)
    if draft is not None and draft.draft_step is not None:
        return [Reply(t(lang, "policy.draft_resumed")), *await _ask(draft, draft.draft_step, actor, deps)]
    await add_policy(
        deps,
        Policy(
            id=None,
            title="",
            body="",
            department_id=actor.department_id,
            created_by=actor.officer_id,
            created_at=deps.clock(),
            draft_step=DraftStep.TITLE,
        ),
    )
    return [Reply(t(lang, "policy.ask_title"))]


async def answer(actor: Actor, deps: Deps, text: str) -> list[Reply] | None:
    """An officer's free text while a draft waits for it; None when no draft is being written."""
    if not actor.is_staff or actor.officer_id is None:
        return None
    async with deps.storage() as uow:
        draft = await uow.policies.draft_of(actor.officer_id)
    if draft is None or draft.draft_step is None:
        return None
    text = storable(text).strip()
    step = draft.draft_step
    try:
        if step is DraftStep.TITLE:
            changed, following = replace(draft, title=text[:TITLE_LIMIT]), DraftStep.BODY
        elif step is DraftStep.BODY:
            changed, following = replace(draft, body=text), DraftStep.TAGS
        elif step is DraftStep.TAGS:
            changed, following = replace(draft, eligibility=parse_tags(text)), DraftStep.DEADLINE
        elif step is DraftStep.DEADLINE:
            today = deps.clock().astimezone(deps.timezone).date()
            changed, following = replace(draft, deadline=parse_deadline(text, today)), DraftStep.PREVIEW
        else:
            return [Reply(t(actor.lang, "policy.press_to_publish")), *await _ask(draft, step, actor, deps)]
    except BadInput as bad:
        return [Reply(t(actor.lang, bad.key, **bad.params))]
    changed = replace(changed, draft_step=following)
    async with deps.storage() as uow:
        await uow.policies.save(changed)
        await uow.commit()
    return await _ask(changed, following, actor, deps)


async def _ask(draft: Policy, step: DraftStep, actor: Actor, deps: Deps) -> list[Reply]:
    if step is not DraftStep.PREVIEW:
        return [Reply(t(actor.lang, f"policy.ask_{step.value}"))]
    reach = await preview(deps, draft)
    text = t(
        actor.lang,
        "policy.preview",
        notice=policy_render.notice(draft, actor.lang, deps),
        groups=len(reach.groups),
        enterprises=len(reach.enterprises),
        reachable=reach.reachable_enterprises,
        chats=reach.recipients,
    )
    buttons = (
        Button(t(actor.lang, "policy.button_publish"), f"pol:publish:{draft.id}"),
        Button(t(actor.lang, "policy.button_discard"), f"pol:discard:{draft.id}"),
    )
    return [Reply(text, buttons=buttons)]


async def confirm(actor: Actor, deps: Deps, policy: Policy, channel: str) -> list[Reply]:
    """The preview's "publish" button: the notices are queued for the outbox sender."""
    if policy.status is not PolicyStatus.DRAFT or policy.draft_step is not DraftStep.PREVIEW:
        return [Reply(t(actor.lang, "policy.not_draft", ref=policy.ref))]
    published = await publish(deps, policy.id or 0, via=channel)
    return [
        Reply(
            t(
                actor.lang,
                "policy.published",
                ref=published.policy.ref,
                title=policy.title,
                chats=published.queued,
                groups=len(published.reach.groups),
                enterprises=published.reach.reachable_enterprises,
            )
        )
    ]


async def discard(actor: Actor, deps: Deps, policy: Policy) -> list[Reply]:
    if policy.status is not PolicyStatus.DRAFT:
        return [Reply(t(actor.lang, "policy.not_draft", ref=policy.ref))]
    discarded = replace(policy, status=PolicyStatus.WITHDRAWN, withdrawn_at=deps.clock(), draft_step=None)
    async with deps.storage() as uow:
        moved = await uow.policies.move(discarded, PolicyStatus.DRAFT)
        await uow.commit()
    if not moved:
        return [Reply(t(actor.lang, "policy.not_draft", ref=policy.ref))]
    return [Reply(t(actor.lang, "policy.discarded", title=policy.title or policy.ref))]
