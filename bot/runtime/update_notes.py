"""What the log line of one update says beyond what its handlers return: the intent the NLU found.

Handlers return replies and nothing else (they know no logging of the runtime's); the runtime
wraps the NLU backend, and the wrapper notes the intent on the notes of the update being handled
in this task, and times the parse for `/metrics`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from prometheus_client import Histogram

from nlu.types import NluBackend, Parse


@dataclass
class UpdateNotes:
    intent: str | None = None


_current: ContextVar[UpdateNotes | None] = ContextVar("_update_notes", default=None)


@contextmanager
def noting() -> Iterator[UpdateNotes]:
    """Notes for the update handled inside this block (in this task)."""
    notes = UpdateNotes()
    token = _current.set(notes)
    try:
        yield notes
    finally:
        _current.reset(token)


class MeasuredNlu:
    """The configured backend, timed, its intent noted on the update being handled."""

    def __init__(self, inner: NluBackend, seconds: Histogram) -> None:
        self.inner, self.seconds = inner, seconds

    async def parse(self, text: str) -> Parse:
        start = time.perf_counter()
        try:
            parse = await self.inner.parse(text)
        finally:
            self.seconds.observe(time.perf_counter() - start)
        notes = _current.get()
        if notes is not None and notes.intent is None:  # the message's own, not a later re-parse
            notes.intent = parse.intent
        return parse
