"""The API's OpenAPI 3.1 document, written by hand as data (served at /api/v1/openapi.json; the
contract tests validate every response against it)."""

from __future__ import annotations

from typing import Any

from bot.domain.tickets import Status

_NULLABLE_TEXT = {"type": ["string", "null"]}
_TIME = {"type": "string", "format": "date-time"}
_NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}

_ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "a code: bad_request, unauthorized, forbidden, …"},
        "message": {"type": "string", "description": "what went wrong and what to do"},
    },
    "additionalProperties": False,
}

_TICKET = {
    "type": "object",
    "required": ["number", "status", "text", "created_at", "updated_at"],
    "properties": {
        "number": {"type": "integer"},
        "status": {"type": "string", "enum": [s.value for s in Status]},
        "enterprise_id": _NULLABLE_TEXT,
        "category": _NULLABLE_TEXT,
        "intent": {"type": "string"},
        "urgent": {"type": "boolean"},
        "department_id": _NULLABLE_TEXT,
        "assignee_id": _NULLABLE_TEXT,
        "text": {"type": "string"},
        "lang": {"type": "string"},
        "created_at": _TIME,
        "updated_at": _TIME,
        "respond_by": _NULLABLE_TIME,
        "resolve_by": _NULLABLE_TIME,
        "closed_at": _NULLABLE_TIME,
        "closing_reason": _NULLABLE_TEXT,
    },
    "additionalProperties": False,
}

_EVENT = {
    "type": "object",
    "required": ["at", "actor", "action", "to_status"],
    "properties": {
        "at": _TIME,
        "actor": {"type": "string"},
        "role": {"type": "string"},
        "action": {"type": "string"},
        "from_status": _NULLABLE_TEXT,
        "to_status": {"type": "string"},
        "note": {"type": "string"},
    },
    "additionalProperties": False,
}

_ENTERPRISE = {
    "type": "object",
    "required": ["id", "name"],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "uscc": _NULLABLE_TEXT,
        "industry": _NULLABLE_TEXT,
        "district": _NULLABLE_TEXT,
        "size_class": _NULLABLE_TEXT,
        "liaison_officer_id": _NULLABLE_TEXT,
    },
    "additionalProperties": False,
}

