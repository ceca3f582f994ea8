"""The Rasa action server (`xiaoer rasa-actions`, the optional extra `xiaoer[rasa]`): custom
actions a Rasa assistant calls through rasa-sdk's /webhook to open a demand, report a ticket's
status, urge it, and answer a policy question from Xiaoer's registry. The use cases are
handlers/assistant.py; here the assistant's tracker becomes their arguments, and their replies
become the assistant's utterances (for the person) and outbox messages (for officers, delivered
by `xiaoer run`), written in the transaction of the change.

Slots read: `company`, `credit_code`, `category`, `ticket_number`; slots set: `ticket_number`.
Only this module imports rasa_sdk (pyproject's import-linter contract), and only this command
loads it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.domain.messages import Actor, Reply
from bot.domain.outbox import Origin
from bot.i18n import t
from handlers import assistant
from handlers.deps import Deps
from handlers.outgoing import Outgoing

Events = list[dict[str, Any]]


@dataclass
class Wiring:
    """What the actions work with, set once the server has built the app (`serve`)."""

    deps: Deps | None = None
    outgoing: Outgoing | None = None


WIRING = Wiring()


def _wired() -> tuple[Deps, Outgoing]:
    deps, outgoing = WIRING.deps, WIRING.outgoing
    if deps is None or outgoing is None:
        raise RuntimeError("the action server is not wired: serve() sets it up before it starts")
    return deps, outgoing


def _slots(tracker: Tracker) -> assistant.Slots:
    def text(name: str) -> str | None:
        value = tracker.get_slot(name)
        return str(value).strip() or None if value is not None else None

    return assistant.Slots(text("company"), text("credit_code"), text("category"))


def _ticket(tracker: Tracker) -> int | None:
    value = tracker.get_slot("ticket_number")
    try:
        return int(str(value).lstrip("#")) if value is not None else None
    except ValueError:
        return None


def _said(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "").strip()


async def _do(
    tracker: Tracker,
    dispatcher: CollectingDispatcher,
    work: Callable[[Deps, Actor], Awaitable[Sequence[Reply]]],
) -> Actor:
    """Run a use case as the tracker's person; utter its replies for them, queue the others."""
    deps, outgoing = _wired()
    actor = await assistant.assistant_actor(deps, tracker.sender_id, _slots(tracker))
    said: list[Reply] = []

    async def run() -> Sequence[Reply]:
        said.extend(await work(deps, actor))
        return said

    await outgoing.run(run, Origin(assistant.CHANNEL, tracker.sender_id))
    for text in assistant.for_person(said, tracker.sender_id):
        dispatcher.utter_message(text=text)
    return actor


class OpenDemand(Action):
    def name(self) -> str:
        return "action_xiaoer_open_demand"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events:
        deps, _ = _wired()
        slots, text = _slots(tracker), _said(tracker)
        if not text:
            dispatcher.utter_message(text=t(deps.default_lang, "assistant.no_text"))
            return []
        if slots.company is None and slots.credit_code is None:
            dispatcher.utter_message(text=t(deps.default_lang, "assistant.no_company"))
            return []
        parse = await deps.nlu.parse(text)
        opened: list[int] = []

        async def open_it(deps: Deps, actor: Actor) -> Sequence[Reply]:
            number, replies = await assistant.open_from_assistant(
                deps, actor, tracker.sender_id, text, parse, slots.category
            )
            opened.append(number)
            return replies

        await _do(tracker, dispatcher, open_it)
        return [SlotSet("ticket_number", opened[0])]


class TicketStatus(Action):
    def name(self) -> str:
        return "action_xiaoer_ticket_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events:
        await _guarded(
            dispatcher, tracker, lambda deps, actor: assistant.status(deps, actor, _ticket(tracker))
        )
        return []


class UrgeTicket(Action):
    def name(self) -> str:
        return "action_xiaoer_urge_ticket"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events:
        text = _said(tracker)
        await _guarded(
            dispatcher, tracker, lambda deps, actor: assistant.urge(deps, actor, _ticket(tracker), text)
        )
        return []


class PolicyAnswer(Action):
    def name(self) -> str:
        return "action_xiaoer_policy_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events:
        deps, _ = _wired()
        actor = await assistant.assistant_actor(deps, tracker.sender_id, _slots(tracker))
        answer, found = await assistant.policy_answer(deps, actor, _said(tracker), _slots(tracker).category)
        dispatcher.utter_message(text=answer)
        return [SlotSet("policy_ids", found)]


async def _guarded(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    work: Callable[[Deps, Actor], Awaitable[Sequence[Reply]]],
) -> None:
    """A refusal (no such ticket, none open) is said to the person, as in chat."""
    from bot.domain.errors import DomainError
    from handlers.explain import explain

    deps, _ = _wired()
    try:
        await _do(tracker, dispatcher, work)
    except DomainError as error:
        actor = await assistant.assistant_actor(deps, tracker.sender_id, _slots(tracker))
        dispatcher.utter_message(text=explain(error, actor, deps.directory))


ACTIONS = (OpenDemand, TicketStatus, UrgeTicket, PolicyAnswer)


Setup = Callable[[], Awaitable[tuple[Deps, Outgoing, Callable[[], Awaitable[None]]]]]


def serve(setup: Setup, host: str, port: int) -> None:
    """Serve the actions at http://host:port/webhook (rasa-sdk's server, one process) until
    stopped. `setup` builds what they work with, inside the server's event loop."""
    from rasa_sdk.endpoint import create_app
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    for action in ACTIONS:
        executor.register_action(action)
    app = create_app(executor, cors_origins=[])
    closers: list[Callable[[], Awaitable[None]]] = []

    async def wire(_: object) -> None:
        WIRING.deps, WIRING.outgoing, close = await setup()
        closers.append(close)

    async def unwire(_: object) -> None:
        for close in closers:
            await close()

    app.register_listener(wire, "before_server_start")
    app.register_listener(unwire, "after_server_stop")
    app.run(host=host, port=port, single_process=True, access_log=False, motd=False)
