"""contacts: since when the platform refuses messages to a contact (they blocked the bot);
forum_topics: a ticket's topic in an officer group that is a forum

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unreachable_since", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "forum_topics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("chat_id", sa.String(length=128), nullable=False),
        sa.Column("ticket_number", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "chat_id", "ticket_number", name="uq_forum_topics"),
    )


def downgrade() -> None:
    op.drop_table("forum_topics")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("unreachable_since")
