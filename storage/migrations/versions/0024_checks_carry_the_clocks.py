"""ticket_checks carries what the reminder sweep's ladder reads of a ticket (its state, owners and
clocks), kept by the same upsert that writes the check (issue 22, goal 3: the sweep read each due
ticket through a tickets_pkey probe and a random page of the wide tickets table)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

CHECK_PENDING = sa.text("next_check_at IS NOT NULL")

# (name, type, nullable once filled): as on tickets
COPIED = (
    ("status", sa.String(length=20), False),
    ("department_id", sa.String(length=64), True),
    ("assignee_id", sa.String(length=64), True),
    ("created_at", sa.DateTime(timezone=True), False),
    ("sign_by", sa.DateTime(timezone=True), True),
    ("respond_by", sa.DateTime(timezone=True), False),
    ("resolve_by", sa.DateTime(timezone=True), False),
    ("signed_at", sa.DateTime(timezone=True), True),
    ("first_contact_at", sa.DateTime(timezone=True), True),
    ("paused_at", sa.DateTime(timezone=True), True),
)


def upgrade() -> None:
    for name, type_, _ in COPIED:
        op.add_column("ticket_checks", sa.Column(name, type_, nullable=True))
    names = [name for name, _, _ in COPIED]
    # Every ticket has its row since 0022 (SqlTickets.add writes it); one written without one (by
    # hand) gets its row at its next write, by the upsert, as before.
    op.execute(
        "UPDATE ticket_checks SET "
        + ", ".join(f"{name} = tickets.{name}" for name in names)
        + " FROM tickets WHERE tickets.id = ticket_checks.ticket_id"
    )
    if op.get_bind().dialect.name == "postgresql":
        for name, _, nullable in COPIED:
            if not nullable:
                op.alter_column("ticket_checks", name, nullable=False)
        # The due index holds what the sweep reads: a page of due tickets is an index-only scan.
        op.drop_index("ix_ticket_checks_due", table_name="ticket_checks")
        _due_index(include=["ticket_version", *(name for name, _, _ in COPIED)])
        return
    # SQLite cannot make a column NOT NULL in place: the table is rebuilt. The partial index is
    # dropped first and made again as 0022 made it, WHERE included, not left to reflection.
    op.drop_index("ix_ticket_checks_due", table_name="ticket_checks")
    with op.batch_alter_table("ticket_checks", recreate="always") as batch_op:
        for name, type_, nullable in COPIED:
            if not nullable:
                batch_op.alter_column(name, existing_type=type_, nullable=False)
    _due_index()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_ticket_checks_due", table_name="ticket_checks")
        _due_index()
    # ALTER TABLE … DROP COLUMN on both (no copied column is indexed now, nor constrained but NOT NULL)
    for name, _, _ in reversed(COPIED):
        op.drop_column("ticket_checks", name)


def _due_index(include: list[str] | None = None) -> None:
    op.create_index(
        "ix_ticket_checks_due",
        "ticket_checks",
        ["next_check_at", "ticket_id"],
        unique=False,
        postgresql_where=CHECK_PENDING,
        postgresql_include=include or [],
        sqlite_where=CHECK_PENDING,
    )
