"""The ticket lifecycle: who may move a ticket, from where, and what the audit log records."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import lifecycle as lc
from bot.domain.errors import AlreadyTaken, EmptyText, IllegalTransition, NotAllowed
from bot.domain.messages import SYSTEM_ACTOR, Role
from bot.domain.routing import Routing
from bot.domain.sla import SlaPolicy
from bot.domain.tickets import Action, ClosingReason, Outcome, Resolution, Satisfaction, Status, Ticket
from tests import builders
from tests.conftest import NOW

LATER = NOW + timedelta(hours=1)
OWNER = builders.enterprise_actor("acme", contact_id=1)
WU = builders.officer_actor("wu_bin", "finance_office")
HEAD = builders.officer_actor("lin_hui", "finance_office", Role.HEAD)
DISPATCHER = builders.officer_actor("li_na", "service_center", Role.DISPATCHER)
SLA = SlaPolicy()  # Monday to Friday, 09:00-12:00 and 13:30-18:00 in Xiamen, no holidays


def dispatched(assignee: str | None = None) -> Ticket:
    ticket = replace(builders.ticket(), number=7)
    return lc.dispatch(
        ticket, Routing("finance_office", assignee, assignee is not None), SYSTEM_ACTOR, NOW
    ).ticket


def signed() -> Ticket:
    return lc.take(dispatched(), WU, NOW).ticket


def surveyed() -> Ticket:
    resolved = lc.resolve(signed(), WU, Outcome.RESOLVED, "已放款", NOW).ticket
    return lc.start_survey(resolved, SYSTEM_ACTOR, NOW).ticket


def test_open_records_creation_by_the_contact() -> None:
    change = lc.open_ticket(
        actor=OWNER,
        contact_id=1,
        channel="console",
        chat_id="c",
        text="需要贷款",
        intent="report_demand",
        category="finance",
        urgent=True,
        deadlines=builders.deadlines(),
        at=NOW,
    )
    assert change.ticket.status is Status.ACCEPTED
    assert (change.event.action, change.event.actor_id, change.event.from_status) == (
        Action.CREATE,
        "contact:1",
        None,
    )
    with pytest.raises(EmptyText):
        lc.open_ticket(
            actor=OWNER,
            contact_id=1,
            channel="c",
            chat_id="c",
            text=" ",
            intent="report_demand",
            category=None,
            urgent=False,
            deadlines=builders.deadlines(),
            at=NOW,
        )


def test_the_main_loop_to_closed_resolved() -> None:
    ticket = signed()
    assert (ticket.status, ticket.assignee_id, ticket.signed_at) == (Status.SIGNED, "wu_bin", NOW)
    ticket = lc.reply(ticket, WU, " 明天上门 ", LATER).ticket
    assert (ticket.status, ticket.first_contact_at) == (Status.IN_PROGRESS, LATER)
    resolved = lc.resolve(ticket, WU, Outcome.RESOLVED, "已放款", LATER)
    assert resolved.ticket.status is Status.REPLIED
    ticket = lc.start_survey(resolved.ticket, SYSTEM_ACTOR, LATER).ticket
    ticket = lc.answer_resolution(ticket, OWNER, Resolution.RESOLVED, "", LATER).ticket
    assert (ticket.status, ticket.resolution) == (Status.SURVEY, Resolution.RESOLVED)
    closed = lc.answer_satisfaction(ticket, OWNER, Satisfaction.SATISFIED, "", LATER)
    assert closed.ticket.status is Status.CLOSED
    assert closed.ticket.closing_reason is ClosingReason.RESOLVED
    assert (closed.ticket.resolution, closed.ticket.satisfaction) == (
        Resolution.RESOLVED,
        Satisfaction.SATISFIED,
    )


def test_not_resolved_or_dissatisfied_reopens_for_the_same_officer() -> None:
    reopened = lc.answer_resolution(surveyed(), OWNER, Resolution.NOT_RESOLVED, "钱没到", LATER)
    assert (reopened.ticket.status, reopened.ticket.assignee_id) == (Status.REOPENED, "wu_bin")
    assert reopened.event.note == "not_resolved: 钱没到"
    partly = lc.answer_resolution(surveyed(), OWNER, Resolution.PARTLY, "", LATER).ticket
    unhappy = lc.answer_satisfaction(partly, OWNER, Satisfaction.DISSATISFIED, "太慢", LATER).ticket
    assert unhappy.status is Status.REOPENED
    again = lc.take(unhappy, WU, LATER).ticket
    assert again.status is Status.SIGNED


def test_partly_resolved_and_basically_satisfied_closes_as_partly() -> None:
    partly = lc.answer_resolution(surveyed(), OWNER, Resolution.PARTLY, "", LATER).ticket
    closed = lc.answer_satisfaction(partly, OWNER, Satisfaction.BASICALLY, "", LATER).ticket
    assert closed.closing_reason is ClosingReason.PARTLY_RESOLVED


def test_satisfaction_comes_after_resolution_and_only_once() -> None:
    with pytest.raises(IllegalTransition):
        lc.answer_satisfaction(surveyed(), OWNER, Satisfaction.SATISFIED, "", LATER)
    answered = lc.answer_resolution(surveyed(), OWNER, Resolution.RESOLVED, "", LATER).ticket
    with pytest.raises(IllegalTransition):
        lc.answer_resolution(answered, OWNER, Resolution.RESOLVED, "", LATER)


def test_unrated_survey_closes_with_the_officers_outcome() -> None:
    resolved = lc.resolve(signed(), WU, Outcome.NOT_OUR_RESPONSIBILITY, "请联系市场监管局 12315", NOW).ticket
    ticket = lc.start_survey(resolved, SYSTEM_ACTOR, NOW).ticket
    closed = lc.close_unrated(ticket, SYSTEM_ACTOR, LATER).ticket
    assert (closed.status, closed.closing_reason, closed.resolution, closed.satisfaction) == (
        Status.CLOSED,
        ClosingReason.NOT_OUR_RESPONSIBILITY,
        None,
        None,
    )


def test_asking_stops_the_clock_until_the_enterprise_answers() -> None:
    asked = lc.ask_information(signed(), WU, "请提供营业执照", NOW).ticket
    assert (asked.status, asked.paused_at) == (Status.WAITING_ENTERPRISE, NOW)
    # Monday 10:00 to Wednesday 10:00: two working days of waiting move the deadline two working
    # days on (Monday 30 November 10:00 to Wednesday 2 December 10:00, Xiamen time).
    answered = lc.provide_information(asked, OWNER, "已上传", NOW + timedelta(days=2), SLA).ticket
    assert answered.status is Status.IN_PROGRESS
    assert answered.paused_at is None
    assert asked.resolve_by == datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    assert answered.resolve_by == datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
    more = lc.provide_information(answered, OWNER, "再补充一点", LATER, SLA).ticket
    assert (more.status, more.resolve_by) == (Status.IN_PROGRESS, answered.resolve_by)


def test_a_weekend_of_waiting_costs_no_working_time() -> None:
    friday_evening = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # 18:00 in Xiamen
    monday_morning = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 09:00
    asked = lc.ask_information(signed(), WU, "请提供营业执照", friday_evening).ticket
    answered = lc.provide_information(asked, OWNER, "已上传", monday_morning, SLA).ticket
    assert answered.resolve_by == asked.resolve_by


def test_extension_approved_moves_the_deadline_and_rejected_does_not() -> None:
    working = lc.reply(signed(), WU, "处理中", NOW).ticket
    asked = lc.request_extension(working, WU, 5, "需要现场勘查", NOW).ticket
    assert (asked.status, asked.resume_status, asked.extension_days) == (
        Status.EXTENSION,
        Status.IN_PROGRESS,
        5,
    )
    with pytest.raises(NotAllowed):
        lc.approve_extension(asked, WU, NOW, SLA)  # not the officer's own decision
    approved = lc.approve_extension(asked, HEAD, NOW, SLA).ticket
    # five working days after Monday 30 November 10:00 is Monday 7 December 10:00 (Xiamen)
    assert (approved.status, approved.resolve_by) == (
        Status.IN_PROGRESS,
        datetime(2026, 12, 7, 2, 0, tzinfo=UTC),
    )
    rejected = lc.reject_extension(asked, HEAD, "时间足够", NOW).ticket
    assert (rejected.status, rejected.resolve_by) == (Status.IN_PROGRESS, working.resolve_by)


def test_return_and_redispatch() -> None:
    returned = lc.return_ticket(signed(), WU, "不属于金融事项", NOW).ticket
    assert (returned.status, returned.assignee_id) == (Status.RETURNED, None)
    with pytest.raises(NotAllowed):
        lc.dispatch(returned, Routing("tax_bureau", None, False), WU, NOW)
    again = lc.dispatch(returned, Routing("tax_bureau", None, False), DISPATCHER, NOW).ticket
    assert (again.status, again.department_id) == (Status.DISPATCHED, "tax_bureau")


def test_transfer_and_co_handling() -> None:
    moved = lc.transfer(signed(), WU, "commerce", "涉及出口订单", NOW).ticket
    assert (moved.status, moved.department_id, moved.assignee_id) == (Status.DISPATCHED, "commerce", None)
    helped = lc.add_co_handler(signed(), WU, "tax_bureau", NOW).ticket
    assert helped.co_departments == ("tax_bureau",)
    with pytest.raises(NotAllowed):
        lc.add_co_handler(helped, WU, "tax_bureau", NOW)


def test_assign_needs_the_head_and_an_officer_of_the_department() -> None:
    queued = dispatched()
    assert lc.assign(queued, HEAD, "wu_bin", "finance_office", NOW).ticket.assignee_id == "wu_bin"
    with pytest.raises(NotAllowed):
        lc.assign(queued, WU, "wu_bin", "finance_office", NOW)
    with pytest.raises(NotAllowed):
        lc.assign(queued, HEAD, "guo_ping", "tax_bureau", NOW)


def test_merge_links_the_duplicate_to_the_kept_ticket() -> None:
    kept = replace(signed(), number=3)
    duplicate = lc.merge_into(signed(), kept, WU, NOW).ticket
    assert (duplicate.status, duplicate.closing_reason, duplicate.duplicate_of) == (
        Status.CLOSED,
        ClosingReason.DUPLICATE,
        3,
    )
    with pytest.raises(NotAllowed):
        lc.merge_into(signed(), replace(kept, enterprise_id="other"), WU, NOW)


def test_urging_counts_and_marks_urgent() -> None:
    once = lc.urge(dispatched(), OWNER, "快点", NOW).ticket
    twice = lc.urge(once, OWNER, "还没人理", NOW).ticket
    assert (twice.urge_count, twice.urgent, twice.status) == (2, True, Status.DISPATCHED)


def test_refusals_by_role() -> None:
    with pytest.raises(NotAllowed):
        lc.take(dispatched(), OWNER, NOW)
    outsider = builders.officer_actor("guo_ping", "tax_bureau")
    with pytest.raises(NotAllowed):
        lc.take(dispatched(), outsider, NOW)
    with pytest.raises(NotAllowed):
        lc.reply(signed(), outsider, "hi", NOW)
    with pytest.raises(AlreadyTaken):
        lc.take(dispatched(assignee="wang_lei"), WU, NOW)
    with pytest.raises(NotAllowed):
        lc.answer_resolution(
            surveyed(), builders.enterprise_actor("other", contact_id=9), Resolution.RESOLVED, "", NOW
        )
    with pytest.raises(NotAllowed):
        lc.add_note(signed(), OWNER, "我也想备注", NOW)


def test_confidential_ticket_is_hidden_from_colleagues() -> None:
    from bot.domain.permissions import may_view

    secret = lc.set_confidential(signed(), WU, True, NOW).ticket
    colleague = builders.officer_actor("zhao", "finance_office")
    assert not may_view(colleague, secret)
    assert may_view(HEAD, secret)
    assert may_view(WU, secret)


def test_closed_ticket_accepts_only_notes_comments_and_feedback() -> None:
    closed = lc.withdraw(signed(), OWNER, "不需要了", NOW).ticket
    assert closed.closing_reason is ClosingReason.WITHDRAWN
    with pytest.raises(IllegalTransition):
        lc.reply(closed, WU, "hi", NOW)
    with pytest.raises(IllegalTransition):
        lc.urge(closed, OWNER, "", NOW)
    assert lc.add_note(closed, WU, "企业已撤回", NOW).ticket.status is Status.CLOSED
    assert lc.give_feedback(closed, OWNER, "谢谢", NOW).ticket.status is Status.CLOSED


def test_the_status_sets() -> None:
    """What the sets on the status type mean, spelled out once more, so that changing one is a
    decision (storage builds its SQL filters from them: tests/contract/test_status_rules.py)."""
    assert set(Status) - Status.OPEN == {Status.CLOSED}
    assert {Status.REPLIED, Status.SURVEY, Status.CLOSED} == Status.ANSWERED
    assert [s for s in Status if s.is_open and s.is_answered] == [Status.REPLIED, Status.SURVEY]
