"""What the bot says when it is asked what it does, or cannot tell what a message wants."""

from __future__ import annotations

from bot.domain.messages import Actor, Reply
from bot.domain.org import Directory
from bot.domain.permissions import may_publish, may_see_reports
from bot.i18n import t


def help_text(actor: Actor, directory: Directory | None = None) -> Reply:
    """The commands the actor may use (given the directory, /report for those allowed it)."""
    text = t(actor.lang, "help.staff" if actor.is_staff else "help.enterprise", name=actor.display_name)
    if may_publish(actor):
        text += "\n" + t(actor.lang, "policy.help_publish")
    if directory is not None and may_see_reports(actor, directory.leaders):
        text += "\n\n" + t(actor.lang, "report.help")
    return Reply(text)


def greeting(actor: Actor) -> Reply:
    return Reply(
        t(actor.lang, "help.greeting", name=actor.display_name) + "\n" + t(actor.lang, "help.enterprise")
    )


def not_understood(actor: Actor) -> Reply:
    return Reply(t(actor.lang, "help.not_understood"))


def staff_free_text(actor: Actor) -> Reply:
    return Reply(t(actor.lang, "help.staff_free_text"))
