"""web console: sign-in links and sessions (hashed), the console's audit of views and refusals,
and two indexes of open tickets for the board (by resolve deadline; its counts)

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-05

Numbered 0018 to leave room for the migrations of issues 14 to 17 being written beside it; the
merge re-chains `down_revision` onto whichever of them lands last.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0016"
branch_labels = None
depends_on = None

_OPEN_TICKETS = sa.text("status <> 'closed'")  # as storage/tables.py writes it (rules_sql.OPEN)


def upgrade() -> None:
    op.create_table(
        "web_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("officer_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_web_tokens_officer_id", "web_tokens", ["officer_id"])
    op.create_table(
        "web_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("officer_id", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_web_audit_ticket_id", "web_audit", ["ticket_id"])
    op.create_index(
        "ix_tickets_open_deadline",
        "tickets",
        ["resolve_by", "id"],
        postgresql_where=_OPEN_TICKETS,
        sqlite_where=_OPEN_TICKETS,
    )
    op.create_index(
        "ix_tickets_open_board",
        "tickets",
        [
            "department_id",
            "status",
            "confidential",
            "assignee_id",
            "urgent",
            "category",
            "resolve_by",
            "paused_at",
        ],
        postgresql_where=_OPEN_TICKETS,
        sqlite_where=_OPEN_TICKETS,
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_open_board", table_name="tickets")
    op.drop_index("ix_tickets_open_deadline", table_name="tickets")
    op.drop_index("ix_web_audit_ticket_id", table_name="web_audit")
    op.drop_table("web_audit")
    op.drop_index("ix_web_tokens_officer_id", table_name="web_tokens")
    op.drop_table("web_tokens")
