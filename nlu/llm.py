"""A language model behind an OpenAI-compatible endpoint as the NLU backend (`nlu.backend: llm`),
for centres that run one on their premises (Qwen, DeepSeek … under vLLM, Ollama, LM Studio).

The model is asked for the labels only, as structured output (`response_format` with a JSON
schema), and its answer is checked against Xiaoer's labels. Entities and urgency are always read by
our own rules, so their values are normalised the same way whatever backend runs. When the
endpoint is slow (past `timeout`), down, or answers something that is not a valid reading, the
builtin model answers instead: the model is never required.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp

from bot.domain.categories import CATEGORIES, INTENTS
from nlu.lang import detect_lang
from nlu.prepare import MAX_CHARS, rule_entities
from nlu.types import NluBackend, Parse
from nlu.urgency import is_urgent

log = logging.getLogger(__name__)

TICKET_INTENTS = frozenset({"report_demand", "policy_inquiry"})

SYSTEM_PROMPT = f"""\
You classify messages that companies send to a Chinese government enterprise-service hotline.
Answer with JSON only: {{"intent": ..., "category": ..., "confidence": ...}}.
intent, one of: {", ".join(INTENTS)}.
  report_demand: a difficulty, or a request that the government help or coordinate on a matter.
  policy_inquiry: asks which policies, subsidies or incentives exist, who is eligible, how to apply.
  query_status: asks about progress of something already submitted. urge: presses for faster
  handling of something already submitted. feedback: judges handling (thanks, (dis)satisfied).
  cancel: withdraws a demand. greeting: hello, what can you do. human: asks for a person or a call.
  out_of_scope: anything else, including personal and family matters, adverts and chit-chat.
category, for report_demand and policy_inquiry only (else null), one of: {", ".join(CATEGORIES)}.
confidence: your probability that the intent is right, from 0 to 1.
The message may be Traditional or Simplified Chinese, English or mixed; a long letter is about
its request, not its greeting, thanks or background."""

RESPONSE_FORMAT: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {
        "name": "xiaoer_reading",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {
                "intent": {"type": "string", "enum": list(INTENTS)},
                "category": {"type": ["string", "null"], "enum": [*CATEGORIES, None]},
                "confidence": {"type": "number"},
            },
            "required": ["intent", "category", "confidence"],
            "additionalProperties": False,
        },
    },
}


class LlmAnswerError(ValueError):
    """The model answered, but not with a reading Xiaoer can use."""


class LlmNlu:
    def __init__(
        self,
        url: str,
        model: str,
        *,
        fallback: NluBackend,
        api_key: str | None = None,
        timeout: float = 3.0,
    ) -> None:
        self.endpoint = url.rstrip("/") + "/chat/completions"
        self.model = model
        self.fallback = fallback
        self.api_key = api_key
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def parse(self, text: str) -> Parse:
        try:
            answer = await self._ask(text[:MAX_CHARS])
            return reading_to_parse(text, answer)
        except (aiohttp.ClientError, TimeoutError, LlmAnswerError, ValueError) as exc:
            reason = f"{type(exc).__name__}: {exc}"
            log.warning("LLM NLU at %s: %s; the builtin model answers", self.endpoint, reason)
            return await self.fallback.parse(text)

    async def _ask(self, text: str) -> dict[str, Any]:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else None
        body = {
            "model": self.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": text},
            ],
            "response_format": RESPONSE_FORMAT,
        }
        async with self._session.post(self.endpoint, json=body, headers=headers) as response:
            if response.status != 200:
                raise LlmAnswerError(f"HTTP {response.status}: {(await response.text())[:200]}")
            completion = await response.json(content_type=None)
        try:
            content = completion["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise LlmAnswerError(f"not a chat completion: {exc!r}") from exc
        if not isinstance(content, str):
            raise LlmAnswerError("the completion has no text")
        return _json_object(content)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
        closer = getattr(self.fallback, "aclose", None)
        if closer is not None:
            await closer()


def _json_object(content: str) -> dict[str, Any]:
    """The JSON object in a completion; a model without structured output may wrap it in a
    Markdown fence or a sentence."""
    start, end = content.find("{"), content.rfind("}")
    if start < 0 or end < start:
        raise LlmAnswerError(f"no JSON object in {content[:80]!r}")
    try:
        document = json.loads(content[start : end + 1])
    except json.JSONDecodeError as exc:
        raise LlmAnswerError(f"not JSON: {exc.msg}") from exc
    if not isinstance(document, dict):
        raise LlmAnswerError("the JSON is not an object")
    return document


def reading_to_parse(text: str, answer: dict[str, Any]) -> Parse:
    """The model's labels, checked, with our own entities and urgency."""
    intent = answer.get("intent")
    if intent not in INTENTS:
        raise LlmAnswerError(f"unknown intent {intent!r}")
    named = answer.get("category")
    category = (str(named) if named in CATEGORIES else "other") if intent in TICKET_INTENTS else None
    confidence = answer.get("confidence", 0.0)
    if not isinstance(confidence, int | float) or isinstance(confidence, bool):
        raise LlmAnswerError(f"confidence {confidence!r} is not a number")
    confidence = round(min(1.0, max(0.0, float(confidence))), 4)
    capped, simple, entities = rule_entities(text)
    return Parse(
        text=text,
        lang=detect_lang(capped),
        intent=str(intent),
        confidence=confidence,
        intent_ranking=((str(intent), confidence),),
        category=category,
        category_confidence=confidence if category else 0.0,
        urgent=is_urgent(simple),
        entities=entities,
    )
