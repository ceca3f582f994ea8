"""campaigns: door-knocking campaigns, their targets and assignments, visits with their items
(demands that became tickets, opinions, project plans) and files, and the campaigns' audit

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05

Numbered 0019 to leave room for the revisions being written beside it (0015 …); whoever merges
them re-chains `down_revision` to the newest.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("lead_id", sa.String(length=64), nullable=False),
        sa.Column("targeting", sa.JSON(), nullable=False),
        sa.Column("departments", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        _at("created_at"),
        _at("closed_at", nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "campaign_targets",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("officer_id", sa.String(length=64), nullable=True),
        sa.Column("department_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"]),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprises.id"]),
        sa.PrimaryKeyConstraint("campaign_id", "enterprise_id"),
    )
    op.create_index("ix_campaign_targets_officer", "campaign_targets", ["campaign_id", "officer_id"])
    op.create_table(
        "visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("officer_id", sa.String(length=64), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("met", sa.String(length=300), nullable=True),
        sa.Column("situation", sa.Text(), nullable=True),
        sa.Column("step", sa.String(length=20), nullable=True),
        sa.Column("pending_text", sa.Text(), nullable=True),
        _at("created_at"),
        _at("updated_at"),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"]),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprises.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_visits_campaign_enterprise", "visits", ["campaign_id", "enterprise_id"])
    op.create_index("ix_visits_officer_step", "visits", ["officer_id", "step"])
    op.create_table(
        "visit_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        _at("created_at"),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_visit_items_visit_id", "visit_items", ["visit_id"])
    op.create_index("ix_visit_items_ticket_id", "visit_items", ["ticket_id"])
    op.create_table(
        "visit_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("ref", sa.String(length=256), nullable=False),
        _at("created_at"),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_visit_files_visit_id", "visit_files", ["visit_id"])
    op.create_table(
        "campaign_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        _at("at"),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_campaign_events_campaign_id", "campaign_events", ["campaign_id"])


def downgrade() -> None:
    for table in ("campaign_events", "visit_files", "visit_items", "visits", "campaign_targets", "campaigns"):
        op.drop_table(table)
