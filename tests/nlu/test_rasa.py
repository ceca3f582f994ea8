"""The Rasa backend against a local stub that answers in Rasa's documented /model/parse format."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from nlu.rasa import RasaNlu
from nlu.types import NluUnavailable

Answer = dict[str, Any]


def rasa_answer(text: str) -> Answer:
    """The shape Rasa documents for POST /model/parse."""
    if "贷款" in text:
        return {
            "text": text,
            "intent": {"name": "ask_help/finance", "confidence": 0.91},
            "intent_ranking": [
                {"name": "ask_help/finance", "confidence": 0.91},
                {"name": "policy_inquiry", "confidence": 0.06},
            ],
            "entities": [
                {
                    "entity": "phone",
                    "value": "138 0000 1234",
                    "start": 20,
                    "end": 33,
                    "confidence_entity": 0.9,
                    "extractor": "DIETClassifier",
                },
            ],
        }
    return {
        "text": text,
        "intent": {"name": "greet", "confidence": 0.8},
        "entities": [],
        "intent_ranking": [],
    }


@pytest.fixture
async def rasa_stub(unused_tcp_port: int) -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    async def parse(request: web.Request) -> web.Response:
        if request.query.get("token") != "sekret":
            return web.json_response({"status": "failure", "reason": "NotAuthenticated"}, status=401)
        body = await request.json()
        seen.append(body)
        if body["text"] == "boom":
            return web.json_response({"status": "failure"}, status=500)
        return web.json_response(rasa_answer(body["text"]))

    app = web.Application()
    app.router.add_post("/model/parse", parse)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", unused_tcp_port)
    await site.start()
    yield f"http://127.0.0.1:{unused_tcp_port}", seen
    await runner.cleanup()


async def test_rasa_intents_and_entities_map_onto_ours(rasa_stub: tuple[str, list[dict[str, Any]]]) -> None:
    url, seen = rasa_stub
    backend = RasaNlu(
        url, token="sekret", intent_map={"ask_help/finance": "report_demand/finance", "greet": "greeting"}
    )
    try:
        demand = await backend.parse("急需贷款200万，请联系 138 0000 1234")
        hello = await backend.parse("hi there")
    finally:
        await backend.aclose()
    assert seen[0] == {"text": "急需贷款200万，请联系 138 0000 1234"}
    assert (demand.intent, demand.category, demand.confidence) == ("report_demand", "finance", 0.91)
    assert demand.intent_ranking[:2] == (("report_demand", 0.91), ("policy_inquiry", 0.06))
    assert demand.entities == {"amount_yuan": 2000000, "phone": "13800001234"}
    assert demand.urgent
    assert (hello.intent, hello.category) == ("greeting", None)


async def test_unknown_intents_are_out_of_scope(rasa_stub: tuple[str, list[dict[str, Any]]]) -> None:
    url, _ = rasa_stub
    backend = RasaNlu(url, token="sekret")
    try:
        parse = await backend.parse("hello")
    finally:
        await backend.aclose()
    assert parse.intent == "out_of_scope"  # "greet" is not one of our labels and was not mapped


async def test_failures_raise_nlu_unavailable(
    rasa_stub: tuple[str, list[dict[str, Any]]], unused_tcp_port_factory: Any
) -> None:
    url, _ = rasa_stub
    for backend, text in (
        (RasaNlu(url, token="sekret"), "boom"),
        (RasaNlu(url, token="wrong"), "hi"),
        (RasaNlu(f"http://127.0.0.1:{unused_tcp_port_factory()}", timeout=2), "hi"),
    ):
        try:
            with pytest.raises(NluUnavailable):
                await backend.parse(text)
        finally:
            await backend.aclose()


async def test_malformed_answers_are_reported_as_unavailable(unused_tcp_port: int) -> None:
    answers: list[Any] = [
        [1, 2],
        None,
        {"intent": "greet"},
        {"intent": {"name": "greet", "confidence": "high"}},
    ]

    async def parse(request: web.Request) -> web.Response:
        return web.json_response(answers.pop(0))

    app = web.Application()
    app.router.add_post("/model/parse", parse)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", unused_tcp_port).start()
    backend = RasaNlu(f"http://127.0.0.1:{unused_tcp_port}")
    try:
        for _ in range(4):
            with pytest.raises(NluUnavailable):
                await backend.parse("hi")
    finally:
        await backend.aclose()
        await runner.cleanup()
