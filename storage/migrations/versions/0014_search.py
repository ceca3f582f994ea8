"""search and onboarding: the databases' own text search over enterprises and tickets (SQLite
FTS5 with the trigram tokenizer, kept by triggers; PostgreSQL pg_trgm GIN indexes), a phone number
on contacts and on the invites made for them (binding by the number a platform shares)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-10

The SQLite triggers belong to their tables: a later migration that rebuilds `enterprises` or
`tickets` in batch mode (copy, drop, rename) drops them with the old table, and must create them
again (`create_sqlite_search`) and rebuild the index. tests/contract/test_search.py notices.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# Enterprises have a text key: the index is keyed by their rowid, which nothing here rewrites
# (VACUUM may renumber the rowids of such a table: `INSERT INTO enterprise_search(enterprise_search)
# VALUES('rebuild')` then re-reads them all).
_ENTERPRISE_COLUMNS = "id, name, uscc"
_SQLITE = [
    f"CREATE VIRTUAL TABLE enterprise_search USING fts5({_ENTERPRISE_COLUMNS}, "
    "content='enterprises', tokenize='trigram')",
    "CREATE VIRTUAL TABLE ticket_search USING fts5(text, content='tickets', content_rowid='id', "
    "tokenize='trigram')",
    f"""CREATE TRIGGER enterprise_search_insert AFTER INSERT ON enterprises BEGIN
        INSERT INTO enterprise_search(rowid, {_ENTERPRISE_COLUMNS})
        VALUES (new.rowid, new.id, new.name, new.uscc);
    END""",
    f"""CREATE TRIGGER enterprise_search_delete AFTER DELETE ON enterprises BEGIN
        INSERT INTO enterprise_search(enterprise_search, rowid, {_ENTERPRISE_COLUMNS})
        VALUES ('delete', old.rowid, old.id, old.name, old.uscc);
    END""",
    f"""CREATE TRIGGER enterprise_search_update AFTER UPDATE OF id, name, uscc ON enterprises BEGIN
        INSERT INTO enterprise_search(enterprise_search, rowid, {_ENTERPRISE_COLUMNS})
        VALUES ('delete', old.rowid, old.id, old.name, old.uscc);
        INSERT INTO enterprise_search(rowid, {_ENTERPRISE_COLUMNS})
        VALUES (new.rowid, new.id, new.name, new.uscc);
    END""",
    """CREATE TRIGGER ticket_search_insert AFTER INSERT ON tickets BEGIN
        INSERT INTO ticket_search(rowid, text) VALUES (new.id, new.text);
    END""",
    """CREATE TRIGGER ticket_search_delete AFTER DELETE ON tickets BEGIN
        INSERT INTO ticket_search(ticket_search, rowid, text) VALUES ('delete', old.id, old.text);
    END""",
    # Every write of a ticket sets all its columns: only a text that changed is indexed again.
    """CREATE TRIGGER ticket_search_update AFTER UPDATE OF text ON tickets
        WHEN old.text IS NOT new.text BEGIN
        INSERT INTO ticket_search(ticket_search, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO ticket_search(rowid, text) VALUES (new.id, new.text);
    END""",
    "INSERT INTO enterprise_search(enterprise_search) VALUES ('rebuild')",
    "INSERT INTO ticket_search(ticket_search) VALUES ('rebuild')",
]
_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS ticket_search_update",
    "DROP TRIGGER IF EXISTS ticket_search_delete",
    "DROP TRIGGER IF EXISTS ticket_search_insert",
    "DROP TRIGGER IF EXISTS enterprise_search_update",
    "DROP TRIGGER IF EXISTS enterprise_search_delete",
    "DROP TRIGGER IF EXISTS enterprise_search_insert",
    "DROP TABLE IF EXISTS ticket_search",
    "DROP TABLE IF EXISTS enterprise_search",
]
# The GIN indexes serve `ILIKE '%…%'` (built-in operators), so queries need nothing of pg_trgm on
# their search path; the operator classes are named with the schema the extension lives in.
_PG_INDEXES = {
    "ix_enterprises_name_trgm": ("enterprises", "name"),
    "ix_enterprises_uscc_trgm": ("enterprises", "uscc"),
    "ix_tickets_text_trgm": ("tickets", "text"),
}


def create_sqlite_search() -> None:
    for statement in _SQLITE:
        op.execute(statement)


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=20), nullable=True))
        batch_op.create_index("ix_contacts_phone", ["phone"], unique=False)
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("phone", sa.String(length=20), nullable=True))
        batch_op.create_index("ix_invites_phone", ["phone"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        create_sqlite_search()
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it. It goes
    # to `public`, shared by every schema of the database, once.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
    schema = (
        op.get_bind()
        .exec_driver_sql(
            "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'"
        )
        .scalar_one()
    )
    for name, (table, column) in _PG_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON {table} USING gin ({column} {schema}.gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE_DROP:
            op.execute(statement)
    else:
        for name in _PG_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.drop_index("ix_invites_phone")
        batch_op.drop_column("phone")
        batch_op.drop_column("contact_name")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_phone")
        batch_op.drop_column("phone")
