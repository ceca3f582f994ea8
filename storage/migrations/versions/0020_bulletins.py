"""bulletins: the archive of leadership bulletins, each with its content and Markdown; a scheduled
one carries the key of its period, unique, which is how one process of several claims it

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bulletins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("built_by", sa.String(length=64), nullable=False),
        sa.Column("lang", sa.String(length=10), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=False),
        sa.Column("sent", sa.Boolean(), nullable=False),
        sa.Column("schedule_key", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("schedule_key", name="uq_bulletins_schedule_key"),
    )
    op.create_index("ix_bulletins_built_at", "bulletins", ["built_at"])


def downgrade() -> None:
    op.drop_index("ix_bulletins_built_at", table_name="bulletins")
    op.drop_table("bulletins")
