"""The one interface every NLU backend implements."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

Lang = Literal["zh", "en"]
ENTITY_KEYS = ("uscc", "uscc_invalid", "phone", "amount_yuan", "ticket_ref", "company")


@dataclass(frozen=True, slots=True)
class Span:
    """An entity found in a message: its key, normalised value and where it stood."""

    key: str
    value: object
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Parse:
    text: str
    lang: Lang
    intent: str
    confidence: float
    intent_ranking: tuple[tuple[str, float], ...]
    category: str | None
    category_confidence: float
    urgent: bool
    entities: Mapping[str, object] = field(default_factory=dict)


class NluBackend(Protocol):
    """Asynchronous because a backend may be a server (Rasa); the builtin one answers at once."""

    async def parse(self, text: str) -> Parse: ...


class NluUnavailable(Exception):
    """The backend could not answer (a Rasa server down, say); the message itself is kept."""
