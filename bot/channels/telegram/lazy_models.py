"""aiogram's Telegram types, built when first used instead of all at import.

aiogram declares its 400 types and 190 API methods as pydantic models with `defer_build`, then
rebuilds every one of them at import (with the namespace that resolves their forward
references): 148 MiB of validators and serializers, most for types a hotline bot never sees
(payments, stickers, business accounts, games). That was 60% of `xiaoer run`'s idle memory
(benchmarks/RESULTS.md; aiogram issue 1513). Installed before aiogram is imported, this keeps
the namespace aiogram passes and lets pydantic build a model, with that namespace, the first time
it validates or serialises one: the same model, built later.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

# The names aiogram resolves its types' forward references with (one dict, the same for all):
# the API methods, never rebuilt by aiogram, need it too once the types they name are lazy.
_aiogram_names: dict[str, Any] = {}
_real_rebuild = BaseModel.model_rebuild.__func__  # type: ignore[attr-defined]


def _rebuild(
    cls: type[BaseModel],
    *,
    force: bool = False,
    raise_errors: bool = True,
    _parent_namespace_depth: int = 2,
    _types_namespace: Any = None,
) -> bool | None:
    if cls.__module__.startswith("aiogram."):
        if _types_namespace is not None and not force and not cls.__pydantic_complete__:
            _aiogram_names.update(_types_namespace)  # aiogram's import-time rebuild: later
            return None
        if _types_namespace is None and _aiogram_names:  # pydantic's first use: with aiogram's names
            _types_namespace = _aiogram_names
    result: bool | None = _real_rebuild(
        cls,
        force=force,
        raise_errors=raise_errors,
        _parent_namespace_depth=_parent_namespace_depth + 1,
        _types_namespace=_types_namespace,
    )
    return result


def install() -> None:
    """Idempotent; only aiogram's classes are affected (every other model rebuilds as before)."""
    if BaseModel.model_rebuild.__func__ is not _rebuild:  # type: ignore[attr-defined]
        BaseModel.model_rebuild = classmethod(_rebuild)  # type: ignore[method-assign,assignment]
