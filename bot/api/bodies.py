"""Reading a request's JSON body and query, with a clear 4xx for what is wrong."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.api.errors import bad_input, invalid


async def json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.text() or "null")
    except ValueError as exc:
        raise bad_input(f"The body is not JSON ({exc}); send a JSON object.") from None
    if not isinstance(body, dict):
        raise bad_input('The body must be a JSON object, e.g. {"text": "..."}.')
    return body


def text_field(body: dict[str, Any], name: str, *, required: bool = True, limit: int = 4000) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise invalid(f"`{name}` is required: a non-empty string.")
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise invalid(f"`{name}` must be a non-empty string.")
    if len(value) > limit:
        raise invalid(f"`{name}` is longer than {limit} characters; shorten it.")
    return value.strip()


def choice(body: dict[str, Any], name: str, allowed: tuple[str, ...]) -> str:
    value = body.get(name)
    if value not in allowed:
        raise invalid(f"`{name}` must be one of: {', '.join(allowed)}.")
    return str(value)


def bool_field(body: dict[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise invalid(f"`{name}` must be true or false.")
    return value


def path_number(request: web.Request, name: str) -> int:
    raw = request.match_info[name]
    if not raw.isdigit() or int(raw) <= 0:
        raise bad_input(f"`{name}` in the path must be a positive whole number, not {raw!r}.")
    return int(raw)


def query_int(request: web.Request, name: str, default: int, *, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise bad_input(f"`{name}` must be a whole number from {low} to {high}, not {raw!r}.")
    return int(raw)


def query_time(request: web.Request, name: str) -> datetime | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        raise bad_input(
            f"`{name}` must be an ISO 8601 time with its offset, e.g. 2026-12-05T08:00:00+08:00."
        ) from None
    if at.tzinfo is None:
        raise bad_input(f"`{name}` needs a UTC offset (…+08:00 or …Z), so that it names one moment.")
    return at
