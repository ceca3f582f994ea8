"""working-time deadlines and reminders: tickets' sign-for deadline and next check time (indexed
for the sweep), and the ledger of nudges sent

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

OPEN_TICKETS = sa.text("status <> 'closed'")
LEADERSHIP = sa.text("level = 'leadership'")


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sign_by", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=True))
    # Tickets from before keep their first-contact deadline as the sign-for one, and are all
    # looked at by the first sweep.
    op.execute("UPDATE tickets SET sign_by = respond_by, next_check_at = updated_at")
    op.create_index(
        "ix_tickets_next_check",
        "tickets",
        ["next_check_at", "id"],
        unique=False,
        postgresql_where=OPEN_TICKETS,
        sqlite_where=OPEN_TICKETS,
    )
    op.create_table(
        "nudges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("repeat", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=64), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "ticket_number", "kind", "due_at", "level", "repeat", "recipient", name="uq_nudges_key"
        ),
    )
    op.create_index(
        "ix_nudges_leadership",
        "nudges",
        ["ticket_number"],
        unique=False,
        postgresql_where=LEADERSHIP,
        sqlite_where=LEADERSHIP,
    )


def downgrade() -> None:
    op.drop_index("ix_nudges_leadership", table_name="nudges")
    op.drop_table("nudges")
    op.drop_index("ix_tickets_next_check", table_name="tickets")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("next_check_at")
        batch_op.drop_column("sign_by")
