"""outbox: ix_outbox_due, ix_outbox_queue and ix_outbox_chat hold only the messages still on their
way (storage/outbox_states.py): a delivered or given-up message leaves them, so they stay as small
as the queue, and a message's claim and delivery write fewer index entries

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

# written out, not imported: a migration stays as it was when the code it came with changes
_PENDING = sa.text("status = 'pending'")
_UNSENT = sa.text("status = 'pending' OR status = 'sending'")


def _drop_all() -> None:
    for name in ("ix_outbox_due", "ix_outbox_queue", "ix_outbox_chat"):
        op.drop_index(name, table_name="outbox")


def upgrade() -> None:
    _drop_all()
    op.create_index(
        "ix_outbox_due", "outbox", ["next_attempt_at"], postgresql_where=_PENDING, sqlite_where=_PENDING
    )
    op.create_index(
        "ix_outbox_queue", "outbox", ["priority", "id"], postgresql_where=_PENDING, sqlite_where=_PENDING
    )
    op.create_index(
        "ix_outbox_chat",
        "outbox",
        ["channel", "chat_id", "id"],
        postgresql_where=_UNSENT,
        sqlite_where=_UNSENT,
    )


def downgrade() -> None:
    _drop_all()
    op.create_index("ix_outbox_due", "outbox", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_queue", "outbox", ["status", "priority", "id"])
    op.create_index("ix_outbox_chat", "outbox", ["channel", "chat_id", "status"])
