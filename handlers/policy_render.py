"""How a policy is written in chats: the notice with its buttons, the reminder, one-line listings,
eligibility in words (always through the catalogues; bodies are Markdown made plain)."""

from __future__ import annotations

from datetime import date

from bot.domain.markdown import excerpt, plain
from bot.domain.messages import Button
from bot.domain.policies import DIMENSIONS, Policy, Tags
from bot.i18n import t
from handlers import render
from handlers.deps import Deps


def day(value: date | None, lang: str) -> str:
    if value is None:
        return t(lang, "policy.no_deadline")
    return value.strftime(t(lang, "policy.date_format"))


def eligibility(tags: Tags, lang: str) -> str:
    parts = [
        t(
            lang,
            "policy.eligibility_part",
            dimension=t(lang, f"policy.dim_{d}"),
            values=t(lang, "policy.list_separator").join(sorted(tags.values(d))),
        )
        for d in DIMENSIONS
        if tags.values(d)
    ]
    return t(lang, "policy.separator").join(parts) if parts else t(lang, "policy.anyone")


def notice_buttons(policy: Policy, lang: str) -> tuple[Button, ...]:
    """Under every notice: got it, I want to apply, ask a question."""
    return tuple(
        Button(t(lang, f"policy.button_{action}"), f"pol:{action}:{policy.id}")
        for action in ("ack", "apply", "ask")
    )


def how_to_apply(policy: Policy, lang: str, *, pressable: bool = True) -> str:
    default = "policy.how_default" if pressable else "policy.how_default_unpressable"
    return policy.how_to_apply.strip() or t(lang, default)


def notice(policy: Policy, lang: str, deps: Deps, *, pressable: bool = True) -> str:
    """The notice; `pressable=False` where it goes without buttons (a WeCom group robot's post),
    so it points at Xiaoer's private chat instead of at buttons nobody can press."""
    body, cut = excerpt(plain(policy.body), deps.policies.excerpt_chars)
    text = t(
        lang,
        "policy.notice",
        title=policy.title,
        department=render.department_name(policy.department_id, lang, deps.directory),
        deadline=day(policy.deadline, lang),
        eligibility=eligibility(policy.eligibility, lang),
        body=body,
    )
    if cut:
        text += "\n" + t(lang, "policy.truncated" if pressable else "policy.truncated_unpressable")
    text += "\n\n" + t(lang, "policy.how", how=how_to_apply(policy, lang, pressable=pressable))
    if policy.links:
        text += "\n" + t(lang, "policy.links", links="\n".join(policy.links))
    return text


def reminder(policy: Policy, lang: str, days_left: int, deps: Deps) -> str:
    return t(
        lang,
        "policy.reminder",
        title=policy.title,
        deadline=day(policy.deadline, lang),
        days=days_left,
        department=render.department_name(policy.department_id, lang, deps.directory),
        how=how_to_apply(policy, lang),
    )


def line(policy: Policy, lang: str) -> str:
    """One policy in a list: reference, status, title, deadline."""
    return t(
        lang,
        "policy.line",
        ref=policy.ref,
        status=t(lang, f"policy.status_{policy.status.value}"),
        title=policy.title,
        deadline=day(policy.deadline, lang),
    )
