"""Turning a domain refusal into a sentence that says what went wrong and what to do next."""

from __future__ import annotations

from bot.domain.errors import DomainError, IllegalTransition, NotAllowed, Usage
from bot.domain.messages import Actor
from bot.domain.org import Directory
from bot.i18n import catalogue, t
from handlers import render


def explain(error: DomainError, actor: Actor, directory: Directory) -> str:
    lang = actor.lang
    params = dict(error.params)
    if isinstance(error, Usage):
        return t(lang, error.key, usage=t(lang, f"usage.{params['command']}"))
    if "action" in params and f"action.{params['action']}" in catalogue("zh-CN"):
        params["action"] = t(lang, f"action.{params['action']}")
    if "status" in params:
        params["status"] = t(lang, f"status.{params['status']}")
    if "officer" in params:
        params["officer"] = render.officer_name(params["officer"], lang, directory)
    key = error.key
    if isinstance(error, NotAllowed) and f"{key}_{error.params.get('action')}" in catalogue("zh-CN"):
        key = f"{key}_{error.params['action']}"  # a refusal that says why for this action
    text = t(lang, key, **params)
    if isinstance(error, IllegalTransition) and error.params.get("status") == "dispatched" and actor.is_staff:
        text += "\n" + t(lang, "hint.take_first", number=str(params.get("ticket", "")).lstrip("#"))
    return text
