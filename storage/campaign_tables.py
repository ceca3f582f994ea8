"""The tables of door-knocking campaigns (issue 15): campaigns, their targets with the officer
assigned to each, visits with what was brought back, files kept with a visit, and the audit of
every change to a campaign. Kept apart from storage/tables.py: one concept, one module."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Date, Index, Text
from sqlmodel import Field, SQLModel

from storage.tables import UtcDateTime


def _moment(nullable: bool = False) -> Any:
    return Field(sa_column=Column(UtcDateTime(), nullable=nullable))


class CampaignRow(SQLModel, table=True):
    __tablename__ = "campaigns"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    starts_on: date = Field(sa_column=Column(Date, nullable=False))
    ends_on: date = Field(sa_column=Column(Date, nullable=False))
    lead_id: str = Field(max_length=64)
    targeting: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    departments: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(max_length=20)
    created_at: datetime = _moment()
    closed_at: datetime | None = _moment(nullable=True)


class CampaignTargetRow(SQLModel, table=True):
    """One enterprise a campaign means to visit, and who is to visit it."""

    __tablename__ = "campaign_targets"
    __table_args__ = (Index("ix_campaign_targets_officer", "campaign_id", "officer_id"),)

    campaign_id: int = Field(foreign_key="campaigns.id", primary_key=True)
    enterprise_id: str = Field(foreign_key="enterprises.id", primary_key=True, max_length=64)
    officer_id: str | None = Field(default=None, max_length=64)
    department_id: str | None = Field(default=None, max_length=64)


class VisitRow(SQLModel, table=True):
    """A visit to an enterprise, recorded from chat by the officer who made it. `step` is the
    question the record waits on (None: done); `pending_text` an item whose kind is being asked."""

    __tablename__ = "visits"
    __table_args__ = (
        Index("ix_visits_campaign_enterprise", "campaign_id", "enterprise_id"),
        Index("ix_visits_officer_step", "officer_id", "step"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int | None = Field(default=None, foreign_key="campaigns.id")
    enterprise_id: str = Field(foreign_key="enterprises.id", max_length=64)
    officer_id: str = Field(max_length=64)
    visited_on: date = Field(sa_column=Column(Date, nullable=False))
    met: str | None = Field(default=None, max_length=300)
    situation: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    step: str | None = Field(default=None, max_length=20)
    pending_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = _moment()
    updated_at: datetime = _moment()


class VisitItemRow(SQLModel, table=True):
    """What a visit brought back: a demand (with the ticket it became) or a note (an opinion or
    suggestion, a project plan), which is no ticket."""

    __tablename__ = "visit_items"

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visits.id", index=True)
    kind: str = Field(max_length=20)
    text: str = Field(sa_column=Column(Text, nullable=False))
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id", index=True)
    created_at: datetime = _moment()


class VisitFileRow(SQLModel, table=True):
    """A photo or document sent during a visit's record: the channel's reference to it."""

    __tablename__ = "visit_files"

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visits.id", index=True)
    kind: str = Field(max_length=20)
    ref: str = Field(max_length=256)
    created_at: datetime = _moment()


class CampaignEventRow(SQLModel, table=True):
    """The audit of a campaign: created, changed, assigned, closed, visits corrected."""

    __tablename__ = "campaign_events"

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaigns.id", index=True)
    at: datetime = _moment()
    actor_id: str = Field(max_length=64)
    action: str = Field(max_length=40)
    note: str = Field(default="", sa_column=Column(Text, nullable=False))
