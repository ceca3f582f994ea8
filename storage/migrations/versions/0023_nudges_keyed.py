"""the nudge ledger keyed by the nudge itself: its unique key becomes the primary key, and the serial
id, which nothing looked a row up by, goes (issue 22, goal 3: a sweep claims thousands of nudges at
once, and each row paid a second index entry and a sequence step for the id)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

KEY = ["ticket_number", "kind", "due_at", "level", "repeat", "recipient"]
LEADERSHIP = sa.text("level = 'leadership'")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # In place: no copy of the ledger, one index built (the one dropped held the same key).
        op.drop_constraint("nudges_pkey", "nudges", type_="primary")
        op.drop_column("nudges", "id")  # and its sequence, which the column owns
        op.drop_constraint("uq_nudges_key", "nudges", type_="unique")
        op.create_primary_key("nudges_pkey", "nudges", KEY)
        return
    # SQLite cannot drop a primary key: the table is rebuilt. The partial index is dropped first
    # and made again as 0011 made it, WHERE included, rather than left to the rebuild's reflection.
    op.drop_index("ix_nudges_leadership", table_name="nudges")
    with op.batch_alter_table("nudges", recreate="always") as batch_op:
        batch_op.drop_constraint("uq_nudges_key", type_="unique")
        batch_op.drop_column("id")
        batch_op.create_primary_key("nudges_pkey", KEY)
    _leadership_index()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("nudges_pkey", "nudges", type_="primary")
        op.create_unique_constraint("uq_nudges_key", "nudges", KEY)
        op.execute("ALTER TABLE nudges ADD COLUMN id SERIAL PRIMARY KEY")
        return
    op.drop_index("ix_nudges_leadership", table_name="nudges")
    op.rename_table("nudges", "nudges_keyed")
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
        sa.UniqueConstraint(*KEY, name="uq_nudges_key"),
    )
    columns = ", ".join([*KEY, "claimed_at"])
    op.execute(f"INSERT INTO nudges ({columns}) SELECT {columns} FROM nudges_keyed")
    op.drop_table("nudges_keyed")
    _leadership_index()


def _leadership_index() -> None:
    op.create_index(
        "ix_nudges_leadership",
        "nudges",
        ["ticket_number"],
        unique=False,
        postgresql_where=LEADERSHIP,
        sqlite_where=LEADERSHIP,
    )
