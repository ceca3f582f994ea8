"""one delivery path: the inbox of updates waiting to be handled (it also recognises a second
delivery of an update, so the processed_updates ledger goes), and the outbox carrying everything
the bot says (replies, post edits, attachments) besides policy notices

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.drop_table("processed_updates")
    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("delivery_id", sa.String(length=64), nullable=True),
        sa.Column("conversation", sa.String(length=160), nullable=False),
        sa.Column("inbound", sa.JSON(), nullable=False),
        _at("received_at"),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        _at("retry_at", nullable=True),
        _at("handled_at", nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "delivery_id", name="uq_inbox_delivery"),
    )
    op.create_index("ix_inbox_waiting", "inbox", ["done", "conversation", "id"], unique=False)
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("ticket", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("post", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("thread_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("edit_of", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("more_ids", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("attachment_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("attachment_kind", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("attachment", sa.LargeBinary(), nullable=True))
        batch_op.create_index("ix_outbox_chat", ["channel", "chat_id", "status"], unique=False)
    # notices and policy reminders waiting from before keep going after conversations' answers
    op.execute("UPDATE outbox SET priority = 1 WHERE kind IN ('notice', 'reminder')")


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_chat")
        for column in (
            "attachment",
            "attachment_kind",
            "attachment_name",
            "more_ids",
            "edit_of",
            "thread_id",
            "post",
            "ticket",
            "priority",
        ):
            batch_op.drop_column(column)
    op.drop_index("ix_inbox_waiting", table_name="inbox")
    op.drop_table("inbox")
    op.create_table(
        "processed_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("update_id", sa.String(length=64), nullable=False),
        _at("received_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "update_id", name="uq_processed_updates"),
    )
