"""the organisation in the database: departments carry their language, their officer group chats
by channel and which of them make a topic per ticket, and whether they are active; officers their
identities by channel; enterprises the key-support flag (and an index on the liaison officer);
org_changes, the audit log of every change to the organisation (its newest id is the version
running processes poll)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05

Plain ADD COLUMN, not batch mode: `enterprises` carries the FTS5 triggers of 0014, which a batch
rebuild (copy, drop, rename) would drop with the old table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "departments", sa.Column("lang", sa.String(length=10), nullable=False, server_default="zh-CN")
    )
    op.add_column("departments", sa.Column("chats", sa.JSON(), nullable=False, server_default="{}"))
    op.add_column("departments", sa.Column("topics", sa.JSON(), nullable=False, server_default="[]"))
    op.add_column("departments", sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.add_column("officers", sa.Column("identities", sa.JSON(), nullable=False, server_default="{}"))
    op.add_column(
        "enterprises", sa.Column("key_support", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.create_index("ix_enterprises_liaison_officer_id", "enterprises", ["liaison_officer_id"])
    op.create_table(
        "org_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("org_changes")
    op.drop_index("ix_enterprises_liaison_officer_id", table_name="enterprises")
    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.drop_column("identities")
    with op.batch_alter_table("departments", schema=None) as batch_op:
        for column in ("active", "topics", "chats", "lang"):
            batch_op.drop_column(column)
    op.drop_column("enterprises", "key_support")  # ALTER TABLE … DROP COLUMN: no rebuild, triggers kept
