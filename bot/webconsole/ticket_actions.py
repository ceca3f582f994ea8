"""The actions of a ticket's page (sign for, assign, transfer, return, approve or refuse an
extension, resolve, re-dispatch), each run through the chat command's own handler with the
arguments the officer would type: the same rules, the same audit events, and the same messages to
the enterprise and the officers, queued in the outbox in the transaction that makes the change.
What the handler answers the officer is shown on the page."""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from bot.domain.errors import DomainError
from bot.domain.messages import Actor, Reply, ToSender
from bot.webconsole.access import audit, checked_form, required
from bot.webconsole.console import CONSOLE
from bot.webconsole.ticket_page import may_open, render_ticket, viewable_ticket
from handlers.commands import COMMANDS
from handlers.deps import Deps
from handlers.dispatch import protect
from handlers.explain import explain
from handlers.outgoing import Outgoing

# the form's fields, in the order the command reads them (`/transfer N department reason`)
FIELDS: dict[str, tuple[str, ...]] = {
    "take": (),
    "assign": ("officer",),
    "transfer": ("department", "reason"),
    "return": ("reason",),
    "approve": (),
    "rejectext": ("reason",),
    "resolve": ("outcome", "result"),
    "dispatch": ("department",),
}
LONGEST_FIELD = 2000


async def run_command(deps: Deps, outgoing: Outgoing, actor: Actor, command: str, args: str) -> list[str]:
    """The command as if typed in chat; returns what it answers the sender."""
    answers: list[Reply] = []

    async def work() -> Sequence[Reply]:
        try:
            replies = await COMMANDS[command].run(actor, deps, args)
        except DomainError as error:
            replies = [Reply(explain(error, actor, deps.directory))]
        replies = await protect(replies, deps)
        answers.extend(r for r in replies if isinstance(r.to, ToSender))
        return [r for r in replies if not isinstance(r.to, ToSender)]

    await outgoing.run(work)
    return [reply.text for reply in answers]


async def ticket_action(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    viewer = await required(request)
    form = await checked_form(request, viewer)
    ticket = await viewable_ticket(request, viewer)
    command = request.match_info["action"]
    if command not in FIELDS:
        raise web.HTTPNotFound()
    values = []
    for name in FIELDS[command]:
        value = form.get(name, "")
        values.append(" ".join(value.split()) if isinstance(value, str) and name != "result" else value)
    text = " ".join(str(v)[:LONGEST_FIELD] for v in values if isinstance(v, str) and v.strip())
    args = f"{ticket.number} {text}".strip()
    await audit(console, viewer.actor.officer_id, f"action:{command}", ticket.number, text[:150])
    said = await run_command(console.deps, console.outgoing, viewer.actor, command, args)
    async with console.deps.storage() as uow:
        assert ticket.number is not None
        now = await uow.tickets.get(ticket.number)
    assert now is not None
    if not may_open(viewer.actor, now, console.deps):  # transferred away, say: the outcome alone
        return console.page(
            "message.html",
            viewer.actor.lang,
            viewer=viewer,
            message_key="console.action_done",
            params={"outcome": said},
        )
    return await render_ticket(console, viewer, now, outcome=said)
