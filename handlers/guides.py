"""The next steps on a ticket's group post, as buttons (`cmd:guide:ask:12`): each answers with
the command to send, the ticket's number filled in, so an officer acts from the post without
looking up the syntax (the command itself checks who may do it)."""

from __future__ import annotations

from bot.domain.errors import Usage
from bot.domain.messages import Actor, Button, Reply
from bot.i18n import t
from handlers.deps import Deps
from handlers.numbers import small_number
from handlers.org_names import department_list

STEPS = ("ask", "transfer", "resolve")


def step_buttons(number: int, lang: str) -> tuple[Button, ...]:
    return tuple(Button(t(lang, f"guide.button_{step}"), f"cmd:guide:{step}:{number}") for step in STEPS)


async def guide(actor: Actor, deps: Deps, args: str) -> list[Reply]:
    """`guide ask 12` (a button's `cmd:guide:ask:12`)."""
    step, _, number_text = args.replace(":", " ").strip().partition(" ")
    number = small_number(number_text)
    if step not in STEPS or number is None:
        raise Usage(command="guide")
    departments = department_list(deps.directory, actor.lang)
    return [Reply(t(actor.lang, f"guide.{step}", number=number, departments=departments))]
