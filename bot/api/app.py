"""The HTTP API as a sub-application mounted at /api/v1 on the runtime's one web server: its
middleware (bot.api.guard) sees only API calls, never a channel's webhook."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection

from aiohttp import web

from bot.api.guard import SCOPE_ATTRIBUTE, guard
from bot.api.openapi import DOCUMENT
from bot.api.ratelimit import RateLimiter
from bot.api.registry import RegistryRoutes
from bot.api.tickets import TicketRoutes
from handlers.deps import Deps
from handlers.outgoing import Outgoing

PREFIX = "/api/v1"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _scoped(scope: str, handler: Handler) -> Handler:
    async def call(request: web.Request) -> web.StreamResponse:
        return await handler(request)

    setattr(call, SCOPE_ATTRIBUTE, scope)
    return call


def api_app(
    deps: Deps, outgoing: Outgoing, channels: Collection[str], limiter: RateLimiter | None = None
) -> web.Application:
    app = web.Application(middlewares=[guard(deps, limiter or RateLimiter(deps))])
    tickets = TicketRoutes(deps, outgoing, channels)
    registry = RegistryRoutes(deps)

    async def openapi(_: web.Request) -> web.Response:
        return web.json_response(DOCUMENT)

    app.router.add_get("/openapi.json", openapi)
    for method, path, scope, handler in [
        ("GET", "/tickets", "read", tickets.listing),
        ("POST", "/tickets", "write", tickets.create),
        ("GET", "/tickets/{number}", "read", tickets.read),
        ("POST", "/tickets/{number}/events", "write", tickets.add_event),
        ("POST", "/tickets/{number}/close", "write", tickets.close),
        ("POST", "/tickets/{number}/transfer", "write", tickets.transfer),
        ("GET", "/enterprises", "read", registry.enterprises),
        ("GET", "/enterprises/{enterprise_id}", "read", registry.enterprise),
        ("GET", "/policies", "read", registry.policies),
        ("POST", "/policies", "publish", registry.publish),
        ("GET", "/policies/{policy_id}", "read", registry.policy),
    ]:
        app.router.add_route(method, path, _scoped(scope, handler))
    return app


def api_routes(
    deps: Deps, outgoing: Outgoing, channels: Collection[str]
) -> Callable[[web.Application], None]:
    """The API as the runtime's web server takes a channel's routes (bot.channels.plugin.Routes)."""

    def add(app: web.Application) -> None:
        app.add_subapp(PREFIX, api_app(deps, outgoing, channels))

    return add
