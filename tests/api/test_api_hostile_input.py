"""What a careless or hostile API client sends that no route expects: a charset nobody knows, a
lone surrogate, a NUL in an id, a path or a query. Each was a plain-text 500 (SQLite could not
encode the surrogate; PostgreSQL refuses a NUL in any query); each is now a clear JSON 4xx, or,
in free text, the character left out as a chat message's is. Every answer is checked against
the OpenAPI document (`Api.call`)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import migrate
from storage.engine import create_engine
from tests.api.harness import Api, conforms, running_api
from tests.world import DEMAND


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async with running_api(tmp_path) as running:
        yield running


@pytest.fixture
async def api_on_postgres(tmp_path: Path, postgres_database: str) -> AsyncIterator[Api]:
    engine = create_engine(postgres_database)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    async with running_api(tmp_path, database_url=postgres_database) as running:
        yield running


async def _post_raw(api: Api, path: str, token: str, data: bytes, content_type: str) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type}
    async with api.http.post(api.base + path, data=data, headers=headers) as response:
        payload = await response.json()  # JSON, not aiohttp's plain-text 500
        conforms("POST", path, response.status, payload)
        return response.status, str(payload.get("message", payload.get("number")))


async def test_json_is_read_as_utf_8_whatever_charset_the_request_names(api: Api) -> None:
    token = await api.key("portal")
    body = json.dumps({"enterprise_id": "xinyuan", "text": DEMAND}, ensure_ascii=False).encode()
    status, _ = await _post_raw(api, "/tickets", token, body, "application/json; charset=bogus")
    assert status == 201
    status, message = await _post_raw(api, "/tickets", token, b"\xff\xfe{}", "application/json")
    assert (status, "not JSON in UTF-8" in message) == (400, True)


async def test_a_lone_surrogate_is_refused_not_a_500(api: Api) -> None:
    token = await api.key("portal")
    for body in (
        b'{"enterprise_id": "\\ud800", "text": "x"}',
        b'{"enterprise_id": "xinyuan", "text": "a\\udfffb"}',
    ):
        status, message = await _post_raw(api, "/tickets", token, body, "application/json")
        assert (status, message) == (
            400,
            "The body holds a lone surrogate (an escape such as \\ud800 without its pair); send text.",
        )


async def test_a_nul_is_refused_in_ids_paths_and_queries_and_left_out_of_text(api_on_postgres: Api) -> None:
    api = api_on_postgres
    token = await api.key("portal")
    for method, path, body, field in [
        ("POST", "/tickets", {"enterprise_id": "xin\x00yuan", "text": DEMAND}, "enterprise_id"),
        ("POST", "/tickets", {"enterprise_id": "xinyuan", "text": DEMAND, "category": "\x00"}, "category"),
        ("POST", "/tickets/1/transfer", {"platform": "city\x00", "reason": "x"}, "platform"),
        ("POST", "/policies", {"title": "t", "body": "b", "department_id": "finance\x00"}, "department_id"),
    ]:
        got, answer, _ = await api.call(method, path, token, body)
        assert (got, answer["message"]) == (
            422,
            f"`{field}` holds a control character; send the id as it is listed.",
        )
    for path in (
        "/tickets?department=a%00",
        "/tickets?enterprise=%00",
        "/enterprises/%00",
        "/policies?x%00=1",
    ):
        got, answer, _ = await api.call("GET", path, token)
        assert (got, answer["message"]) == (
            400,
            "The path or the query holds a control character (such as %00).",
        )

    got, ticket, _ = await api.call(
        "POST", "/tickets", token, {"enterprise_id": "xinyuan", "text": DEMAND + "\x00"}
    )
    assert (got, ticket["text"]) == (201, DEMAND)
    got, _, _ = await api.call(
        "POST", f"/tickets/{ticket['number']}/events", token, {"type": "note", "text": "a\x00b"}
    )
    assert got == 201
    got, read, _ = await api.call("GET", f"/tickets/{ticket['number']}", token)
    assert "ab" in [e.get("note") for e in read["events"]], read["events"]
    policy = {
        "title": "补贴\x00",
        "body": "正文\x00",
        "department_id": "finance_office",
        "eligibility": {"district": ["湖里\x00"]},
    }
    got, published, _ = await api.call("POST", "/policies", token, policy)
    assert (got, published["title"], published["body"], published["eligibility"]["district"]) == (
        201,
        "补贴",
        "正文",
        ["湖里"],
    )


@pytest.mark.parametrize(
    "since",
    ["0001-01-01T00:00:00%2B14:00", "9999-12-31T23:59:59-14:00"],  # before year 1, after 9999 in UTC
)
async def test_a_moment_beyond_the_years_a_database_keeps_is_refused_not_a_500(api: Api, since: str) -> None:
    token = await api.key("portal")
    got, answer, _ = await api.call("GET", f"/tickets?updated_since={since}", token)
    assert (got, answer["message"]) == (
        400,
        "`updated_since` is out of range: in UTC it must fall within the years 1 to 9999.",
    )
    got, answer, _ = await api.call("GET", "/tickets?updated_since=0001-01-01T00:00:00Z", token)
    assert (got, answer["tickets"]) == (200, [])
