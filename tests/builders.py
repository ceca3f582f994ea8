"""Small factories for domain objects, so tests say only what matters to them."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from bot.domain.enterprise import Contact, Enterprise
from bot.domain.messages import Actor, Role
from bot.domain.sla import Deadlines
from bot.domain.tickets import Status, Ticket
from tests.conftest import NOW


def enterprise(id: str = "acme", **kw: Any) -> Enterprise:
    return replace(Enterprise(id=id, name=f"{id} 有限公司"), **kw)


def contact(enterprise_id: str | None = "acme", external_id: str = "u1", channel: str = "console") -> Contact:
    return Contact(
        id=None,
        channel=channel,
        external_id=external_id,
        display_name="张总",
        lang="zh-CN",
        enterprise_id=enterprise_id,
    )


def ticket(contact_id: int = 1, enterprise_id: str | None = "acme", at: datetime = NOW, **kw: Any) -> Ticket:
    base = Ticket(
        number=None,
        enterprise_id=enterprise_id,
        contact_id=contact_id,
        channel="console",
        chat_id="enterprise:acme",
        text="我们需要一笔贷款",
        lang="zh-CN",
        intent="report_demand",
        category="finance",
        urgent=False,
        status=Status.ACCEPTED,
        department_id=None,
        assignee_id=None,
        respond_by=at + timedelta(hours=24),
        resolve_by=at + timedelta(days=7),
        created_at=at,
        updated_at=at,
    )
    return replace(base, **kw)


def deadlines(at: datetime = NOW) -> Deadlines:
    return Deadlines(
        sign_by=at + timedelta(hours=4),
        respond_by=at + timedelta(hours=24),
        resolve_by=at + timedelta(days=7),
    )


def officer_actor(
    officer_id: str = "wu_bin", department_id: str = "finance_office", role: Role = Role.OFFICER
) -> Actor:
    return Actor(
        role=role, display_name=officer_id, lang="zh-CN", officer_id=officer_id, department_id=department_id
    )


def enterprise_actor(enterprise_id: str | None = "acme", contact_id: int = 1) -> Actor:
    return Actor(
        role=Role.ENTERPRISE,
        display_name="张总",
        lang="zh-CN",
        contact_id=contact_id,
        enterprise_id=enterprise_id,
    )
