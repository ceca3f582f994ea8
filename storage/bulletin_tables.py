"""The archive of leadership bulletins (issue 15): every one built, scheduled or on demand, with
the content it was built from and its Markdown, so that any later export reads the same thing."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Date, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.tables import UtcDateTime


class BulletinRow(SQLModel, table=True):
    """`schedule_key` names the period a scheduled bulletin was built for, unique: inserting it is
    the claim that makes one process of several build and send it (NULL for one built on demand)."""

    __tablename__ = "bulletins"
    __table_args__ = (UniqueConstraint("schedule_key", name="uq_bulletins_schedule_key"),)

    id: int | None = Field(default=None, primary_key=True)
    since: date = Field(sa_column=Column(Date, nullable=False))
    until: date = Field(sa_column=Column(Date, nullable=False))
    built_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False, index=True))
    built_by: str = Field(max_length=64)
    lang: str = Field(max_length=10)
    content: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    markdown: str = Field(default="", sa_column=Column(Text, nullable=False))
    sent: bool = False
    schedule_key: str | None = Field(default=None, max_length=64)
