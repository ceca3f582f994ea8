"""contacts: what an unbound contact says about its company, and the question still open

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_company", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("claimed_uscc", sa.String(length=18), nullable=True))
        batch_op.add_column(sa.Column("asking", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("asking")
        batch_op.drop_column("claimed_uscc")
        batch_op.drop_column("claimed_company")
