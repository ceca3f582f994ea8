"""The LLM backend against a fake OpenAI-compatible server on 127.0.0.1: structured output into the
same Parse, our own entities and urgency, and the builtin model answering whenever the endpoint is
slow, down or talks nonsense."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from bot.bootstrap import build_nlu
from bot.config import Settings
from nlu.llm import LlmNlu
from tests.fakes import FakeNlu, Understood


@dataclass
class FakeOpenAi:
    """Answers /v1/chat/completions with whatever `reply` says for the last user message."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[str | None] = field(default_factory=list)
    content: dict[str, str] = field(default_factory=dict)  # user text -> completion text
    delay: float = 0.0
    status: int = 200

    async def complete(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        self.headers.append(request.headers.get("Authorization"))
        await asyncio.sleep(self.delay)
        if self.status != 200:
            return web.json_response({"error": {"message": "overloaded"}}, status=self.status)
        text = body["messages"][-1]["content"]
        completion = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": self.content.get(text, "{}")},
                    "finish_reason": "stop",
                }
            ],
        }
        return web.json_response(completion)


@pytest.fixture
async def openai(unused_tcp_port: int) -> AsyncIterator[FakeOpenAi]:
    fake = FakeOpenAi(url=f"http://127.0.0.1:{unused_tcp_port}/v1")
    app = web.Application()
    app.router.add_post("/v1/chat/completions", fake.complete)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", unused_tcp_port).start()
    yield fake
    await runner.cleanup()


FALLBACK = FakeNlu({"工厂停电了": Understood("report_demand", "utilities", 0.88)})
DEMAND = "廈門鑫源精密機械有限公司急需貸款200萬，請聯繫 138 0000 1234"


def reading(intent: str, category: str | None, confidence: float) -> str:
    return json.dumps({"intent": intent, "category": category, "confidence": confidence})


async def test_the_model_labels_and_the_rules_read_entities(openai: FakeOpenAi) -> None:
    openai.content[DEMAND] = reading("report_demand", "finance", 0.93)
    backend = LlmNlu(openai.url, "qwen2.5-7b-instruct", fallback=FALLBACK, api_key="sk-local")
    try:
        parse = await backend.parse(DEMAND)
    finally:
        await backend.aclose()
    assert (parse.intent, parse.category, parse.confidence) == ("report_demand", "finance", 0.93)
    assert parse.entities == {
        "company": "廈門鑫源精密機械有限公司",
        "amount_yuan": 2000000,
        "phone": "13800001234",
    }
    assert parse.urgent  # 急需: the rules decide urgency, whatever the backend
    request = openai.requests[0]
    assert request["model"] == "qwen2.5-7b-instruct"
    assert request["response_format"]["type"] == "json_schema"
    assert request["messages"][-1] == {"role": "user", "content": DEMAND}
    assert openai.headers == ["Bearer sk-local"]


async def test_a_fenced_answer_and_labels_outside_ours(openai: FakeOpenAi) -> None:
    openai.content["hello"] = '```json\n{"intent": "greeting", "category": "finance", "confidence": 1.7}\n```'
    openai.content["贷款难"] = reading("policy_inquiry", "banking", 0.6)
    backend = LlmNlu(openai.url, "m", fallback=FALLBACK)
    try:
        hello = await backend.parse("hello")
        loan = await backend.parse("贷款难")
    finally:
        await backend.aclose()
    assert (hello.intent, hello.category, hello.confidence) == ("greeting", None, 1.0)
    assert (loan.intent, loan.category) == ("policy_inquiry", "other")
    assert openai.headers == [None, None]


@pytest.mark.parametrize(
    "answer",
    [
        "I think this is about electricity.",
        reading("complain", None, 0.9),
        json.dumps({"intent": "report_demand", "category": "utilities", "confidence": "high"}),
        "[1, 2]",
    ],
)
async def test_nonsense_from_the_model_falls_back_to_the_builtin(openai: FakeOpenAi, answer: str) -> None:
    openai.content["工厂停电了"] = answer
    backend = LlmNlu(openai.url, "m", fallback=FALLBACK)
    try:
        parse = await backend.parse("工厂停电了")
    finally:
        await backend.aclose()
    assert (parse.intent, parse.category, parse.confidence) == ("report_demand", "utilities", 0.88)


async def test_a_slow_or_failing_endpoint_falls_back(
    openai: FakeOpenAi, unused_tcp_port_factory: Any
) -> None:
    openai.content["工厂停电了"] = reading("greeting", None, 0.99)
    openai.delay = 2.0
    slow = LlmNlu(openai.url, "m", fallback=FALLBACK, timeout=0.2)
    down = LlmNlu(f"http://127.0.0.1:{unused_tcp_port_factory()}/v1", "m", fallback=FALLBACK, timeout=1)
    try:
        assert (await slow.parse("工厂停电了")).intent == "report_demand"
        assert (await down.parse("工厂停电了")).intent == "report_demand"
        openai.delay, openai.status = 0.0, 503
        assert (await slow.parse("工厂停电了")).category == "utilities"
    finally:
        await slow.aclose()
        await down.aclose()


def test_the_config_selects_the_llm_backend_with_the_builtin_behind_it(settings: Settings) -> None:
    llm = settings.nlu.llm.model_copy(
        update={"url": "http://127.0.0.1:9/v1", "model": "deepseek-v3", "timeout_seconds": 1.5}
    )
    configured = settings.model_copy(
        update={"nlu": settings.nlu.model_copy(update={"backend": "llm", "llm": llm})}
    )
    backend = build_nlu(configured)
    assert isinstance(backend, LlmNlu)
    assert (backend.endpoint, backend.model) == ("http://127.0.0.1:9/v1/chat/completions", "deepseek-v3")
    assert type(backend.fallback).__name__ == "BuiltinNlu"
