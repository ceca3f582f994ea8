"""The ticket lifecycle: who may move a ticket, from where, and what the audit log records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.domain.errors import AlreadyTaken, EmptyText, IllegalTransition, NotAllowed
from bot.domain.messages import SYSTEM_ACTOR, Role
from bot.domain.routing import Routing
from bot.domain.tickets import (
    Action,
    ClosingReason,
    Status,
    Ticket,
    confirm_resolved,
    dispatch,
    open_ticket,
    reject_resolution,
    reply,
    resolve,
    take,
)
from tests import builders
from tests.conftest import NOW

LATER = NOW + timedelta(hours=1)
OWNER = builders.enterprise_actor("acme", contact_id=1)
WU = builders.officer_actor("wu_bin", "finance_office")


def dispatched(assignee: str | None = None) -> Ticket:
    ticket = replace(builders.ticket(), number=7)
    return dispatch(
        ticket, Routing("finance_office", assignee, assignee is not None), SYSTEM_ACTOR, NOW
    ).ticket


def test_open_records_creation_by_the_contact() -> None:
    change = open_ticket(
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
    assert change.ticket.enterprise_id == "acme"
    assert change.event.action is Action.CREATE
    assert change.event.actor_id == "contact:1"
    assert change.event.from_status is None


def test_open_refuses_empty_text() -> None:
    with pytest.raises(EmptyText):
        open_ticket(
            actor=OWNER,
            contact_id=1,
            channel="console",
            chat_id="c",
            text="  ",
            intent="report_demand",
            category=None,
            urgent=False,
            deadlines=builders.deadlines(),
            at=NOW,
        )


def test_whole_loop_to_closed() -> None:
    ticket = dispatched()
    assert ticket.status is Status.DISPATCHED
    taken = take(ticket, WU, LATER)
    assert taken.ticket.status is Status.IN_PROGRESS
    assert taken.ticket.assignee_id == "wu_bin"
    replied = reply(taken.ticket, WU, " 明天上门 ", LATER)
    assert replied.ticket.status is Status.IN_PROGRESS
    assert replied.event.note == "明天上门"
    resolved = resolve(replied.ticket, WU, "已放款", LATER)
    assert resolved.ticket.status is Status.REPLIED
    closed = confirm_resolved(resolved.ticket, OWNER, LATER)
    assert closed.ticket.status is Status.CLOSED
    assert closed.ticket.closing_reason is ClosingReason.RESOLVED
    assert closed.ticket.closed_at == LATER
    assert (closed.event.from_status, closed.event.to_status) == (Status.REPLIED, Status.CLOSED)


def test_not_resolved_goes_back_to_the_same_officer() -> None:
    resolved = resolve(take(dispatched(), WU, NOW).ticket, WU, "已处理", NOW).ticket
    reopened = reject_resolution(resolved, OWNER, "还没放款", LATER)
    assert reopened.ticket.status is Status.IN_PROGRESS
    assert reopened.ticket.assignee_id == "wu_bin"
    assert reopened.event.note == "还没放款"


def test_enterprise_cannot_take() -> None:
    with pytest.raises(NotAllowed):
        take(dispatched(), OWNER, NOW)


def test_officer_of_another_department_cannot_take_or_reply() -> None:
    outsider = builders.officer_actor("guo_ping", "tax_bureau")
    with pytest.raises(NotAllowed):
        take(dispatched(), outsider, NOW)
    in_progress = take(dispatched(), WU, NOW).ticket
    with pytest.raises(NotAllowed):
        reply(in_progress, outsider, "hi", NOW)


def test_unassigned_colleague_cannot_reply_but_head_can() -> None:
    in_progress = take(dispatched(), WU, NOW).ticket
    colleague = builders.officer_actor("zhao", "finance_office")
    with pytest.raises(NotAllowed):
        reply(in_progress, colleague, "hi", NOW)
    head = builders.officer_actor("lin_hui", "finance_office", Role.HEAD)
    assert reply(in_progress, head, "hi", NOW).event.actor_id == "lin_hui"


def test_assigned_liaison_ticket_cannot_be_taken_by_a_colleague() -> None:
    ticket = dispatched(assignee="wang_lei")
    with pytest.raises(AlreadyTaken):
        take(ticket, WU, NOW)
    liaison = builders.officer_actor("wang_lei", "industry_it")
    assert take(ticket, liaison, NOW).ticket.status is Status.IN_PROGRESS


def test_admin_may_take_anywhere() -> None:
    admin = builders.officer_actor("admin", "service_center", Role.ADMIN)
    assert take(dispatched(), admin, NOW).ticket.assignee_id == "admin"


def test_reply_before_take_is_an_illegal_transition() -> None:
    head = builders.officer_actor("lin_hui", "finance_office", Role.HEAD)
    with pytest.raises(IllegalTransition) as caught:
        reply(dispatched(), head, "hi", NOW)
    assert caught.value.params["status"] == "dispatched"


def test_confirm_needs_the_owner_and_a_replied_ticket() -> None:
    in_progress = take(dispatched(), WU, NOW).ticket
    with pytest.raises(IllegalTransition):
        confirm_resolved(in_progress, OWNER, NOW)
    resolved = resolve(in_progress, WU, "ok", NOW).ticket
    stranger = builders.enterprise_actor("other", contact_id=9)
    with pytest.raises(NotAllowed):
        confirm_resolved(resolved, stranger, NOW)
    with pytest.raises(NotAllowed):
        confirm_resolved(resolved, WU, NOW)


def test_closed_ticket_accepts_nothing_more() -> None:
    closed = confirm_resolved(
        resolve(take(dispatched(), WU, NOW).ticket, WU, "ok", NOW).ticket, OWNER, NOW
    ).ticket
    attempts: list[Callable[[], object]] = [
        lambda: reply(closed, WU, "hi", NOW),
        lambda: resolve(closed, WU, "again", NOW),
        lambda: take(closed, WU, NOW),
        lambda: reject_resolution(closed, OWNER, "no", NOW),
    ]
    for attempt in attempts:
        with pytest.raises((IllegalTransition, AlreadyTaken)):
            attempt()


def test_unverified_contact_owns_only_its_own_ticket() -> None:
    ticket = replace(builders.ticket(contact_id=5, enterprise_id=None), number=3, status=Status.REPLIED)
    assert (
        confirm_resolved(ticket, builders.enterprise_actor(None, contact_id=5), NOW).ticket.status
        is Status.CLOSED
    )
    with pytest.raises(NotAllowed):
        confirm_resolved(ticket, builders.enterprise_actor(None, contact_id=6), NOW)
