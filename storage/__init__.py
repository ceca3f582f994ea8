"""Persistence: SQLModel tables, async repositories behind protocols, engine and migrations."""
