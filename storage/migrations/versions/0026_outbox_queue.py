"""outbox: ix_outbox_queue (status, priority, id), the order the sender's claim serves the queue
in, so that a claim reads only until its round is full instead of every due message

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_queue", "outbox", ["status", "priority", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_queue", table_name="outbox")
