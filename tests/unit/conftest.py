"""Unit tests make handler worlds (tests/world.py) on fresh SQLite databases: every test here may,
and the databases it made are disposed of when it ends."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_databases(fresh_databases: object) -> None:
    """Open `fresh_storage()` (tests/databases.py) for every unit test."""
