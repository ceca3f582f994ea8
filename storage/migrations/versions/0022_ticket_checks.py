"""the reminder sweep's check times move from tickets to a narrow table of their own, ticket_checks
(issue 22: moving a check rewrote the whole ticket and an entry in each of its indexes); send_slots,
a bot's overall send rate shared by the processes sending for it (issue 22, goal 4)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

OPEN_TICKETS = sa.text("status <> 'closed'")
CHECK_PENDING = sa.text("next_check_at IS NOT NULL")


def upgrade() -> None:
    op.create_table(
        "ticket_checks",
        sa.Column("ticket_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("ticket_version", sa.Integer(), nullable=False),
        sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"]),
        sa.PrimaryKeyConstraint("ticket_id"),
    )
    # A closed ticket is never looked at (the old index left it out), so its check is NULL.
    op.execute(
        "INSERT INTO ticket_checks (ticket_id, ticket_version, next_check_at)"
        " SELECT id, version, CASE WHEN status <> 'closed' THEN next_check_at END FROM tickets"
    )
    op.create_index(
        "ix_ticket_checks_due",
        "ticket_checks",
        ["next_check_at", "ticket_id"],
        unique=False,
        postgresql_where=CHECK_PENDING,
        sqlite_where=CHECK_PENDING,
    )
    op.create_table(
        "send_slots",
        sa.Column("bot", sa.String(length=64), nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("bot"),
    )
    op.drop_index("ix_tickets_next_check", table_name="tickets")
    # ALTER TABLE … DROP COLUMN, not batch mode: on SQLite `tickets` carries the FTS5 triggers of
    # 0014, which a batch rebuild (copy, drop, rename) would drop with the old table.
    op.drop_column("tickets", "next_check_at")


def downgrade() -> None:
    op.drop_table("send_slots")
    op.add_column("tickets", sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE tickets SET next_check_at ="
        " (SELECT next_check_at FROM ticket_checks WHERE ticket_checks.ticket_id = tickets.id)"
    )
    op.create_index(
        "ix_tickets_next_check",
        "tickets",
        ["next_check_at", "id"],
        unique=False,
        postgresql_where=OPEN_TICKETS,
        sqlite_where=OPEN_TICKETS,
    )
    op.drop_index("ix_ticket_checks_due", table_name="ticket_checks")
    op.drop_table("ticket_checks")