_POLICY = {
    "type": "object",
    "required": ["id", "title", "body", "department_id", "category", "status"],
    "properties": {
        "id": {"type": "integer"},
        "title": {"type": "string"},
        "body": {"type": "string"},
        "department_id": {"type": "string"},
        "category": {"type": "string"},
        "status": {"type": "string", "enum": ["draft", "published", "withdrawn"]},
        "deadline": {"type": ["string", "null"], "format": "date"},
        "eligibility": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "published_at": _NULLABLE_TIME,
        "notices": {"type": "integer", "description": "notices queued by this publication"},
    },
    "additionalProperties": False,
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    words = {
        400: "the request is malformed (a parameter, the JSON, a control character in the path or query)",
        401: "no key, or an unknown or revoked one",
        403: "the key lacks the route's scope, or the rules refuse the move",
        404: "no such ticket, enterprise, policy or platform",
        409: "the move does not apply to the ticket as it stands now",
        422: "a field is missing or has a value that is not allowed",
        429: "the key's rate is spent: wait the Retry-After seconds",
    }
    return {str(s): _json(_ref("Error"), words[s]) for s in statuses}


_AUTH = (401, 403, 429)


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _operation(summary: str, scope: str, responses: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "summary": summary,
        "security": [{"apiKey": []}],
        "x-scope": scope,
        "description": f"Needs the scope `{scope}`.",
        "responses": responses,
        **more,
    }


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _path(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


_NUMBER = _path("number", {"type": "integer", "minimum": 1})
_TEXT = {"type": "string", "minLength": 1}


def _ticket_move(summary: str, answer: tuple[str, str], fields: dict[str, Any]) -> dict[str, Any]:
    """A change to one ticket: every field required, the ticket as it then stands in the answer."""
    status, description = answer
    return _operation(
        summary,
        "write",
        {status: _json(_ref("Ticket"), description), **_errors(400, 404, 409, 422, *_AUTH)},
        parameters=[_NUMBER],
        requestBody=_body({"type": "object", "required": list(fields), "properties": fields}),
    )


DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Xiaoer API",
        "version": "1.0.0",
        "description": "Demands, tickets, enterprises and policies of a Xiaoer enterprise-service hotline. "
        "Authenticate with `Authorization: Bearer <token>`; every call is audited with the key's name.",
    },
    "servers": [{"url": "/api/v1"}],
    "components": {
        "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": _ERROR,
            "Ticket": _TICKET,
            "Event": _EVENT,
            "TicketWithEvents": {
                "allOf": [
                    {**_TICKET, "additionalProperties": True},
                    {
                        "type": "object",
                        "required": ["events"],
                        "properties": {"events": {"type": "array", "items": _ref("Event")}},
                    },
                ]
            },
            "Enterprise": _ENTERPRISE,
            "Policy": _POLICY,
        },
    },
    "paths": {
        "/tickets": {
            "get": _operation(
                "List tickets, by number, a page at a time",
                "read",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["tickets", "next_cursor"],
                            "properties": {
                                "tickets": {"type": "array", "items": _ref("Ticket")},
                                "next_cursor": {"type": ["integer", "null"]},
                            },
                            "additionalProperties": False,
                        },
                        "a page of tickets; pass next_cursor as `cursor` for the next",
                    ),
                    **_errors(400, *_AUTH),
                },
                parameters=[
                    _query("state", "a status", {"type": "string", "enum": [s.value for s in Status]}),
                    _query("department", "a department id"),
                    _query("category", "a category"),
                    _query("enterprise", "an enterprise id"),
                    _query(
                        "updated_since",
                        "changed at or after this time",
                        {"type": "string", "format": "date-time"},
                    ),
                    _query(
                        "cursor", "the next_cursor of the previous page", {"type": "integer", "minimum": 0}
                    ),
                    _query(
                        "limit",
                        "at most this many (1–200, 50)",
                        {"type": "integer", "minimum": 1, "maximum": 200},
                    ),
                ],
            ),
            "post": _operation(
                "Open a demand on an enterprise's behalf: routed and announced as one from chat",
                "write",
                {"201": _json(_ref("Ticket"), "the ticket opened"), **_errors(400, 404, 422, *_AUTH)},
                requestBody=_body(
                    {
                        "type": "object",
                        "required": ["enterprise_id", "text"],
                        "properties": {
                            "enterprise_id": {"type": "string"},
                            "text": {"type": "string", "minLength": 1},
                            "category": {"type": "string"},
                            "urgent": {"type": "boolean"},
                        },
                    }
                ),
            ),
        },
        "/tickets/{number}": {
            "get": _operation(
                "A ticket with its audit events",
                "read",
                {"200": _json(_ref("TicketWithEvents"), "the ticket"), **_errors(400, 404, *_AUTH)},
                parameters=[_NUMBER],
            )
        },
        "/tickets/{number}/events": {
            "post": _ticket_move(
                "Add an event: a reply to the enterprise, a status from the other platform, a note",
                ("201", "the ticket as it now stands"),
                {"type": {"type": "string", "enum": ["reply", "external_status", "note"]}, "text": _TEXT},
            )
        },
        "/tickets/{number}/close": {
            "post": _ticket_move(
                "Close as resolved elsewhere: the enterprise gets the result and confirms it",
                ("200", "the ticket, answered"),
                {"result": _TEXT},
            )
        },
        "/tickets/{number}/transfer": {
            "post": _ticket_move(
                "Hand the ticket to an external platform registered as a webhook subscriber",
                ("200", "the ticket, in progress there"),
                {"platform": _TEXT, "reason": _TEXT},
            )
        },
        "/enterprises": {
            "get": _operation(
                "List enterprises",
                "read",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["enterprises"],
                            "properties": {"enterprises": {"type": "array", "items": _ref("Enterprise")}},
                        },
                        "the enterprises",
                    ),
                    **_errors(400, *_AUTH),
                },
            )
        },
        "/enterprises/{enterprise_id}": {
            "get": _operation(
                "One enterprise",
                "read",
                {"200": _json(_ref("Enterprise"), "the enterprise"), **_errors(400, 404, *_AUTH)},
                parameters=[_path("enterprise_id", {"type": "string"})],
            )
        },
        "/policies": {
            "get": _operation(
                "List policies, newest first",
                "read",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["policies"],
                            "properties": {"policies": {"type": "array", "items": _ref("Policy")}},
                        },
                        "the policies",
                    ),
                    **_errors(400, 422, *_AUTH),
                },
                parameters=[_query("status", "draft, published or withdrawn")],
            ),
            "post": _operation(
                "Publish a new policy to the groups and enterprises it is meant for",
                "publish",
                {"201": _json(_ref("Policy"), "the policy, published"), **_errors(400, 409, 422, *_AUTH)},
                requestBody=_body(
                    {
                        "type": "object",
                        "required": ["title", "body", "department_id"],
                        "properties": {
                            "title": {"type": "string"},
                            "body": {"type": "string"},
                            "department_id": {"type": "string"},
                            "category": {"type": "string"},
                            "deadline": {"type": "string", "format": "date"},
                            "eligibility": {"type": "object"},
                        },
                    }
                ),
            ),
        },
        "/policies/{policy_id}": {
            "get": _operation(
                "One policy",
                "read",
                {"200": _json(_ref("Policy"), "the policy"), **_errors(400, 404, *_AUTH)},
                parameters=[_path("policy_id", {"type": "integer", "minimum": 1})],
            )
        },
    },
}
