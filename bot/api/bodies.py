"""Reading a request's JSON body and query, with a clear 4xx for what is wrong."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bot.api.errors import bad_input, invalid
from bot.domain.text import NOT_XML, storable
from handlers.numbers import LARGEST, small_number


async def json_object(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object. JSON travels as UTF-8 (RFC 8259), whatever charset the request
    names: an unknown one (`charset=bogus`) was a 500 from `request.text()`. A string with a lone
    surrogate (`"\\ud800"`) is no text any database or file takes: it was a 500 where it reached one."""
    try:
        body = json.loads((await request.read()).decode("utf-8") or "null")
        json.dumps(body, ensure_ascii=False).encode("utf-8")  # raises on a lone surrogate
    except UnicodeEncodeError:
        raise bad_input(
            "The body holds a lone surrogate (an escape such as \\ud800 without its pair); send text."
        ) from None
    except ValueError as exc:  # not UTF-8 (UnicodeDecodeError), or not JSON
        raise bad_input(f"The body is not JSON in UTF-8 ({exc}); send a JSON object.") from None
    except RecursionError:  # thousands of nested brackets: no request of ours looks like that
        raise bad_input("The body nests too deeply to read; send a flat JSON object.") from None
    if not isinstance(body, dict):
        raise bad_input('The body must be a JSON object, e.g. {"text": "..."}.')
    return body


def text_field(body: dict[str, Any], name: str, *, required: bool = True, limit: int = 4000) -> str | None:
    """Free text, kept as a chat message is (`storable`): a pasted NUL, which PostgreSQL refuses
    (a 500 before), or another control character is left out."""
    value = body.get(name)
    if value is None:
        if required:
            raise invalid(f"`{name}` is required: a non-empty string.")
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise invalid(f"`{name}` must be a non-empty string.")
    if len(value) > limit:
        raise invalid(f"`{name}` is longer than {limit} characters; shorten it.")
    return storable(value).strip()


def key_field(body: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    """An id (of an enterprise, a department, a category, a platform): a NUL or other control
    character can be in none, and PostgreSQL refuses a NUL in any query (a 500 before)."""
    value = body.get(name)
    if isinstance(value, str) and NOT_XML.search(value):
        raise invalid(f"`{name}` holds a control character; send the id as it is listed.")
    return text_field(body, name, required=required, limit=64)


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
    # ASCII digits only ("²" is a digit to str.isdigit, not to int), and no more than an id can be
    # (a longer one would overflow the database, or Python's 4,300-digit limit, as a 500)
    number = small_number(raw) if raw.isascii() and raw.isdecimal() else None
    if number is None or number <= 0:
        raise bad_input(
            f"`{name}` in the path must be a positive whole number up to {LARGEST}, not {raw[:40]!r}."
        )
    return number


def query_int(request: web.Request, name: str, default: int, *, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    digits = raw.lstrip("0") or "0"
    if (
        not (raw.isascii() and raw.isdecimal() and len(digits) <= len(str(high)))
        or not low <= int(digits) <= high
    ):
        raise bad_input(f"`{name}` must be a whole number from {low} to {high}, not {raw[:40]!r}.")
    return int(digits)


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
    try:  # the database keeps UTC: 0001-01-01T00:00+14:00 is before year 1 there (a 500 before)
        return at.astimezone(UTC)
    except OverflowError:
        raise bad_input(
            f"`{name}` is out of range: in UTC it must fall within the years 1 to 9999."
        ) from None
