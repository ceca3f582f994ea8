"""Turning a domain refusal into a sentence that says what went wrong and what to do next."""

from __future__ import annotations

from bot.domain.errors import DomainError, IllegalTransition, Usage
from bot.domain.org import Directory
from bot.i18n import t
from handlers import render


def explain(error: DomainError, lang: str, directory: Directory) -> str:
    params = dict(error.params)
    if isinstance(error, Usage):
        return t(lang, error.key, usage=t(lang, f"usage.{params['command']}"))
    if "action" in params:
        params["action"] = t(lang, f"action.{params['action']}")
    if "status" in params:
        params["status"] = t(lang, f"status.{params['status']}")
    if "officer" in params:
        params["officer"] = render.officer_name(params["officer"], lang, directory)
    text = t(lang, error.key, **params)
    if isinstance(error, IllegalTransition) and error.params.get("status") == "dispatched":
        text += "\n" + t(lang, "hint.take_first", number=str(params.get("ticket", "")).lstrip("#"))
    return text
