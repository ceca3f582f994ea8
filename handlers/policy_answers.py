"""A policy question is answered from the registry: the published policies that best match its
words (bot.domain.policy_search), open today and open to the asker's enterprise, each with its
deadline and how to apply. When none matches well, Xiaoer says so and opens an inquiry ticket for
the department that leads the question's category (the usual intake), so a person answers."""

from __future__ import annotations

from dataclasses import replace

from bot.domain.markdown import excerpt, plain
from bot.domain.messages import Actor, Button, Inbound, Reply
from bot.domain.policies import Policy, PolicyStatus, enterprise_qualifies
from bot.domain.policy_search import Index
from bot.i18n import LANGUAGES, t
from handlers import policy_render, render
from handlers.deps import Deps
from handlers.intake import open_demand
from handlers.numbers import small_number
from nlu.types import Parse
from storage.protocols import LoggedMessage

MIN_COVERAGE = 0.5  # share of the question's (rarity-weighted) terms a policy must contain
MAX_ANSWERS = 3
CATEGORY_BOOST = 1.5  # a policy of the category the NLU heard ranks above an equal one of another
ANSWER_EXCERPT = 160


def _document(policy: Policy) -> str:
    """What a question is matched against: the title counts twice; the category's names in both
    languages let "subsidy" find a 补贴 policy."""
    categories = " ".join(t(lang, f"category.{policy.category}") for lang in LANGUAGES)
    tags = " ".join(
        v
        for d in ("industry", "district", "size_class", "qualifications")
        for v in policy.eligibility.values(d)
    )
    return "\n".join([policy.title, policy.title, policy.body, policy.how_to_apply, tags, categories])


async def matching_policies(deps: Deps, actor: Actor, question: str, category: str | None) -> list[Policy]:
    today = deps.clock().astimezone(deps.timezone).date()
    async with deps.storage() as uow:
        published = await uow.policies.listing(PolicyStatus.PUBLISHED)
        enterprise = await uow.enterprises.get(actor.enterprise_id) if actor.enterprise_id else None
    candidates = {
        p.id: p
        for p in published
        if p.open_on(today) and (enterprise is None or enterprise_qualifies(p.eligibility, enterprise))
    }
    index = Index([(policy_id, _document(p)) for policy_id, p in candidates.items()])
    boost = {
        policy_id: CATEGORY_BOOST
        for policy_id, p in candidates.items()
        if category not in (None, "other") and p.category == category
    }
    hits = [hit for hit in index.search(question, boost) if hit.coverage >= MIN_COVERAGE]
    return [candidates[hit.key] for hit in hits[:MAX_ANSWERS]]


async def answer_inquiry(
    inbound: Inbound, actor: Actor, parse: Parse, deps: Deps, log_entry: int
) -> list[Reply]:
    found = await matching_policies(deps, actor, inbound.text, parse.category)
    lang = actor.lang
    if not found:
        replies = [Reply(t(lang, "policy.no_match"))]
        return replies + await open_demand(
            inbound, actor, replace(parse, intent="policy_inquiry"), deps, log_entry
        )
    text = answers_text(found, lang, deps)
    buttons = [Button(t(lang, "policy.button_apply_to", ref=p.ref), f"pol:apply:{p.id}") for p in found]
    buttons.append(Button(t(lang, "policy.button_person"), f"polq:{log_entry}"))
    return [Reply(text, buttons=tuple(buttons))]


def answers_text(found: list[Policy], lang: str, deps: Deps) -> str:
    """The policies that answer a question, each with its department, deadline, who qualifies,
    a summary and how to apply."""
    items = [
        t(
            lang,
            "policy.answer_item",
            ref=p.ref,
            title=p.title,
            department=render.department_name(p.department_id, lang, deps.directory),
            deadline=policy_render.day(p.deadline, lang),
            eligibility=policy_render.eligibility(p.eligibility, lang),
            summary=excerpt(plain(p.body).replace("\n", " "), ANSWER_EXCERPT)[0],
            how=policy_render.how_to_apply(p, lang),
        )
        for p in found
    ]
    return t(lang, "policy.answers", count=len(found)) + "\n\n" + "\n\n".join(items)


async def to_person(inbound: Inbound, actor: Actor, deps: Deps, args: str) -> list[Reply]:
    """`polq:<entry>`: none of the answers fits; the question becomes an inquiry ticket (once)."""
    entry = small_number(args)
    logged = await _claim(inbound, deps, entry) if entry is not None else None
    if logged is None or entry is None:
        return [Reply(t(actor.lang, "error.stale_button"))]
    parse = await deps.nlu.parse(logged.text)
    original = replace(inbound, text=logged.text, chat_id=logged.chat_id, payload=None)
    return await open_demand(
        original, actor, replace(parse, intent="policy_inquiry"), deps, entry, check_repeats=False
    )


async def _claim(inbound: Inbound, deps: Deps, entry: int) -> LoggedMessage | None:
    """The logged question, if the presser asked it and it has no ticket yet. A question that came
    through a clarifying choice is already marked handled by that choice, so the ticket link is
    what says the question was passed on (open_demand links it)."""
    async with deps.storage() as uow:
        logged = await uow.messages.get(entry)
        if (
            logged is None
            or logged.channel != inbound.sender.channel
            or logged.sender_id != inbound.sender.user_id
            or logged.ticket_number is not None
        ):
            return None
        await uow.messages.claim(entry, deps.clock())
        await uow.commit()
    return logged
