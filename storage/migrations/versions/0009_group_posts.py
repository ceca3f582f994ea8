"""sent messages: mark each ticket's post in its officer group (it is edited as the ticket moves)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sent_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_post", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("sent_messages", schema=None) as batch_op:
        batch_op.drop_column("is_post")
