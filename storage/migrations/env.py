"""Alembic environment. Migrations always run on a connection handed over by `storage.migrate`
(one transaction: a failed upgrade leaves the schema as it was)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import storage.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.search_sql import outside_search

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `xiaoer db upgrade`, which hands alembic a connection")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
    include_name=outside_search,  # the text search's own tables and indexes (migration 0014)
)
with context.begin_transaction():
    context.run_migrations()
