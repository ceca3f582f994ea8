"""Every route of /api/v1 against its OpenAPI document: the happy path, bad input answered with a
clear 4xx body, a missing key, a key without the route's scope, and a key over its rate. Every
answer is validated against the document (tests/api/harness.py: `conforms`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.api.app import api_app
from bot.api.openapi import DOCUMENT
from bot.api.ratelimit import RateLimiter
from bot.bootstrap import build_app
from bot.config import load_settings
from bot.domain.tickets import Action, Status
from tests.api.harness import BOSS, WANG, Api, running_api
from tests.world import DEMAND


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async with running_api(tmp_path) as running:
        yield running


async def _demand(api: Api, token: str, text: str = DEMAND) -> int:
    status, body, _ = await api.call("POST", "/tickets", token, {"enterprise_id": "xinyuan", "text": text})
    assert status == 201, body
    return int(body["number"])


async def _taken(api: Api, token: str) -> int:
    """A ticket signed for by its liaison officer (through the toy chat), ready to be answered."""
    number = await _demand(api, token)
    await api.platform.wait_for(WANG, f"#{number}")
    await api.runtime.accept(_inbound(WANG, f"/take {number}"))
    await api.platform.wait_for(WANG, f"您已签收工单 #{number}")
    return number


def _inbound(person: str, text: str) -> Any:
    from datetime import UTC, datetime

    from bot.domain.messages import Inbound, Sender

    return Inbound(
        Sender("toy", person, person), person, text, datetime.now(UTC), delivery_id=f"{person}:{text}"
    )


# (method, path, scope, body) for every route: the scope and bad-credential checks run on each
ROUTES: list[tuple[str, str, str, object]] = [
    ("GET", "/tickets", "read", None),
    ("POST", "/tickets", "write", {"enterprise_id": "xinyuan", "text": DEMAND}),
    ("GET", "/tickets/1", "read", None),
    ("POST", "/tickets/1/events", "write", {"type": "note", "text": "x"}),
    ("POST", "/tickets/1/close", "write", {"result": "x"}),
    ("POST", "/tickets/1/transfer", "write", {"platform": "city", "reason": "x"}),
    ("GET", "/enterprises", "read", None),
    ("GET", "/enterprises/xinyuan", "read", None),
    ("GET", "/policies", "read", None),
    ("POST", "/policies", "publish", {"title": "t", "body": "b", "department_id": "finance_office"}),
    ("GET", "/policies/1", "read", None),
]


def test_every_route_is_documented_and_every_documented_route_exists() -> None:
    from handlers.deps import Deps

    app = api_app(Deps(storage=None, directory=None, nlu=None), None, [])  # type: ignore[arg-type]
    served = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
        and route.method != "HEAD"
        and route.resource.canonical != "/openapi.json"
    }
    documented = {(method.upper(), path) for path, item in DOCUMENT["paths"].items() for method in item}
    assert served == documented
    assert {(m, _generic(p)) for m, p, _, _ in ROUTES} == documented
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            scope = next(s for m, p, s, _ in ROUTES if m == method.upper() and _generic(p) == path)
            assert operation["x-scope"] == scope


def _generic(path: str) -> str:
    for template in DOCUMENT["paths"]:
        parts, names = path.strip("/").split("/"), template.strip("/").split("/")
        if len(parts) == len(names) and all(
            n.startswith("{") or n == p for n, p in zip(names, parts, strict=True)
        ):
            return str(template)
    raise AssertionError(path)


async def test_the_document_is_served_without_a_key(api: Api) -> None:
    async with api.http.get(api.base + "/openapi.json") as response:
        assert response.status == 200
        served = await response.json()
    assert served["openapi"] == "3.1.0"
    assert served == DOCUMENT


@pytest.mark.parametrize(("method", "path", "scope", "body"), ROUTES)
async def test_a_missing_or_unknown_key_is_refused(
    api: Api, method: str, path: str, scope: str, body: object
) -> None:
    status, answer, headers = await api.call(method, path, None, body)
    assert status == 401
    assert answer["error"] == "unauthorized"
    assert "Authorization: Bearer" in answer["message"]
    assert headers["WWW-Authenticate"] == "Bearer"
    status, answer, _ = await api.call(method, path, "xo_not-a-key", body)
    assert status == 401
    assert "unknown or revoked" in answer["message"]


@pytest.mark.parametrize(("method", "path", "scope", "body"), ROUTES)
async def test_a_key_without_the_scope_is_refused(
    api: Api, method: str, path: str, scope: str, body: object
) -> None:
    others = tuple(s for s in ("read", "write", "publish") if s != scope)
    token = await api.key("portal", others)
    status, answer, _ = await api.call(method, path, token, body)
    assert status == 403
    assert answer["error"] == "forbidden"
    assert f"lacks the scope '{scope}'" in answer["message"]


@pytest.mark.parametrize(("method", "path", "scope", "body"), ROUTES)
async def test_every_route_counts_against_the_key_s_rate(
    api: Api, method: str, path: str, scope: str, body: object
) -> None:
    api.limiter.now = lambda: 1000.0  # the clock stands: no token comes back meanwhile
    token = await api.key("once-a-minute", rate=1)
    await api.call(method, path, token, body)  # whatever it answers, it took the turn
    status, answer, headers = await api.call(method, path, token, body)
    assert (status, answer["error"], headers["Retry-After"]) == (429, "rate_limited", "60")
    assert "may make 1 calls a minute" in answer["message"]


async def test_a_revoked_key_is_refused(api: Api) -> None:
    token = await api.key("old")
    assert (await api.call("GET", "/enterprises", token))[0] == 200
    async with api.app.storage() as uow:
        assert await uow.api_keys.revoke("old", api.app.deps.clock())
        await uow.commit()
    assert (await api.call("GET", "/enterprises", token))[0] == 401


async def test_a_key_over_its_rate_waits(api: Api) -> None:
    clock = [1000.0]
    api.limiter.now = lambda: clock[0]
    token = await api.key("slow", rate=2)
    assert (await api.call("GET", "/enterprises", token))[0] == 200
    assert (await api.call("GET", "/enterprises", token))[0] == 200
    status, answer, headers = await api.call("GET", "/enterprises", token)
    assert status == 429
    assert answer["error"] == "rate_limited"
    assert headers["Retry-After"] == "30"  # 2 a minute: one more turn in 30 s
    clock[0] += 30
    assert (await api.call("GET", "/enterprises", token))[0] == 200
    # another key has its own bucket
    assert (await api.call("GET", "/enterprises", await api.key("other", rate=2)))[0] == 200


async def test_a_keys_rate_is_one_allowance_for_every_process_serving_the_api(
    api: Api, tmp_path: Path
) -> None:
    """Behind a load balancer each `xiaoer run` process serves some of a client's calls: the key's
    rate is kept in the database, so a second process (its own engine on the same file) takes
    from the same allowance rather than granting the rate again."""
    clock = [1000.0]
    api.limiter.now = lambda: clock[0]
    token = await api.key("shared", rate=2)
    other = await build_app(
        load_settings(tmp_path / "config.yaml"), f"sqlite+aiosqlite:///{tmp_path / 'api.db'}", load_nlu=False
    )
    try:
        other_process = RateLimiter(other.deps, now=lambda: clock[0])
        assert (await api.call("GET", "/enterprises", token))[0] == 200
        assert await other_process.take("shared", 2) == 0.0
        status, answer, headers = await api.call("GET", "/enterprises", token)
        assert (status, answer["error"], headers["Retry-After"]) == (429, "rate_limited", "30")
        assert await other_process.take("shared", 2) == 30.0
        clock[0] += 30
        assert (await api.call("GET", "/enterprises", token))[0] == 200
        assert await other_process.take("shared", 2) == 30.0
    finally:
        await other.close()


async def test_every_call_is_audited_with_the_key_name(api: Api) -> None:
    token = await api.key("portal", ("read",))
    await api.call("GET", "/enterprises", token)
    await api.call("POST", "/tickets", token, {"enterprise_id": "xinyuan", "text": DEMAND})
    await api.call("GET", "/tickets", None)
    async with api.app.storage() as uow:
        calls = await uow.api_keys.calls()
        keys = {k.name: k for k in await uow.api_keys.all()}
    assert [(c.key_name, c.method, c.path, c.status) for c in reversed(calls)] == [
        ("portal", "GET", "/api/v1/enterprises", 200),
        ("portal", "POST", "/api/v1/tickets", 403),
        (None, "GET", "/api/v1/tickets", 401),
    ]
    assert keys["portal"].last_used_at is not None


async def test_a_demand_opened_through_the_api_is_routed_and_announced_as_from_chat(api: Api) -> None:
    token = await api.key("portal")
    number = await _demand(api, token)
    # the enterprise hears of it in its chat, the liaison officer gets the notice, as from chat
    await api.platform.wait_for(BOSS, f"工单号 #{number}")
    await api.platform.wait_for(WANG, f"新工单 #{number}")
    status, ticket, _ = await api.call("GET", f"/tickets/{number}", token)
    assert status == 200
    assert ticket["status"] == Status.DISPATCHED.value
    assert ticket["assignee_id"] == "wang_lei"
    assert ticket["category"] == "finance"
    assert [e["action"] for e in ticket["events"]] == [Action.CREATE.value, Action.DISPATCH.value]


async def test_creating_a_demand_says_what_is_wrong(api: Api) -> None:
    token = await api.key("portal")
    cases: list[tuple[object, str | None, int, str]] = [
        (None, "{not json", 400, "not JSON"),
        ([1, 2], None, 400, "JSON object"),
        ({"text": DEMAND}, None, 422, "`enterprise_id` is required"),
        ({"enterprise_id": "xinyuan", "text": "  "}, None, 422, "`text` must be a non-empty string"),
        (
            {"enterprise_id": "xinyuan", "text": DEMAND, "category": "magic"},
            None,
            422,
            "`category` must be one of",
        ),
        (
            {"enterprise_id": "xinyuan", "text": DEMAND, "urgent": "yes"},
            None,
            422,
            "`urgent` must be true or false",
        ),
        ({"enterprise_id": "nobody", "text": DEMAND}, None, 404, "There is no enterprise nobody"),
    ]
    for body, raw, status, message in cases:
        got, answer, _ = await api.call("POST", "/tickets", token, body, raw=raw)
        assert (got, message in answer["message"]) == (status, True), answer


async def test_numbers_no_ticket_can_have_are_refused_in_json_not_a_500(api: Api) -> None:
    """Past a database integer, past Python's 4,300 digits, or a digit that is no ASCII digit ("²"):
    each was a plain-text 500 (SQLite's OverflowError, int()'s ValueError); deep nesting likewise."""
    token = await api.key("portal")
    huge = "9" * 23
    for method, path in [
        ("GET", f"/tickets/{huge}"),
        ("GET", "/tickets/%C2%B2"),
        ("GET", f"/tickets/{'9' * 5000}"),
        ("POST", f"/tickets/{huge}/close"),
        ("GET", f"/policies/{huge}"),
    ]:
        got, answer, _ = await api.call(method, path, token, {"result": "done"})
        assert (got, "in the path must be a positive whole number up to 2147483647" in answer["message"]) == (
            400,
            True,
        ), (path, answer)
    for query in ("limit=" + "9" * 5000, "limit=%C2%B2", f"cursor={huge}"):
        got, answer, _ = await api.call("GET", f"/tickets?{query}", token)
        assert (got, "must be a whole number from" in answer["message"]) == (400, True), (query, answer)
    got, answer, _ = await api.call("POST", "/tickets", token, raw="[" * 50_000 + "]" * 50_000)
    assert (got, answer["message"]) == (400, "The body nests too deeply to read; send a flat JSON object.")


async def test_tickets_are_listed_with_filters_and_pages(api: Api) -> None:
    token = await api.key("portal")
    first = await _demand(api, token)
    second = await _demand(api, token, "出口退税一直没到账，资金很紧张，希望帮忙协调")
    third = await _demand(api, token, "厂房租金太高，需要协调新的用地")
    status, page, _ = await api.call("GET", "/tickets?limit=2", token)
    assert status == 200
    assert [t["number"] for t in page["tickets"]] == [first, second]
    assert page["next_cursor"] == second
    _, rest, _ = await api.call("GET", f"/tickets?limit=2&cursor={second}", token)
    assert [t["number"] for t in rest["tickets"]] == [third]
    assert rest["next_cursor"] is None
    _, taxes, _ = await api.call("GET", "/tickets?category=tax", token)
    assert [t["number"] for t in taxes["tickets"]] == [second]
    _, mine, _ = await api.call("GET", "/tickets?enterprise=xinyuan&state=dispatched", token)
    assert len(mine["tickets"]) == 3
    _, none, _ = await api.call("GET", "/tickets?updated_since=2100-01-01T00:00:00%2B08:00", token)
    assert none["tickets"] == []
    _, by_department, _ = await api.call("GET", "/tickets?department=nowhere", token)
    assert by_department["tickets"] == []
    for query, message in [
        ("state=lost", "`state` must be one of"),
        ("limit=0", "`limit` must be a whole number from 1 to 200"),
        ("cursor=x", "`cursor` must be a whole number"),
        ("updated_since=yesterday", "ISO 8601"),
        ("updated_since=2026-01-01T00:00:00", "UTC offset"),
    ]:
        status, answer, _ = await api.call("GET", f"/tickets?{query}", token)
        assert (status, answer["error"]) == (400, "bad_request")
        assert message in answer["message"]


async def test_reading_a_ticket_that_is_not_there(api: Api) -> None:
    token = await api.key("portal")
    assert (await api.call("GET", "/tickets/99", token))[0] == 404
    status, answer, _ = await api.call("GET", "/tickets/abc", token)
    assert (status, "positive whole number" in answer["message"]) == (400, True)


async def test_events_reach_the_enterprise_or_stay_notes(api: Api) -> None:
    token = await api.key("city")
    number = await _taken(api, token)
    status, ticket, _ = await api.call(
        "POST", f"/tickets/{number}/events", token, {"type": "reply", "text": "已联系建设银行，明天上门"}
    )
    assert (status, ticket["status"]) == (201, Status.IN_PROGRESS.value)
    await api.platform.wait_for(BOSS, "已联系建设银行，明天上门")
    await api.call("POST", f"/tickets/{number}/events", token, {"type": "external_status", "text": "承办中"})
    await api.call("POST", f"/tickets/{number}/events", token, {"type": "note", "text": "内部备注"})
    _, read, _ = await api.call("GET", f"/tickets/{number}", token)
    notes = [e["note"] for e in read["events"] if e["action"] == Action.NOTE.value]
    assert notes == ["[city] 承办中", "内部备注"]
    assert all("内部备注" not in text for text in api.platform.to(BOSS))
    for body, status, message in [
        ({"type": "shout", "text": "x"}, 422, "`type` must be one of: reply, external_status, note"),
        ({"type": "note"}, 422, "`text` is required"),
    ]:
        got, answer, _ = await api.call("POST", f"/tickets/{number}/events", token, body)
        assert (got, message in answer["message"]) == (status, True), answer
    got, answer, _ = await api.call("POST", "/tickets/99/events", token, {"type": "note", "text": "x"})
    assert got == 404


async def test_a_reply_before_anyone_signed_for_it_is_a_conflict(api: Api) -> None:
    token = await api.key("city")
    number = await _demand(api, token)
    status, answer, _ = await api.call(
        "POST", f"/tickets/{number}/events", token, {"type": "reply", "text": "x"}
    )
    assert (status, answer["error"]) == (409, "conflict")
    assert answer["message"]


async def test_closing_as_resolved_elsewhere_tells_the_enterprise(api: Api) -> None:
    token = await api.key("city")
    number = await _taken(api, token)
    status, ticket, _ = await api.call(
        "POST", f"/tickets/{number}/close", token, {"result": "市平台已协调放款"}
    )
    assert (status, ticket["status"]) == (200, Status.SURVEY.value)
    await api.platform.wait_for(BOSS, "市平台已协调放款")
    status, answer, _ = await api.call("POST", f"/tickets/{number}/close", token, {"result": "again"})
    assert status == 409
    status, answer, _ = await api.call("POST", f"/tickets/{number}/close", token, {})
    assert (status, "`result` is required" in answer["message"]) == (422, True)


async def test_a_transfer_needs_a_registered_platform(api: Api) -> None:
    token = await api.key("portal")
    number = await _demand(api, token)
    status, answer, _ = await api.call(
        "POST", f"/tickets/{number}/transfer", token, {"platform": "city", "reason": "跨部门"}
    )
    assert status == 404
    assert "xiaoer webhook add" in answer["message"]
    status, answer, _ = await api.call("POST", f"/tickets/{number}/transfer", token, {"platform": "city"})
    assert (status, "`reason` is required" in answer["message"]) == (422, True)


async def test_enterprises_are_listed_and_read(api: Api) -> None:
    token = await api.key("portal", ("read",))
    status, listing, _ = await api.call("GET", "/enterprises", token)
    assert status == 200
    assert "xinyuan" in {e["id"] for e in listing["enterprises"]}
    status, one, _ = await api.call("GET", "/enterprises/xinyuan", token)
    assert (status, one["liaison_officer_id"]) == (200, "wang_lei")
    status, answer, _ = await api.call("GET", "/enterprises/nobody", token)
    assert (status, "There is no enterprise nobody" in answer["message"]) == (404, True)


async def test_policies_are_published_listed_and_read(api: Api) -> None:
    token = await api.key("portal", ("read", "publish"))
    body: dict[str, object] = {
        "title": "小微企业贷款贴息",
        "body": "符合条件的小微企业可申请贷款贴息。",
        "department_id": "finance_office",
        "category": "finance",
        "eligibility": {"size_class": ["小微"]},
    }
    status, published, _ = await api.call("POST", "/policies", token, body)
    assert status == 201
    assert published["status"] == "published"
    assert published["eligibility"]["size_class"] == ["小微"]
    status, listing, _ = await api.call("GET", "/policies?status=published", token)
    assert [p["id"] for p in listing["policies"]] == [published["id"]]
    status, one, _ = await api.call("GET", f"/policies/{published['id']}", token)
    assert (status, one["title"]) == (200, "小微企业贷款贴息")
    assert (await api.call("GET", "/policies/99", token))[0] == 404
    assert (await api.call("GET", "/policies?status=lost", token))[0] == 422
    changes: list[tuple[dict[str, object], str]] = [
        ({"department_id": "nowhere"}, "is not a department"),
        ({"title": ""}, "`title` must be a non-empty string"),
        ({"category": "magic"}, "`category` must be one of"),
        ({"deadline": "2000-01-01"}, "has passed"),
        ({"deadline": "soon"}, "must be a date"),
        ({"eligibility": {"colour": ["red"]}}, "`eligibility` must be an object"),
        ({"eligibility": {"size_class": "小微"}}, "lists of strings"),
    ]
    for change, message in changes:
        status, answer, _ = await api.call("POST", "/policies", token, {**body, **change})
        assert (status, message in answer["message"]) == (422, True), answer


async def test_a_policy_deadline_is_checked_against_today_in_xiamen_not_in_utc(tmp_path: Path) -> None:
    """00:30 on 8 December in Xiamen is still 7 December in UTC: the 7th has passed."""
    after_midnight = datetime(2026, 12, 7, 16, 30, tzinfo=UTC)
    async with running_api(tmp_path, clock=lambda: after_midnight) as api:
        token = await api.key("portal", ("read", "publish"))
        body = {"title": "稳岗补贴", "body": "申请稳岗补贴。", "department_id": "hr_social"}
        status, answer, _ = await api.call("POST", "/policies", token, {**body, "deadline": "2026-12-07"})
        assert (status, "has passed" in answer["message"]) == (422, True), answer
        status, answer, _ = await api.call("POST", "/policies", token, {**body, "deadline": "2026-12-08"})
        assert status == 201, answer


async def test_an_unknown_route_is_a_json_404(api: Api) -> None:
    token = await api.key("portal")
    async with api.http.get(
        api.base + "/tickets/1/nothing", headers={"Authorization": f"Bearer {token}"}
    ) as answer:
        assert answer.status == 404
        body = await answer.json()
    assert body["error"] == "not_found"
    assert "/api/v1/tickets/1/nothing" in body["message"]
