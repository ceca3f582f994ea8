"""Every API call passes here: the key (Authorization: Bearer <token>), the route's scope, the
key's rate, the domain's refusals turned into JSON errors, and the audit line with the key's name."""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from bot.api.errors import ApiError
from bot.api.ratelimit import RateLimiter
from bot.domain.api_keys import ApiKey, token_hash
from bot.domain.errors import (
    AlreadyTaken,
    AmbiguousDepartment,
    Conflict,
    DomainError,
    EmptyText,
    IllegalTransition,
    NotAllowed,
    NotFound,
    UnknownDepartment,
)
from bot.domain.policies import PolicyRefused
from bot.domain.text import NOT_XML
from bot.i18n import t
from handlers.deps import Deps
from handlers.integrations import UnknownEnterprise, UnknownPlatform

log = logging.getLogger(__name__)

KEY = web.RequestKey("api_key", ApiKey)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SCOPE_ATTRIBUTE = "xiaoer_scope"  # set on each route's handler by bot.api.app
PUBLIC = frozenset({"/api/v1/openapi.json"})

_STATUS_OF: list[tuple[type[DomainError], int, str]] = [
    (NotFound, 404, "not_found"),
    (UnknownEnterprise, 404, "not_found"),
    (UnknownPlatform, 404, "not_found"),
    (IllegalTransition, 409, "conflict"),
    (Conflict, 409, "conflict"),
    (AlreadyTaken, 409, "conflict"),
    (NotAllowed, 403, "forbidden"),
    (EmptyText, 422, "invalid"),
    (UnknownDepartment, 422, "invalid"),
    (AmbiguousDepartment, 422, "invalid"),
]


def domain_error(error: DomainError) -> ApiError:
    status, code = (409 if isinstance(error, PolicyRefused) else 422), "refused"
    for kind, kind_status, kind_code in _STATUS_OF:
        if isinstance(error, kind):
            status, code = kind_status, kind_code
            break
    params = {k: ", ".join(v) if isinstance(v, list | tuple) else v for k, v in error.params.items()}
    try:
        message = t("en", error.key, **params)
    except (KeyError, IndexError):
        message = f"{error.key}: {error.params}"
    return ApiError(status, code, message)


def guard(deps: Deps, limiter: RateLimiter) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        key: ApiKey | None = None
        try:
            if request.path in PUBLIC:
                return await handler(request)
            key = await _authenticate(deps, request)
            _refuse_control_characters(request)
            scope = _scope_of(request)
            if scope is not None and scope not in key.scopes:
                raise ApiError(
                    403,
                    "forbidden",
                    f"The key {key.name} lacks the scope {scope!r} this route needs; "
                    f"create a key with it (xiaoer apikey create --name N --scopes {scope}).",
                )
            wait = await limiter.take(key.name, key.rate_per_minute)
            if wait > 0:
                raise ApiError(
                    429,
                    "rate_limited",
                    f"The key {key.name} may make {key.rate_per_minute} calls a minute; "
                    f"wait {math.ceil(wait)} s and try again.",
                    {"Retry-After": str(math.ceil(wait))},
                )
            request[KEY] = key
            response = await handler(request)
        except ApiError as error:
            response = error.response()
        except DomainError as error:
            response = domain_error(error).response()
        except web.HTTPException as exc:  # aiohttp's own (404 no route, 405 method): in JSON too
            response = ApiError(
                exc.status,
                "not_found" if exc.status == 404 else "bad_request",
                f"{exc.reason}: {request.path}",
            ).response()
        await _audit(deps, key, request, response.status)
        return response

    return middleware


async def _authenticate(deps: Deps, request: web.Request) -> ApiKey:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401,
            "unauthorized",
            "Send the API key as `Authorization: Bearer <token>` (an admin creates one with "
            "`xiaoer apikey create`).",
            {"WWW-Authenticate": "Bearer"},
        )
    async with deps.storage() as uow:
        key = await uow.api_keys.by_hash(token_hash(token.strip()))
    if key is None or not key.active:
        raise ApiError(
            401,
            "unauthorized",
            "The API key is unknown or revoked; ask an admin for a valid one.",
            {"WWW-Authenticate": "Bearer"},
        )
    return key


def _refuse_control_characters(request: web.Request) -> None:
    """A NUL (%00) in the path or the query reached the database, which PostgreSQL refuses with
    a 500; no id or filter value holds one, or any other control character."""
    values = [*request.match_info.values(), *request.query.keys(), *request.query.values()]
    if any(NOT_XML.search(value) for value in values):
        raise ApiError(400, "bad_request", "The path or the query holds a control character (such as %00).")


def _scope_of(request: web.Request) -> str | None:
    handler = request.match_info.handler
    return getattr(handler, SCOPE_ATTRIBUTE, None)


async def _audit(deps: Deps, key: ApiKey | None, request: web.Request, status: int) -> None:
    try:
        async with deps.storage() as uow:
            await uow.api_keys.record_call(
                key.name if key else None, request.method, request.path_qs, status, deps.clock()
            )
            await uow.commit()
    except Exception:  # the audit must not turn an answered call into a failure; it is logged
        log.exception("could not audit API call %s %s", request.method, request.path)
