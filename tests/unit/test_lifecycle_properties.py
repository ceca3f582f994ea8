"""Property-based: random actions by random actors never leave the state machine.

Every accepted transition yields exactly one audit event that records the move it made; every
refused one raises a DomainError that the catalogues can explain, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import lifecycle as lc
from bot.domain.enterprise import VISIT
from bot.domain.errors import DomainError
from bot.domain.messages import SYSTEM_ACTOR, Actor, Role
from bot.domain.routing import Routing
from bot.domain.sla import SlaPolicy
from bot.domain.tickets import Action, Change, Outcome, Resolution, Satisfaction, Status, Ticket
from bot.i18n import catalogue
from tests import builders
from tests.conftest import NOW

ACTORS: list[Actor] = [
    builders.enterprise_actor("acme", contact_id=1),  # the owner
    builders.enterprise_actor("other", contact_id=2),  # another company
    builders.officer_actor("wu_bin", "finance_office"),
    builders.officer_actor("zhao", "finance_office"),
    builders.officer_actor("lin_hui", "finance_office", Role.HEAD),
    builders.officer_actor("guo_ping", "tax_bureau"),
    builders.officer_actor("li_na", "service_center", Role.DISPATCHER),
    builders.officer_actor("admin", "service_center", Role.ADMIN),
    SYSTEM_ACTOR,
]
KEPT = replace(builders.ticket(), number=99, status=Status.IN_PROGRESS)
OWNER_CHAT = replace(builders.contact("acme", channel="telegram"), id=1)
SLA = SlaPolicy()

Step = Callable[[Ticket, Actor], Change]
STEPS: dict[Action, Step] = {
    Action.DISPATCH: lambda t, a: lc.dispatch(t, Routing("finance_office", None, False), a, NOW),
    Action.ASSIGN: lambda t, a: lc.assign(t, a, "wu_bin", "finance_office", NOW),
    Action.TAKE: lambda t, a: lc.take(t, a, NOW),
    Action.REPLY: lambda t, a: lc.reply(t, a, "回复", NOW),
    Action.ASK: lambda t, a: lc.ask_information(t, a, "请补充", NOW),
    Action.INFO: lambda t, a: lc.provide_information(t, a, "补充", NOW, SLA),
    Action.NOTE: lambda t, a: lc.add_note(t, a, "备注", NOW),
    Action.TRANSFER: lambda t, a: lc.transfer(t, a, "tax_bureau", "转办", NOW),
    Action.CO_HANDLE: lambda t, a: lc.add_co_handler(t, a, "commerce", NOW),
    Action.RETURN: lambda t, a: lc.return_ticket(t, a, "退回", NOW),
    Action.REQUEST_EXTENSION: lambda t, a: lc.request_extension(t, a, 3, "延期", NOW),
    Action.APPROVE_EXTENSION: lambda t, a: lc.approve_extension(t, a, NOW, SLA),
    Action.REJECT_EXTENSION: lambda t, a: lc.reject_extension(t, a, "不批", NOW),
    Action.RESOLVE: lambda t, a: lc.resolve(t, a, Outcome.RESOLVED, "办好了", NOW),
    Action.START_SURVEY: lambda t, a: lc.start_survey(t, a, NOW),
    Action.ANSWER_RESOLUTION: lambda t, a: lc.answer_resolution(t, a, Resolution.PARTLY, "", NOW),
    Action.ANSWER_SATISFACTION: lambda t, a: lc.answer_satisfaction(t, a, Satisfaction.BASICALLY, "", NOW),
    Action.CLOSE_UNRATED: lambda t, a: lc.close_unrated(t, a, NOW),
    Action.COMMENT: lambda t, a: lc.comment(t, a, "留言", NOW),
    Action.URGE: lambda t, a: lc.urge(t, a, "快点", NOW),
    Action.WITHDRAW: lambda t, a: lc.withdraw(t, a, "撤回", NOW),
    Action.MERGE: lambda t, a: lc.merge_into(t, KEPT, a, NOW),
    Action.FEEDBACK: lambda t, a: lc.give_feedback(t, a, "谢谢", NOW),
    Action.CONFIDENTIAL: lambda t, a: lc.set_confidential(t, a, True, NOW),
    Action.CLUSTER: lambda t, a: lc.join_cluster(t, a, 99, NOW),
    # a ticket held by a visit's stand-in passes to the owner's chat (no one else may take it)
    Action.HAND_OVER: lambda t, a: lc.hand_over(replace(t, channel=VISIT), a, OWNER_CHAT, NOW),
}
# Where a transition may lead when the table leaves the choice to the transition itself.
CHOSEN_TARGETS = {
    Action.INFO: {Status.IN_PROGRESS},
    Action.APPROVE_EXTENSION: set(Status),
    Action.REJECT_EXTENSION: set(Status),
    Action.ANSWER_RESOLUTION: {Status.REOPENED},
    Action.ANSWER_SATISFACTION: {Status.CLOSED, Status.REOPENED},
}


def test_every_action_is_covered() -> None:
    assert set(STEPS) == set(lc.MOVES)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(sorted(STEPS)), st.sampled_from(range(len(ACTORS)))), max_size=40))
def test_random_action_sequences_stay_inside_the_machine(steps: list[tuple[Action, int]]) -> None:
    ticket = replace(builders.ticket(), number=7)
    explanations = catalogue("en")
    for action, who in steps:
        before = ticket
        try:
            change = STEPS[action](ticket, ACTORS[who])
        except DomainError as refusal:
            assert refusal.key in explanations  # noqa: PT017 (a refusal is expected here, and must have words)
            assert ticket is before
            continue
        allowed_from, table_to = lc.MOVES[action]
        event = change.event
        assert before.status in allowed_from
        assert (event.action, event.from_status, event.to_status) == (
            action,
            before.status,
            change.ticket.status,
        )
        expected = {table_to} if table_to else {before.status} | CHOSEN_TARGETS.get(action, set())
        assert change.ticket.status in expected
        if before.status is Status.CLOSED:
            assert change.ticket.status is Status.CLOSED  # closed is final
        assert (change.ticket.closed_at is not None) == (change.ticket.status is Status.CLOSED)
        ticket = change.ticket
