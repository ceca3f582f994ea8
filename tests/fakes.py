"""Fakes for handler tests: an NLU that answers from a table, so tests say what it understood."""

from __future__ import annotations

from dataclasses import dataclass, field

from nlu.entities import extract
from nlu.lang import detect_lang
from nlu.types import NluUnavailable, Parse
from nlu.urgency import is_urgent


@dataclass(frozen=True)
class Understood:
    intent: str
    category: str | None = None
    confidence: float = 0.95
    ranking: tuple[tuple[str, float], ...] = ()


@dataclass
class FakeNlu:
    """Known texts get their table entry; any other text is a confident demand about `other`.
    Entities and urgency come from the real rules (they are deterministic)."""

    table: dict[str, Understood] = field(default_factory=dict)
    down: bool = False

    async def parse(self, text: str) -> Parse:
        if self.down:
            raise NluUnavailable("fake backend is down")
        understood = self.table.get(text, Understood("report_demand", "other"))
        entities, _ = extract(text)
        return Parse(
            text=text,
            lang=detect_lang(text),
            intent=understood.intent,
            confidence=understood.confidence,
            intent_ranking=understood.ranking or ((understood.intent, understood.confidence),),
            category=understood.category,
            category_confidence=0.9 if understood.category else 0.0,
            urgent=is_urgent(text),
            entities=entities,
        )
