"""closed loop: co-handling, confidentiality, urging, the stopped clock, extensions, outcome and
survey answers, duplicates, first response times

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("co_departments", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(
            sa.Column("confidential", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("urge_count", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("resume_status", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("extension_days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("outcome", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("resolution", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("satisfaction", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("duplicate_of", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("first_contact_at", sa.DateTime(timezone=True), nullable=True))
    # The first loop had a one-step confirmation: its events and its waiting tickets are moved
    # onto the survey the closed loop asks instead.
    op.execute("UPDATE ticket_events SET action = 'answer_satisfaction' WHERE action = 'confirm'")
    op.execute("UPDATE ticket_events SET action = 'answer_resolution' WHERE action = 'reject_resolution'")
    op.execute("UPDATE tickets SET status = 'survey' WHERE status = 'replied'")


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        for column in (
            "first_contact_at",
            "signed_at",
            "duplicate_of",
            "satisfaction",
            "resolution",
            "outcome",
            "extension_days",
            "resume_status",
            "paused_at",
            "urge_count",
            "confidential",
            "co_departments",
        ):
            batch_op.drop_column(column)
