"""tickets: ix_tickets_open_category (category, id) over the open tickets, for a new demand's
shared-problem check, which reads its category's newest open tickets

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

_OPEN = sa.text("status <> 'closed'")


def upgrade() -> None:
    op.create_index(
        "ix_tickets_open_category",
        "tickets",
        ["category", "id"],
        postgresql_where=_OPEN,
        sqlite_where=_OPEN,
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_open_category", table_name="tickets")
