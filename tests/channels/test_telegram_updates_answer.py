"""The model aiogram reads getUpdates answers with is built once per process: pydantic's cache of
parametrised generic models holds them weakly, so without the channel holding it a full garbage
collection freed it and the next answer built its validator again (~110 ms of CPU, benchmarks/RESULTS.md)."""

from __future__ import annotations

import gc
import weakref

from aiogram.methods import GetUpdates
from aiogram.methods.base import Response

import bot.channels.telegram.adapter  # noqa: F401  (holds the model, as `xiaoer run` imports it)


def read_answer() -> None:
    """As aiogram reads one (client/session/base.py, check_response): parametrised in a function."""
    assert Response[GetUpdates.__returning__].model_validate({"ok": True, "result": []}).ok


def test_the_model_a_getupdates_answer_is_read_with_outlives_a_full_collection() -> None:
    read_answer()
    model = weakref.ref(Response[GetUpdates.__returning__])
    gc.collect()
    assert model() is not None, "freed: the next answer would build its validator again"
    read_answer()
    assert Response[GetUpdates.__returning__] is model()
