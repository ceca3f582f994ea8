"""An existing Rasa assistant as the NLU backend: `POST /model/parse`, mapped onto our labels.

Rasa names intents; Xiaoer's labels come from `intent_map` (identity by default). A category
comes from an entity named `category` or from an intent written `report_demand/finance` (Rasa's
retrieval-intent spelling); a ticket intent without one is `other`. Entities are always read by our
own rules too, so their values are normalised the same way whatever the Rasa model extracts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp

from bot.domain.categories import CATEGORIES, INTENTS
from nlu.entities import extract
from nlu.lang import detect_lang
from nlu.types import ENTITY_KEYS, NluUnavailable, Parse
from nlu.urgency import is_urgent

TICKET_INTENTS = frozenset({"report_demand", "policy_inquiry"})


class RasaNlu:
    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        timeout: float = 5.0,
        intent_map: Mapping[str, str] | None = None,
    ) -> None:
        self.endpoint = url.rstrip("/") + "/model/parse"
        self.token = token
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.intent_map = dict(intent_map or {})
        self._session: aiohttp.ClientSession | None = None

    async def parse(self, text: str) -> Parse:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        params = {"token": self.token} if self.token else None
        try:
            async with self._session.post(self.endpoint, json={"text": text}, params=params) as response:
                if response.status != 200:
                    body = (await response.text())[:200]
                    raise NluUnavailable(f"Rasa answered {response.status}: {body}")
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise NluUnavailable(f"Rasa at {self.endpoint}: {type(exc).__name__}: {exc}") from exc
        try:
            return self.to_parse(text, answer)
        except (AttributeError, TypeError, ValueError, KeyError) as exc:
            raise NluUnavailable(f"Rasa at {self.endpoint} answered something unexpected: {exc}") from exc

    def to_parse(self, text: str, answer: dict[str, Any]) -> Parse:
        if not isinstance(answer, dict):
            raise TypeError(f"expected a JSON object, got {type(answer).__name__}")
        intent_field = answer.get("intent") or {}
        if not isinstance(intent_field, dict):
            raise TypeError("'intent' is not an object")
        intent, category = self._label(str(intent_field.get("name") or ""))
        confidence = float(intent_field.get("confidence") or 0.0)
        ranking: list[tuple[str, float]] = []
        for entry in answer.get("intent_ranking") or [
            {"name": intent_field.get("name"), "confidence": confidence}
        ]:
            label, _ = self._label(str(entry.get("name") or ""))
            if label not in (name for name, _ in ranking):
                ranking.append((label, float(entry.get("confidence") or 0.0)))
        entities, _ = extract(text)
        for entity in answer.get("entities") or []:
            name, value = entity.get("entity"), entity.get("value")
            if name == "category" and value in CATEGORIES and intent in TICKET_INTENTS:
                category = str(value)
            elif name in ENTITY_KEYS and name not in entities and value is not None:
                if name in ("amount_yuan", "ticket_ref") and isinstance(value, int | float):
                    entities[name] = int(value)  # already a number: nothing to read
                    continue
                normalised, _ = extract(str(value))
                found = normalised.get(name, value if name == "company" else None)
                if found is not None:
                    entities[name] = found
        if intent in TICKET_INTENTS and category is None:
            category = "other"
        return Parse(
            text=text,
            lang=detect_lang(text),
            intent=intent,
            confidence=confidence,
            intent_ranking=tuple(ranking),
            category=category if intent in TICKET_INTENTS else None,
            category_confidence=confidence if category else 0.0,
            urgent=is_urgent(text),
            entities=entities,
        )

    def _label(self, rasa_name: str) -> tuple[str, str | None]:
        mapped = self.intent_map.get(rasa_name, rasa_name)
        base, _, suffix = mapped.partition("/")
        intent = base if base in INTENTS else "out_of_scope"
        category = suffix if suffix in CATEGORIES else None
        return intent, category

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
