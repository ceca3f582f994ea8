"""Every stage benchmarks/intake_stages.py counts names functions that exist: a stage whose
function was renamed or moved would fail only after minutes under valgrind."""

from __future__ import annotations

import importlib

import pytest

from benchmarks.intake_stages import STAGES


@pytest.mark.parametrize("where", sorted({w for stage in STAGES for w in stage.wrapped}))
def test_each_wrapped_function_is_found(where: str) -> None:
    module_name, _, path = where.partition(":")
    owner = importlib.import_module(module_name)
    for part in path.split("."):
        owner = getattr(owner, part)
    assert callable(owner)
