"""clusters: tickets of several enterprises with one problem, grouped under a lead ticket

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cluster_of", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_tickets_cluster_of"), ["cluster_of"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tickets_cluster_of"))
        batch_op.drop_column("cluster_of")
